import type { CheckCounts, IterationCounts } from '../../protocol/index.js';
import { createLatencyHistogram, recordMicros, type LatencyHistogram } from '../../stats/latencyHistogram.js';
import { Recorder } from '../recorder.js';

/** Why an iteration ended before its last step. */
export type IterationFailure = 'capture_missing' | 'check_failed' | 'interrupted';

/**
 * What a scenario test counts beyond its requests (which its Recorder counts per step): iterations and their
 * durations, checks, VUs, and the requests of each group. Cumulative, like every report's figures; frozen
 * with the final report.
 */
export class FlowFigures {
  private completed = 0;
  private failed = 0;
  private dropped = 0;
  private readonly failedByReason = new Map<IterationFailure, number>();
  /** µs from an iteration's start to its end, completed or failed */
  readonly iterationDuration: LatencyHistogram = createLatencyHistogram();
  private readonly checks = new Map<string, { passes: number; fails: number }>();
  /** VUs running or waiting for their next iteration now */
  vus = 0;
  /** Per group: the requests inside it (a group inside another counts in both). */
  readonly groups: Recorder;
  private frozen = false;

  constructor(checkNames: readonly string[], groupNames: readonly string[]) {
    // Checks are listed in flow order, those never evaluated too, so every report names all of them.
    for (const name of checkNames) this.checks.set(name, { passes: 0, fails: 0 });
    this.groups = new Recorder(groupNames);
  }

  iterationEnded(durationMs: number, failure: IterationFailure | undefined): void {
    if (this.frozen) return;
    recordMicros(this.iterationDuration, durationMs * 1000);
    if (failure === undefined) {
      this.completed += 1;
      return;
    }
    this.failed += 1;
    this.failedByReason.set(failure, (this.failedByReason.get(failure) ?? 0) + 1);
  }

  iterationDropped(): void {
    if (!this.frozen) this.dropped += 1;
  }

  checked(name: string, passed: boolean): void {
    if (this.frozen) return;
    const counts = this.checks.get(name);
    if (!counts) throw new Error(`FlowFigures: unknown check ${JSON.stringify(name)}`);
    if (passed) counts.passes += 1;
    else counts.fails += 1;
  }

  freeze(): void {
    this.frozen = true;
    this.groups.freeze();
  }

  iterations(): IterationCounts {
    return { completed: this.completed, failed: this.failed, dropped: this.dropped, failed_by_reason: Object.fromEntries(this.failedByReason) };
  }

  checkCounts(): CheckCounts[] {
    return [...this.checks].map(([name, counts]) => ({ name, ...counts }));
  }
}
