import { performance } from 'node:perf_hooks';
import type { HttpClient } from './http1/httpClient.js';
import type { Recorder } from './recorder.js';
import type { LoadPlan } from './load/loadModel.js';
import type { RequestIterator } from './requests/requestIterator.js';
import { StartScheduler } from './schedule.js';

export type LoadDeps = {
  client: HttpClient;
  requests: RequestIterator;
  recorder: Recorder;
  now?: () => number;
  /** The schedule's start on the `now` clock; default: at once. */
  startAtMs?: number | undefined;
};

/**
 * The part every load model shares: the scheduler decides when each request starts, the client sends
 * it, the recorder gets its latency from the intended start and its service time from the actual send.
 */
export class LoadRun {
  private readonly scheduler: StartScheduler;
  private readonly now: () => number;
  /** The schedule's start on the `now` clock: the seconds of the figures by intended start count from it. */
  private readonly startAtMs: number;
  /** Resolves once every started request has a response or a recorded error. */
  readonly finished: Promise<void>;

  constructor(
    readonly plan: LoadPlan,
    private readonly deps: LoadDeps,
  ) {
    this.now = deps.now ?? (() => performance.now());
    this.startAtMs = deps.startAtMs ?? this.now();
    this.scheduler = new StartScheduler({ ...plan, now: this.now, startAtMs: this.startAtMs, onLateStart: () => deps.recorder.recordLateStart() });
    this.finished = this.scheduler.run(this.launch);
  }

  /** Stops issuing requests; `finished` resolves when those in flight settle. */
  stop(): void {
    this.scheduler.stop();
  }

  get inFlight(): number {
    return this.scheduler.inFlight;
  }

  steer(change: { atMs: number; rate?: number | undefined; paused?: boolean | undefined }): void {
    this.scheduler.steer(change);
  }

  /** Requests started so far. */
  get started(): number {
    return this.scheduler.started;
  }

  private readonly launch = (intendedStartMs: number, sentAt: number): Promise<void> => {
    const { client, recorder } = this.deps;
    const request = this.deps.requests.next();
    // Figures by the second the request was due in, so a late answer still counts where it was planned.
    const second = Math.max(0, Math.floor((intendedStartMs - this.startAtMs) / 1000));
    recorder.recordSent(request.index, second);
    return client.send(request).then((outcome) => {
      if (outcome.errorKind !== undefined) {
        recorder.recordError(outcome.errorKind, outcome.errorMessage, outcome.status, outcome.bytes, request.index, second);
        return;
      }
      const endedAt = this.now();
      recorder.recordSuccess((endedAt - intendedStartMs) * 1000, (endedAt - sentAt) * 1000, outcome.status, outcome.bytes, request.index, second);
    });
  };
}
