import { CountsAccumulator, intervalPercentiles, type IntervalPercentiles } from '../stats/intervalCounts.js';
import type { IntervalPoint } from './testProjection.js';
import type { PlannedRate } from './steering.js';
import type { StepFigures } from '../api/capacity.js';
import type { StartSecond } from '../protocol/index.js';
import { addLatencyPairs, type BucketCounts } from '../stats/latencyHistogram.js';

/** Overall points are per second of the workload: drivers report at their own moments. */
export const OVERALL_BIN_MS = 1_000;
/**
 * Bins this far behind the newest keep only their percentiles: a day-long test must not keep every
 * interval's buckets. Enough for a capacity search's longest step (30 s) and its judging to merge them.
 */
const OPEN_BINS = 40;

type DriverShare = { sent: number; completed: number; ms: number };

/** What a driver last said of one second by intended start: its counts (and, while the bin is open, its buckets). */
type StartShare = { started: number; completed: number; errors: number; latency: [number, number][] | undefined };

type Bin = {
  end_ms: number;
  errors: number;
  byDriver: Map<string, DriverShare>;
  /** Drivers that report by intended start: their latest figures of this second, which replace the ones before. */
  byStart: Map<string, StartShare>;
  /** The drivers' intervals merged as they arrive; dropped when the bin is closed, so a late interval then adds to its counts only. */
  merged: CountsAccumulator | undefined;
  /** The percentiles of `merged` as last computed; cleared when an interval is added. */
  percentiles: IntervalPercentiles | undefined;
};

/**
 * The whole test over time, one bin per second of the workload. A driver that reports its figures by
 * intended start (`start_seconds`) puts each request in the second it was due to start in, whenever its
 * answer came; a spec-only driver's interval goes to the bin its report's elapsed_ms falls in. A bin's
 * rate is the sum of the drivers' there and its percentiles come from the merge of their histograms.
 */
export class OverallTimeline {
  readonly #bins = new Map<number, Bin>();
  #newest = 0;
  #closedUpTo = 0;

  add(nodeId: string, point: IntervalPoint, interval: BucketCounts | undefined): void {
    const key = Math.max(1, Math.ceil(point.elapsed_ms / OVERALL_BIN_MS));
    let bin = this.#bins.get(key);
    bin ??= this.openBin(key);
    const share = bin.byDriver.get(nodeId) ?? { sent: 0, completed: 0, ms: 0 };
    bin.byDriver.set(nodeId, { sent: share.sent + point.interval_sent, completed: share.completed + point.interval_completed, ms: share.ms + point.interval_ms });
    bin.errors += point.errors;
    if (interval && interval.total > 0 && bin.merged) {
      bin.merged.add(interval);
      bin.percentiles = undefined;
    }
    this.saw(key);
  }

  /**
   * A driver's seconds by intended start (a report's `start_seconds`): each goes to its own second's bin,
   * whenever it arrives, in place of what the driver said of that second before; its new latencies are
   * added to the bin's merge as the difference from before.
   */
  addStartSeconds(nodeId: string, seconds: readonly StartSecond[]): void {
    for (const second of seconds) {
      const key = second.s + 1;
      const bin = this.#bins.get(key) ?? this.openBin(key);
      const before = bin.byStart.get(nodeId);
      // Out of order: a later report already said more of this second.
      if (before && before.started + before.completed > second.started + second.completed) continue;
      bin.errors += second.errors - (before?.errors ?? 0);
      if (bin.merged) {
        bin.merged.add(latencyChange(before?.latency, second.latency));
        bin.percentiles = undefined;
      }
      bin.byStart.set(nodeId, { started: second.started, completed: second.completed, errors: second.errors, latency: bin.merged ? second.latency : undefined });
      this.saw(key);
    }
  }

  private openBin(key: number): Bin {
    const bin: Bin = { end_ms: key * OVERALL_BIN_MS, errors: 0, byDriver: new Map(), byStart: new Map(), merged: new CountsAccumulator(), percentiles: undefined };
    this.#bins.set(key, bin);
    return bin;
  }

