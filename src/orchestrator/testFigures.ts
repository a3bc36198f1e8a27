import type { DriverFigures, Figures, Latency, RequestFigures } from '../api/index.js';
import { ERROR_SAMPLE_LIMITS, plannedWorkloadMs, requestName, type MetricsMessage, type RequestSpec, type RequestStats } from '../protocol/index.js';
import { decodeHistogramCounts, histogramFromCounts, type BucketCounts } from '../stats/latencyHistogram.js';
import { RunningMerge } from '../stats/runningMerge.js';
import { summarize, type LatencySummary } from '../stats/summary.js';
import { isFinished, sumErrors, type DriverProgress, type TestProjection } from './testProjection.js';

export type { DriverFigures, Figures, Latency, RequestFigures };

export type TestFigures = { drivers: DriverFigures[]; aggregate: Figures };

const EMPTY_LATENCY: Latency = { min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };

/**
 * Per-driver and overall figures. Overall latencies come from merging the drivers' cumulative
 * histograms, never from averaging their means or medians. The merge is kept up to date report by
 * report, so a read costs one summary however many drivers there are.
 */
export class FiguresCalculator {
  readonly #merges = new Map<string, TestMerge>();
  readonly #byTest = new Map<string, { version: number; figures: TestFigures }>();

  figuresFor(test: TestProjection): TestFigures {
    const cached = this.#byTest.get(test.test_id);
    if (cached && cached.version === test.version) return cached.figures;
    const figures = this.compute(test);
    this.#byTest.set(test.test_id, { version: test.version, figures });
    // A finished test's figures stay cached; its merge (a full histogram) is rebuilt if a late report comes.
    if (isFinished(test)) this.#merges.delete(test.test_id);
    return figures;
  }

  private compute(test: TestProjection): TestFigures {
    let merge = this.#merges.get(test.test_id);
    if (!merge) this.#merges.set(test.test_id, (merge = new TestMerge()));
    const drivers: DriverFigures[] = [];
    const plan = { count: test.config.message_count_per_driver, durationMs: plannedWorkloadMs(test.config) };
    let approximate = false;
    const specs = test.config.requests ?? [];
    for (const progress of test.drivers.values()) {
      const { latency: exactLatency, requests } = merge.update(progress.node_id, progress.latest, progress.latest_buckets, specs);
      if (progress.latest && !exactLatency && !nothingCompleted(progress.latest)) approximate = true;
      drivers.push(driverFigures(progress, exactLatency, requests, plan));
    }
    const latency = approximate ? approximateLatency(drivers) : merge.latency();
    const counts = sumCounts(drivers);
    const interval = test.overall.latest(test.config, test.driver_ids.length);
    return { drivers, aggregate: { ...counts, latency, approximate, interval, requests: merge.requestsFigures(specs, drivers, counts.elapsed_ms) } };
  }
}

type DriverShare = { latency: Latency | undefined; requests: RequestFigures[] };

/** One test's running merges (overall and per request name), and which report of each driver they hold. */
class TestMerge {
  private readonly merge = new RunningMerge();
  private readonly byName = new Map<string, RunningMerge>();
  private readonly applied = new Map<string, { reportId: string; share: DriverShare }>();

  /**
   * Brings the driver's share up to its latest report (whose histogram the projection decoded); its exact
   * latency is undefined without a usable histogram.
   */
  update(nodeId: string, report: MetricsMessage | undefined, buckets: BucketCounts | undefined, specs: readonly RequestSpec[]): DriverShare {
    if (!report) return { latency: undefined, requests: [] };
    const applied = this.applied.get(nodeId);
    if (applied?.reportId === report.report_id) return applied.share;
    this.merge.replace(nodeId, buckets);
    const share = { latency: buckets && driverLatency(report, buckets), requests: this.updateRequests(nodeId, report, specs) };
    this.applied.set(nodeId, { reportId: report.report_id, share });
    return share;
  }

  latency(): Latency {
    return this.merge.sources === 0 ? EMPTY_LATENCY : latencyOf(this.merge.summarize());
  }

  /** Per name over every driver: counts summed, latency from the merged histograms, in the test's order. */
  requestsFigures(specs: readonly RequestSpec[], drivers: readonly DriverFigures[], elapsedMs: number): RequestFigures[] {
    return specs.map((spec) => {
      const name = requestName(spec);
      const own = drivers.flatMap((d) => d.requests.filter((r) => r.name === name));
      const merged = this.byName.get(name);
      const latency = merged && merged.sources > 0 ? latencyOf(merged.summarize()) : EMPTY_LATENCY;
      return { ...sumRequestCounts(spec, own, elapsedMs), latency };
    });
  }

