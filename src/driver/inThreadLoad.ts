import type { RequestSpec, TestConfigMessage, TestPhase } from '../protocol/index.js';
import type { TlsOptions } from './requestOutcome.js';
import { HttpClient } from './http1/httpClient.js';
import { loadPlanFor, warmupPlanFor } from './load/index.js';
import { clockStartAt, type LoadEngine, type LoadSteer, type PhaseLoad } from './loadEngine.js';
import { LoadRun } from './loadRun.js';
import { Recorder } from './recorder.js';
import { RequestIterator, RequestSequence } from './requests/requestIterator.js';

export type LoadSetup = {
  nodeId: string;
  config: TestConfigMessage;
  requests: RequestSpec[];
  /** Request names for per-name figures; empty when the test named no requests. */
  names: string[];
  concurrency: number;
  timeoutMs: number;
  tls: TlsOptions;
};

/** The load on the driver's own event loop: one connection pool, one recorder per phase. */
export class InThreadLoad implements LoadEngine {
  readonly loadWorkers = 0;
  private readonly client: HttpClient;
  /** `{{seq}}` counts on through the warm-up into the workload. */
  private readonly sequence = new RequestSequence();
  private readonly recorders: Record<TestPhase, Recorder>;
  private readonly connected: Promise<void>;

  constructor(private readonly setup: LoadSetup) {
    this.recorders = { warmup: new Recorder(setup.names), workload: new Recorder(setup.names) };
    const pipelining = setup.config.pipelining ?? 1;
    // Pipelined, the in-flight requests share fewer connections: each takes up to `pipelining` of them.
    this.client = new HttpClient(this.requestIterator().origins, { connections: Math.ceil(setup.concurrency / pipelining), timeoutMs: setup.timeoutMs, tls: setup.tls, pipelining });
    this.connected = this.client.preconnect();
  }

  /** A phase's clock starts once the connections are open (the first phase waits; a later one does not). */
  start(phase: TestPhase, startAtEpochMs?: number): PhaseLoad {
    const { config, concurrency } = this.setup;
    const plan = phase === 'warmup' ? warmupPlanFor(config, concurrency) : loadPlanFor(config, concurrency);
    if (!plan) throw new Error('InThreadLoad.start: the test has no warm-up');
    let run: LoadRun | undefined;
    let stopped = false;
    const waiting: LoadSteer[] = [];
    let markStart!: (epochMs: number | undefined) => void;
    const clockStart = new Promise<number | undefined>((resolve) => (markStart = resolve));
    const finished = this.connected.then(() => {
      if (stopped) return markStart(undefined);
      const start = clockStartAt(startAtEpochMs);
      markStart(start.epochMs);
      run = new LoadRun(plan, { client: this.client, requests: this.requestIterator(), recorder: this.recorders[phase], startAtMs: start.perfMs });
      for (const change of waiting.splice(0)) run.steer(change);
      return run.finished;
    });
    return {
      finished,
      clockStart,
      stop: () => {
        stopped = true;
        run?.stop();
      },
      steer: (change) => {
        if (run) run.steer(change);
        else waiting.push(change);
      },
      get inFlight() {
        return run?.inFlight ?? 0;
      },
    };
  }

  recorder(phase: TestPhase): Recorder {
    return this.recorders[phase];
  }

  freeze(): void {
    this.recorders.warmup.freeze();
    this.recorders.workload.freeze();
  }

  close(): Promise<void> {
    return this.client.destroy();
  }

  /** Each phase draws its own weighted mix, so the workload's counts are exactly its shares. */
  private requestIterator(): RequestIterator {
    return new RequestIterator(this.setup.requests, { driverId: this.setup.nodeId, testId: this.setup.config.test_id, sequence: this.sequence });
  }
}
