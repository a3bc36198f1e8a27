import { once } from 'node:events';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import type { TestPhase } from '../../protocol/index.js';
import type { LoadSetup } from '../inThreadLoad.js';
import type { LoadEngine, LoadSteer, PhaseLoad } from '../loadEngine.js';
import { Recorder, type RecorderSnapshot } from '../recorder.js';
import { SETTLED_SECONDS_KEPT, StartSeconds } from '../startSeconds.js';
import type { StartSecond } from '../../protocol/index.js';
import { laneShare } from './lanePlan.js';
import type { FromLoadWorker, LoadWorkerData, ToLoadWorker } from './messages.js';

/** Workers post their figures this often: a report (every 500 ms) is at most this old. */
export const WORKER_FIGURES_EVERY_MS = 100;
/** A worker that does not exit this long after `close` is terminated. */
const WORKER_CLOSE_MS = 5_000;
/**
 * The shared start lies this far ahead of the start message, so that every worker has its run built
 * and waiting when it comes: the message took up to 3 ms to arrive and building the run up to 3 ms more,
 * and the first requests then went out 1–5 ms late, as catch-up.
 */
const START_LEAD_MS = 25;
const LOAD_WORKER_SCRIPT = new URL('./loadWorker.js', import.meta.url);

export type WorkerLoadOptions = LoadSetup & {
  workers: number;
  /** A worker died: the test cannot run as planned. Called once. */
  onFailure: (reason: string) => void;
  /** The worker's script; tests swap in one that fails. */
  script?: URL | undefined;
};

/**
 * A load worker's young generation, in MB. V8's default lets each worker's grow to about 48 MB; capped at 4,
 * a driver with two workers peaked 20-30 MB lower with no measurable cost in requests per CPU-second or in
 * the fixed-rate windows (decisions.md, "Driver memory").
 */
const WORKER_YOUNG_GENERATION_MB = 4;

/**
 * `seconds`: the lanes' figures by intended start merged as they come (each lane posts only the seconds it
 * changed; `laneSeconds` keeps what each said last, so a new value replaces it).
 */
type PhaseState = { pending: Set<number>; finish: () => void; snapshots: (RecorderSnapshot | undefined)[]; started: number[]; merged: Recorder | undefined; seconds: StartSeconds; laneSeconds: Map<number, StartSecond>[] };

/** One worker per lane, each running its share of the plan; posted figures are merged here on demand. */
class LaneWorker {
  readonly worker: Worker;
  alive = true;
  inFlight = 0;
  readonly ready: Promise<void>;
  private markReady: (() => void) | undefined;

  constructor(script: URL, data: LoadWorkerData) {
    this.worker = new Worker(script, { workerData: data, resourceLimits: { maxYoungGenerationSizeMb: WORKER_YOUNG_GENERATION_MB } });
    this.ready = new Promise((resolve) => {
      this.markReady = resolve;
    });
  }

  onReady(): void {
    this.markReady?.();
  }

  /** Dead or done: nothing waits for it any more. */
  onDeath(): void {
    this.alive = false;
    this.markReady?.();
  }

  send(message: ToLoadWorker): void {
    if (this.alive) this.worker.postMessage(message);
  }
}

/**
 * The load in worker threads: request i of a phase runs on lane i mod N, at the plan's intended time, with
 * the same mix pick and `{{seq}}` as on one thread. The main thread only merges figures, so reporting,
 * Kafka and the store never delay a request start.
 */
export class WorkerLoad implements LoadEngine {
  private readonly lanes: LaneWorker[];
  private readonly phases: Partial<Record<TestPhase, PhaseState>> = {};
  private readonly emptyRecorders: Record<TestPhase, Recorder>;
  private nextSeq = 1;
  private frozen = false;
  private closing = false;
  private failed = false;

  constructor(private readonly options: WorkerLoadOptions) {
    const count = Math.max(1, Math.min(options.workers, options.concurrency));
    this.emptyRecorders = { warmup: new Recorder(options.names), workload: new Recorder(options.names) };
    this.lanes = Array.from({ length: count }, (_, index) => this.spawn({ index, count }));
  }

  get loadWorkers(): number {
    return this.lanes.length;
  }

  start(phase: TestPhase, startAtEpochMs?: number): PhaseLoad {
    let finish: () => void = () => undefined;
    let markStart!: (epochMs: number | undefined) => void;
    const clockStart = new Promise<number | undefined>((resolve) => (markStart = resolve));
    const finished = new Promise<void>((resolve) => {
      finish = resolve;
    });
    const state: PhaseState = { pending: new Set(), finish, snapshots: [], started: [], merged: undefined, seconds: new StartSeconds(), laneSeconds: this.lanes.map(() => new Map()) };
    this.phases[phase] = state;
    let stopped = false;
    void Promise.all(this.lanes.map((lane) => lane.ready)).then(() => {
      const live = this.lanes.filter((lane) => lane.alive);
      for (const lane of live) state.pending.add(this.lanes.indexOf(lane));
      if (stopped || live.length === 0) {
        markStart(undefined);
        state.finish();
        return;
      }
      // Every lane counts from the same start: its lane's intended times are the plan's.
      const startAt = Math.max(startAtEpochMs ?? 0, performance.timeOrigin + performance.now() + START_LEAD_MS);
      markStart(startAt);
      const start: ToLoadWorker = { type: 'start', phase, startAtEpochMs: startAt, firstSeq: this.nextSeq };
      for (const lane of live) lane.send(start);
    });
    const inFlight = (): number => this.inFlight;
    return {
      finished,
      clockStart,
      stop: () => {
        stopped = true;
        for (const lane of this.lanes) lane.send({ type: 'stop' });
      },
      // A worker takes messages in order: a change sent before its start waits behind the start.
      steer: (change: LoadSteer) => {
        const steer: ToLoadWorker = { type: 'steer', atEpochMs: performance.timeOrigin + change.atMs, rate: change.rate, paused: change.paused };
        void Promise.all(this.lanes.map((lane) => lane.ready)).then(() => {
          for (const lane of this.lanes) lane.send(steer);
        });
      },
      get inFlight() {
        return inFlight();
      },
    };
  }