  private updateRequests(nodeId: string, report: MetricsMessage, specs: readonly RequestSpec[]): RequestFigures[] {
    const stats = new Map((report.requests_stats ?? []).map((s) => [s.name, s]));
    return specs.map((spec) => {
      const name = requestName(spec);
      const own = stats.get(name);
      const buckets = own?.histogram === undefined ? undefined : decodeOrUndefined(own.histogram);
      let merge = this.byName.get(name);
      if (!merge) this.byName.set(name, (merge = new RunningMerge()));
      merge.replace(nodeId, buckets);
      const latency = buckets && buckets.total > 0 ? latencyOf(summarize(histogramFromCounts(buckets))) : EMPTY_LATENCY;
      return { ...requestCounts(spec, own, report.elapsed_ms ?? 0), latency };
    });
  }
}

function requestCounts(spec: RequestSpec, stats: RequestStats | undefined, elapsedMs: number): Omit<RequestFigures, 'latency'> {
  const completed = stats?.completed ?? 0;
  const errors = stats?.errors ?? {};
  return {
    name: requestName(spec),
    method: spec.method,
    url: spec.url,
    sent: stats?.sent ?? 0,
    completed,
    errors,
    error_count: sumErrors(errors),
    status_counts: stats?.status_counts ?? {},
    bytes_received: stats?.bytes_received ?? 0,
    rps: elapsedMs > 0 ? round3((completed * 1000) / elapsedMs) : null,
  };
}

function sumRequestCounts(spec: RequestSpec, perDriver: readonly RequestFigures[], elapsedMs: number): Omit<RequestFigures, 'latency'> {
  const totals = sumResponses(perDriver);
  return { name: requestName(spec), method: spec.method, url: spec.url, ...totals, error_count: sumErrors(totals.errors), rps: elapsedMs > 0 ? round3((totals.completed * 1000) / elapsedMs) : null };
}

type ResponseTotals = Pick<Figures, 'sent' | 'completed' | 'errors' | 'status_counts' | 'bytes_received'>;

/** Counts added over drivers (or over one request name's drivers). */
function sumResponses(parts: readonly ResponseTotals[]): ResponseTotals {
  const totals: ResponseTotals = { sent: 0, completed: 0, errors: {}, status_counts: {}, bytes_received: 0 };
  for (const part of parts) {
    totals.sent += part.sent;
    totals.completed += part.completed;
    totals.bytes_received += part.bytes_received;
    addInto(totals.errors, part.errors);
    addInto(totals.status_counts, part.status_counts);
  }
  return totals;
}

function addInto(total: Record<string, number>, counts: Record<string, number>): void {
  for (const [key, count] of Object.entries(counts)) total[key] = (total[key] ?? 0) + count;
}

/**
 * A driver summarizes its histogram with the same code before sending it, so its own figures are those of
 * the histogram; only a driver that sends a histogram without every figure needs its summary computed here.
 */
function driverLatency(report: MetricsMessage, buckets: BucketCounts): Latency {
  // Nothing succeeded yet: the spec makes the driver send 0 for every figure, but there is no latency.
  if (buckets.total === 0) return EMPTY_LATENCY;
  const own = reportLatency(report);
  if (Object.values(own).every((value) => value !== null)) return own;
  return latencyOf(summarize(histogramFromCounts(buckets)));
}

function decodeOrUndefined(text: string): BucketCounts | undefined {
  try {
    return decodeHistogramCounts(text);
  } catch {
    return undefined;
  }
}

function latencyOf(summary: LatencySummary): Latency {
  if (summary.count === 0) return EMPTY_LATENCY;
  const { count: _count, ...latency } = summary;
  return latency;
}

/** What a driver's progress is measured against: its planned duration when it has one (a time-based test), else its count. */
type ProgressPlan = { count: number; durationMs: number | undefined };

function progressOf(report: MetricsMessage | undefined, plan: ProgressPlan): number {
  if (!report) return 0;
  if (report.final && report.outcome === 'completed') return 1;
  const fraction = plan.durationMs !== undefined ? (report.elapsed_ms ?? 0) / plan.durationMs : (report.sent ?? 0) / plan.count;
  return plan.count > 0 ? Math.min(1, fraction) : 0;
}

