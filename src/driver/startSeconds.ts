import type { StartSecond } from '../protocol/index.js';
import { addLatencyPairs, bucketIndexOf, bucketValue } from '../stats/latencyHistogram.js';

type Second = { started: number; completed: number; errors: number; buckets: Map<number, number> };

/** A second this far behind the newest, with every request of it settled, is let go: a day-long test must not keep every second's buckets. */
export const SETTLED_SECONDS_KEPT = 30;

/**
 * A test's figures by the second its requests were due to start (since the schedule's clock started),
 * not by when they were answered: a late answer still lands in its own second, so a second's started
 * count is what the plan put in it and its latencies are its own requests'. Reports carry the seconds
 * changed since the report before (cumulative within each second); latencies are sparse buckets.
 */
export class StartSeconds {
  private readonly seconds: (Second | undefined)[] = [];
  private readonly changed = new Set<number>();
  /** Seconds below this are settled and let go. */
  private keptFrom = 0;

  /** The latest second any request was due in so far. */
  get newest(): number {
    return this.seconds.length - 1;
  }

  started(second: number): void {
    this.at(second).started += 1;
  }

  answered(second: number, latencyMicros: number): void {
    const entry = this.at(second);
    entry.completed += 1;
    const bucket = bucketIndexOf(latencyMicros);
    entry.buckets.set(bucket, (entry.buckets.get(bucket) ?? 0) + 1);
  }

  failed(second: number): void {
    const entry = this.at(second);
    entry.completed += 1;
    entry.errors += 1;
  }

  /** Each second changed since the last call, with its figures so far. */
  takeChanged(): StartSecond[] {
    const changed = [...this.changed].sort((a, b) => a - b).map((second) => wireOf(second, this.seconds[second]!));
    this.changed.clear();
    this.letGoSettled();
    return changed;
  }

  private letGoSettled(): void {
    for (; this.keptFrom < this.newest - SETTLED_SECONDS_KEPT; this.keptFrom++) {
      const entry = this.seconds[this.keptFrom];
      if (entry && entry.started !== entry.completed) return;
      this.seconds[this.keptFrom] = undefined;
    }
  }

  /** A load worker's second as it now stands, in place of what it said before (`previous`): the difference is added. */
  addChange(previous: StartSecond | undefined, next: StartSecond): void {
    const entry = this.at(next.s);
    entry.started += next.started - (previous?.started ?? 0);
    entry.completed += next.completed - (previous?.completed ?? 0);
    entry.errors += next.errors - (previous?.errors ?? 0);
    addLatencyPairs(entry.buckets, next.latency, 1);
    addLatencyPairs(entry.buckets, previous?.latency ?? [], -1);
  }

  private at(second: number): Second {
    this.changed.add(second);
    let entry = this.seconds[second];
    if (!entry) this.seconds[second] = entry = { started: 0, completed: 0, errors: 0, buckets: new Map() };
    return entry;
  }
}

function wireOf(second: number, entry: Second): StartSecond {
  const latency: [number, number][] = [];
  for (const [bucket, count] of entry.buckets) if (count > 0) latency.push([bucketValue(bucket), count]);
  latency.sort((a, b) => a[0] - b[0]);
  return { s: second, started: entry.started, completed: entry.completed, errors: entry.errors, latency };
}