  private saw(key: number): void {
    if (key <= this.#newest) return;
    this.#newest = key;
    this.closeOldBins();
  }

  /**
   * The whole seconds from `fromMs` to `toMs` merged, as a capacity search judges a step: counts summed,
   * percentiles of the merged buckets (a bin already closed adds its own percentiles' worst instead).
   */
  window(fromMs: number, toMs: number): StepFigures {
    const merged = new CountsAccumulator();
    const figures: StepFigures = { completed: 0, errors: 0, seconds: 0, p50: null, p95: null, p99: null };
    const closed: IntervalPercentiles[] = [];
    for (const bin of this.#bins.values()) {
      if (bin.end_ms - OVERALL_BIN_MS < fromMs || bin.end_ms > toMs) continue;
      figures.seconds += OVERALL_BIN_MS / 1000;
      figures.errors += bin.errors;
      for (const share of bin.byDriver.values()) figures.completed += share.completed;
      for (const share of bin.byStart.values()) figures.completed += share.completed;
      if (bin.merged) merged.add(bin.merged.counts());
      else closed.push(percentilesOf(bin));
    }
    const percentiles = [intervalPercentiles(merged.counts()), ...closed];
    for (const key of ['p50', 'p95', 'p99'] as const) figures[key] = worst(percentiles.map((p) => p[key]));
    return figures;
  }

  /** Per second: summed rates, errors, merged percentiles, and the plan's rate for all `drivers`. */
  points(plannedRate: PlannedRate, drivers: number): IntervalPoint[] {
    return [...this.#bins.keys()].sort((a, b) => a - b).map((key) => this.pointOf(this.#bins.get(key)!, plannedRate, drivers));
  }

  /** The newest second no driver reports into any more (the one before the newest), for scrapers. */
  settled(plannedRate: PlannedRate, drivers: number): IntervalPoint | null {
    const bin = this.#bins.get(this.#newest - 1);
    return bin ? this.pointOf(bin, plannedRate, drivers) : null;
  }

  /** The newest second, still filling while drivers report into it. */
  latest(plannedRate: PlannedRate, drivers: number): IntervalPoint | null {
    const bin = this.#bins.get(this.#newest);
    return bin ? this.pointOf(bin, plannedRate, drivers) : null;
  }

  private pointOf(bin: Bin, plannedRate: PlannedRate, drivers: number): IntervalPoint {
    let sent = 0;
    let completed = 0;
    let rps = 0;
    let sentRps = 0;
    for (const share of bin.byDriver.values()) {
      sent += share.sent;
      completed += share.completed;
      if (share.ms > 0) {
        rps += (share.completed * 1000) / share.ms;
        sentRps += (share.sent * 1000) / share.ms;
      }
    }
    // By intended start a bin is one whole second: its counts are its rates.
    for (const share of bin.byStart.values()) {
      sent += share.started;
      completed += share.completed;
      rps += share.completed;
      sentRps += share.started;
    }
    const planned = plannedRate(bin.end_ms - OVERALL_BIN_MS, bin.end_ms);
    return {
      elapsed_ms: bin.end_ms,
      interval_ms: OVERALL_BIN_MS,
      interval_sent: sent,
      interval_completed: completed,
      rps: round3(rps),
      sent_rps: round3(sentRps),
      errors: bin.errors,
      ...percentilesOf(bin),
      planned_rps: planned === null ? null : round3(planned * drivers),
    };
  }

  private closeOldBins(): void {
    for (; this.#closedUpTo <= this.#newest - OPEN_BINS; this.#closedUpTo++) {
      const bin = this.#bins.get(this.#closedUpTo);
      if (!bin) continue;
      percentilesOf(bin);
      bin.merged = undefined;
      for (const share of bin.byStart.values()) share.latency = undefined;
    }
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function percentilesOf(bin: Bin): IntervalPercentiles {
  bin.percentiles ??= bin.merged ? intervalPercentiles(bin.merged.counts()) : { p50: null, p95: null, p99: null };
  return bin.percentiles;
}

function worst(values: (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null);
  return known.length === 0 ? null : Math.max(...known);
}

/** `after − before` as buckets: what a driver's newer word on a second adds to the bin's merge. */
function latencyChange(before: readonly [number, number][] | undefined, after: readonly [number, number][]): BucketCounts {
  const byIndex = new Map<number, number>();
  addLatencyPairs(byIndex, after, 1);
  addLatencyPairs(byIndex, before ?? [], -1);
  const indexes = [...byIndex.keys()].filter((index) => byIndex.get(index)! > 0).sort((a, b) => a - b);
  const counts = indexes.map((index) => byIndex.get(index)!);
  return { indexes, counts, total: counts.reduce((sum, count) => sum + count, 0) };
}