function driverFigures(progress: DriverProgress, exactLatency: Latency | undefined, requests: RequestFigures[], plan: ProgressPlan): DriverFigures {
  const report = progress.latest;
  const sent = report?.sent ?? 0;
  const completed = report?.completed ?? 0;
  const elapsed = report?.elapsed_ms ?? 0;
  const errors = report?.errors ?? {};
  return {
    node_id: progress.node_id,
    sent,
    completed,
    errors,
    error_count: sumErrors(errors),
    error_samples: report?.error_samples ?? {},
    in_flight: report?.in_flight ?? Math.max(0, sent - completed),
    late_starts: report?.late_starts ?? 0,
    rps: elapsed > 0 ? round3((completed * 1000) / elapsed) : null,
    elapsed_ms: elapsed,
    latency: exactLatency ?? (report && !nothingCompleted(report) ? reportLatency(report) : EMPTY_LATENCY),
    approximate: Boolean(report && !exactLatency && !nothingCompleted(report)),
    interval: progress.timeline.at(-1) ?? null,
    status_counts: report?.status_counts ?? {},
    bytes_received: report?.bytes_received ?? 0,
    requests,
    reports: progress.reports,
    final: Boolean(progress.final),
    outcome: progress.final?.outcome ?? null,
    reason: progress.final?.reason ?? null,
    progress: progressOf(report, plan),
    phase: report?.phase ?? null,
    warmup_completed: report?.warmup_completed ?? 0,
  };
}

/**
 * A report that says it completed nothing (a rejection, a driver still starting) carries the spec's
 * zeros in place of latencies: they are no measurement and must not become one.
 */
function nothingCompleted(report: MetricsMessage): boolean {
  return report.completed === 0;
}

/** The figures a report carries: the spec's four numbers, plus any extension figures it sent. */
function reportLatency(report: MetricsMessage): Latency {
  const m = report.metrics;
  return { min: m.min_latency, max: m.max_latency, mean: m.mean_latency, median: m.median_latency, mode: m.mode_latency ?? null, p90: m.p90_latency ?? null, p95: m.p95_latency ?? null, p99: m.p99_latency ?? null };
}

function sumCounts(drivers: DriverFigures[]): Omit<Figures, 'latency' | 'approximate' | 'requests' | 'interval'> {
  const totals = sumResponses(drivers);
  let inFlight = 0;
  let lateStarts = 0;
  let elapsed = 0;
  for (const d of drivers) {
    inFlight += d.in_flight;
    lateStarts += d.late_starts;
    elapsed = Math.max(elapsed, d.elapsed_ms);
  }
  return {
    ...totals,
    error_count: sumErrors(totals.errors),
    error_samples: mergeErrorSamples(drivers),
    in_flight: inFlight,
    late_starts: lateStarts,
    rps: elapsed > 0 ? round3((totals.completed * 1000) / elapsed) : null,
    elapsed_ms: elapsed,
  };
}

/** Per kind, the first distinct messages over the drivers in order, as many as one driver may send. */
function mergeErrorSamples(drivers: DriverFigures[]): Record<string, string[]> {
  const merged: Record<string, string[]> = {};
  for (const d of drivers) {
    for (const [kind, messages] of Object.entries(d.error_samples)) {
      const kept = (merged[kind] ??= []);
      for (const message of messages) if (kept.length < ERROR_SAMPLE_LIMITS.perKind && !kept.includes(message)) kept.push(message);
    }
  }
  return merged;
}

/**
 * Without every driver's histogram there is no exact merge: min and max are still exact, the mean
 * is weighted by completed requests, and the other figures are completed-weighted means (flagged).
 */
function approximateLatency(drivers: DriverFigures[]): Latency {
  const reporting = drivers.filter((d) => d.latency.mean !== null);
  if (reporting.length === 0) return EMPTY_LATENCY;
  const weightOf = (d: DriverFigures) => Math.max(d.completed, 1);
  const weighted = (pick: (l: Latency) => number | null) => {
    const usable = reporting.filter((d) => pick(d.latency) !== null);
    if (usable.length === 0) return null;
    const total = usable.reduce((sum, d) => sum + weightOf(d), 0);
    return round3(usable.reduce((sum, d) => sum + (pick(d.latency) as number) * weightOf(d), 0) / total);
  };
  return {
    min: Math.min(...reporting.map((d) => d.latency.min ?? Infinity)),
    max: Math.max(...reporting.map((d) => d.latency.max ?? -Infinity)),
    mean: weighted((l) => l.mean),
    median: weighted((l) => l.median),
    mode: weighted((l) => l.mode),
    p90: weighted((l) => l.p90),
    p95: weighted((l) => l.p95),
    p99: weighted((l) => l.p99),
  };
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
