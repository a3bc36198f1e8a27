import type { MetricsMessage, TestPhase } from '../protocol/index.js';
import type { Recorder } from './recorder.js';

/** One phase's load (the warm-up or the workload), on this thread or spread over load workers. */
export type PhaseLoad = {
  /** Resolves once every started request has settled (or its worker has died). */
  readonly finished: Promise<void>;
  /** No further starts. */
  stop(): void;
  /** Requests on the wire, as last known. */
  readonly inFlight: number;
};

/**
 * Where a test's requests are sent from: the driver's own event loop (InThreadLoad) or worker threads
 * (WorkerLoad). TestRun drives both the same way: start a phase, read its figures, freeze, close.
 */
export type LoadEngine = {
  /** Load worker threads; 0 when the load runs on the driver's own event loop. */
  readonly loadWorkers: number;
  start(phase: TestPhase): PhaseLoad;
  /** The phase's figures so far; with workers, their merge. */
  recorder(phase: TestPhase): Recorder;
  /** Results arriving later are ignored: the final report is the last word. */
  freeze(): void;
  /** Closes the connections (requests still on the wire fail). */
  close(): Promise<void>;
  /** What reports carry beyond the recorder's figures (a scenario test's iterations, checks, VUs, groups). */
  flowFields?(): Partial<MetricsMessage>;
};