  /** The merge is rebuilt only when a worker has posted newer figures since the last one. */
  recorder(phase: TestPhase): Recorder {
    const state = this.phases[phase];
    if (!state) return this.emptyRecorders[phase];
    if (!state.merged) {
      const merged = new Recorder(this.options.names, state.seconds);
      for (const snapshot of state.snapshots) if (snapshot) merged.add(snapshot);
      if (this.frozen) merged.freeze();
      state.merged = merged;
    }
    return state.merged;
  }

  /** Each lane's latest figures of a phase, by lane: what the merge sums. */
  laneFigures(phase: TestPhase): (RecorderSnapshot | undefined)[] {
    return [...(this.phases[phase]?.snapshots ?? [])];
  }

  /** Requests on the wire across the lanes, as last posted. */
  get inFlight(): number {
    return this.lanes.reduce((sum, lane) => sum + (lane.alive ? lane.inFlight : 0), 0);
  }

  freeze(): void {
    for (const phase of ['warmup', 'workload'] as const) this.recorder(phase).freeze();
    this.frozen = true;
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all(this.lanes.map((lane) => this.closeLane(lane)));
  }

  private async closeLane(lane: LaneWorker): Promise<void> {
    if (!lane.alive) return;
    const exited = once(lane.worker, 'exit');
    lane.send({ type: 'close' });
    const timer = setTimeout(() => void lane.worker.terminate(), WORKER_CLOSE_MS);
    await exited.catch(() => undefined);
    clearTimeout(timer);
  }

  private spawn(lane: { index: number; count: number }): LaneWorker {
    const { options } = this;
    const data: LoadWorkerData = {
      nodeId: options.nodeId,
      config: options.config,
      requests: options.requests,
      names: options.names,
      lane,
      concurrency: options.concurrency,
      connections: laneShare(options.concurrency, lane),
      timeoutMs: options.timeoutMs,
      tls: { insecure: options.tls.insecure, ca: options.tls.ca === undefined ? undefined : new Uint8Array(Buffer.from(options.tls.ca)) },
      figuresEveryMs: WORKER_FIGURES_EVERY_MS,
    };
    const worker = new LaneWorker(options.script ?? LOAD_WORKER_SCRIPT, data);
    worker.worker.on('message', (message: FromLoadWorker) => this.onMessage(lane.index, worker, message));
    worker.worker.on('error', (error: Error) => this.onDeath(lane.index, worker, `load worker ${lane.index + 1} of ${lane.count} failed: ${error.message}`));
    worker.worker.on('exit', (code: number) => this.onDeath(lane.index, worker, `load worker ${lane.index + 1} of ${lane.count} exited with code ${code}`));
    return worker;
  }

  private onMessage(index: number, lane: LaneWorker, message: FromLoadWorker): void {
    if (message.type === 'ready') {
      lane.onReady();
      return;
    }
    const state = this.phases[message.phase];
    if (!state) return;
    if (!this.frozen) {
      state.snapshots[index] = message.figures;
      state.merged = undefined;
      mergeSeconds(state, index, message.figures.seconds);
    }
    if (message.type === 'figures') {
      lane.inFlight = message.inFlight;
      return;
    }
    lane.inFlight = 0;
    state.started[index] = message.started;
    if (message.phase === 'warmup') this.nextSeq = Math.max(this.nextSeq, this.seqAfter(index, message.started));
    this.laneDone(state, index);
  }

  /** The seq after lane `index`'s last start: its k-th start was request (k-1)·N + index of the plan. */
  private seqAfter(index: number, started: number): number {
    return started === 0 ? 1 : (started - 1) * this.lanes.length + index + 2;
  }

  private laneDone(state: PhaseState, index: number): void {
    if (!state.pending.delete(index)) return;
    if (state.pending.size === 0) state.finish();
  }

  private onDeath(index: number, lane: LaneWorker, reason: string): void {
    if (!lane.alive) return;
    lane.onDeath();
    for (const state of Object.values(this.phases)) this.laneDone(state, index);
    if (this.closing || this.failed) return;
    this.failed = true;
    this.options.onFailure(reason);
  }
}

/** A lane's changed seconds into the phase's: each replaces what the lane said of it before. */
function mergeSeconds(state: PhaseState, lane: number, changed: readonly StartSecond[]): void {
  const said = state.laneSeconds[lane]!;
  for (const next of changed) {
    state.seconds.addChange(said.get(next.s), next);
    // A settled second well behind does not change again: what the lane said of it need not be kept.
    if (next.started === next.completed && next.s < state.seconds.newest - SETTLED_SECONDS_KEPT) said.delete(next.s);
    else said.set(next.s, next);
  }
}
