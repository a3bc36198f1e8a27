import type { MetricsMessage, ScenarioSteering, TestPhase } from '../protocol/index.js';
import { performance } from 'node:perf_hooks';
import type { Recorder } from './recorder.js';

/**
 * The instant a phase's clock starts on the performance clock: now, or the shared start when it is still
 * ahead. With it, the same instant in epoch ms (what reports say).
 */
export function clockStartAt(startAtEpochMs: number | undefined): { perfMs: number; epochMs: number } {
  const now = performance.now();
  const perfMs = startAtEpochMs === undefined ? now : Math.max(now, startAtEpochMs - performance.timeOrigin);
  return { perfMs, epochMs: performance.timeOrigin + perfMs };
}

/**
 * A change of a running phase at `atMs` on the performance clock (the orchestrator's apply_at): `rate` is
 * this driver's plan's new rate (its share, for a plain test); a scenario's rate and VUs are totals over
 * the drivers, which each scenario splits as its plan does.
 */
export type LoadSteer = { atMs: number; rate?: number | undefined; paused?: boolean | undefined; scenarios?: Record<string, ScenarioSteering> | undefined };

/** One phase's load (the warm-up or the workload), on this thread or spread over load workers. */
export type PhaseLoad = {
  /** Resolves once every started request has settled (or its worker has died). */
  readonly finished: Promise<void>;
  /** No further starts. */
  stop(): void;
  /** Changes the running plan; before its clock has started, the change waits for it. */
  steer(change: LoadSteer): void;
  /** Requests on the wire, as last known. */
  readonly inFlight: number;
  /** When its schedule's clock starts (epoch ms), once the load is ready; undefined when stopped before it started. */
  readonly clockStart: Promise<number | undefined>;
};

/**
 * Where a test's requests are sent from: the driver's own event loop (InThreadLoad) or worker threads
 * (WorkerLoad). TestRun drives both the same way: start a phase, read its figures, freeze, close.
 */
export type LoadEngine = {
  /** Load worker threads; 0 when the load runs on the driver's own event loop. */
  readonly loadWorkers: number;
  /** `startAtEpochMs`: not before this instant (the trigger's start_at); absent, as soon as the load is ready. */
  start(phase: TestPhase, startAtEpochMs?: number): PhaseLoad;
  /** The phase's figures so far; with workers, their merge. */
  recorder(phase: TestPhase): Recorder;
  /** Results arriving later are ignored: the final report is the last word. */
  freeze(): void;
  /** Closes the connections (requests still on the wire fail). */
  close(): Promise<void>;
  /** What reports carry beyond the recorder's figures (a scenario test's iterations, checks, VUs, groups). */
  flowFields?(): Partial<MetricsMessage>;
};
