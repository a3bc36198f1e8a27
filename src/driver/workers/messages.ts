import type { RequestSpec, TestConfigMessage, TestPhase } from '../../protocol/index.js';
import type { RecorderSnapshot } from '../recorder.js';
import type { Lane } from '../requests/requestIterator.js';

/** What a load worker is started with (its workerData). */
export type LoadWorkerData = {
  nodeId: string;
  config: TestConfigMessage;
  requests: RequestSpec[];
  names: string[];
  lane: Lane;
  /** The test's concurrency: the worker derives the plan from it and takes its lane's share. */
  concurrency: number;
  /** This lane's keep-alive connections per origin. */
  connections: number;
  timeoutMs: number;
  tls: { insecure: boolean; ca: Uint8Array | undefined };
  /** How often the worker posts its figures so far. */
  figuresEveryMs: number;
};

/** Main thread → worker. `startAtEpochMs` is on performance.timeOrigin + now(), the one clock all threads share. */
export type ToLoadWorker =
  | { type: 'start'; phase: TestPhase; startAtEpochMs: number; firstSeq: number }
  | { type: 'stop' }
  /** a change of the running phase at atEpochMs (performance.timeOrigin + now()); `rate` is the driver's plan's, which the lane splits */
  | { type: 'steer'; atEpochMs: number; rate?: number | undefined; paused?: boolean | undefined }
  | { type: 'close' };

/** Worker → main thread. Figures are cumulative per phase: a lost or late one is replaced by the next. */
export type FromLoadWorker =
  | { type: 'ready' }
  | { type: 'figures'; phase: TestPhase; figures: RecorderSnapshot; inFlight: number }
  | { type: 'finished'; phase: TestPhase; figures: RecorderSnapshot; started: number };
