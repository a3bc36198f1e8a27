import type { CheckFigures, DriverFigures, Figures, GroupFigures, IterationFigures, Latency, RequestFigures } from '../api/index.js';
import { ERROR_SAMPLE_LIMITS, figureRequests, groupNames, plannedTestMs, requestName, type MetricsMessage, type RequestSpec, type RequestStats } from '../protocol/index.js';
import { decodeHistogramCounts, histogramFromCounts, type BucketCounts } from '../stats/latencyHistogram.js';
import { RunningMerge } from '../stats/runningMerge.js';
import { summarize, type LatencySummary } from '../stats/summary.js';
import { LruCache } from './lruCache.js';
import { isFinished, sumErrors, type DriverProgress, type TestProjection } from './testProjection.js';

export type { DriverFigures, Figures, Latency, RequestFigures };

export type TestFigures = { drivers: DriverFigures[]; aggregate: Figures };

const EMPTY_LATENCY: Latency = { min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };

/**
 * Tests whose figures, and running merges, are kept to be read again: the running ones and the finished
 * ones read last. Figures not kept are computed again when read; a merge not kept is rebuilt from each
 * driver's latest report, which gives the same counts (RunningMerge).
 */
export const FIGURES_KEPT = 256;

/**
 * Per-driver and overall figures. Overall latencies come from merging the drivers' cumulative
 * histograms, never from averaging their means or medians. The merge is kept up to date report by
 * report, so a read costs one summary however many drivers there are.
 */
export class FiguresCalculator {
  readonly #merges: LruCache<string, TestMerge>;
  readonly #byTest: LruCache<string, { version: number; figures: TestFigures }>;

  constructor(kept = FIGURES_KEPT) {
    this.#merges = new LruCache(kept);
    this.#byTest = new LruCache(kept);
  }

  figuresFor(test: TestProjection): TestFigures {
    const cached = this.#byTest.get(test.test_id);
    if (cached && cached.version === test.version) return cached.figures;
    const figures = this.compute(test);
    this.#byTest.set(test.test_id, { version: test.version, figures });
    // A finished test's figures stay cached while read; its merge (a full histogram) is rebuilt if a late report comes.
    if (isFinished(test)) this.#merges.delete(test.test_id);
    return figures;
  }

  private compute(test: TestProjection): TestFigures {
    let merge = this.#merges.get(test.test_id);
    if (!merge) this.#merges.set(test.test_id, (merge = new TestMerge()));
    const drivers: DriverFigures[] = [];
    const plan = { count: test.config.message_count_per_driver, durationMs: plannedTestMs(test.config) };
    let approximate = false;
    const specs = figureRequests(test.config);
    const groups = test.config.scenarios ? groupNames(test.config.scenarios).map(groupSpec) : [];
    for (const progress of test.drivers.values()) {
      const share = merge.update(progress.node_id, progress.latest, progress.latest_buckets, specs, groups);
      if (progress.latest && !share.latency && !nothingCompleted(progress.latest)) approximate = true;
      drivers.push(driverFigures(progress, share, plan, test.clock_offsets_ms[progress.node_id] ?? null));
    }
    const latency = approximate ? approximateLatency(drivers) : merge.latency();
    const counts = sumCounts(drivers);
    const interval = test.overall.latest(test.planned_rate, test.driver_ids.length);
    const flow = test.config.scenarios ? merge.flowFigures(drivers, groups, counts.elapsed_ms) : NO_FLOW;
    return { drivers, aggregate: { ...counts, latency, approximate, interval, requests: merge.requestsFigures(specs, drivers, counts.elapsed_ms), ...flow } };
  }
}

/** What a scenario test has beyond requests; a plain test has none of it. */
type FlowShare = Pick<Figures, 'groups' | 'iterations' | 'checks' | 'vus'>;
const NO_FLOW: FlowShare = { groups: [], iterations: null, checks: null, vus: null };

/** A group's figures are kept as a request name's are; it has no method or URL of its own. */
function groupSpec(name: string): RequestSpec {
  return { name, method: 'GET', url: '', weight: 1 };
}

function asGroup({ method: _method, url: _url, ...figures }: RequestFigures): GroupFigures {
  return figures;
}

type DriverShare = { latency: Latency | undefined; requests: RequestFigures[]; flow: FlowShare };

/** One test's running merges (overall and per request name), and which report of each driver they hold. */
class TestMerge {
  private readonly merge = new RunningMerge();
  private readonly byName = new Map<string, RunningMerge>();
  private readonly byGroup = new Map<string, RunningMerge>();
  private readonly iterationDurations = new RunningMerge();
  private readonly applied = new Map<string, { reportId: string; share: DriverShare }>();

  /**
   * Brings the driver's share up to its latest report (whose histogram the projection decoded); its exact
   * latency is undefined without a usable histogram.
   */
  update(nodeId: string, report: MetricsMessage | undefined, buckets: BucketCounts | undefined, specs: readonly RequestSpec[], groups: readonly RequestSpec[]): DriverShare {
    if (!report) return { latency: undefined, requests: [], flow: NO_FLOW };
    const applied = this.applied.get(nodeId);
    if (applied?.reportId === report.report_id) return applied.share;
    this.merge.replace(nodeId, buckets);
    const share = {
      latency: buckets && driverLatency(report, buckets),
      requests: this.updateNamed(this.byName, nodeId, report.requests_stats, report.elapsed_ms ?? 0, specs),
      flow: this.updateFlow(nodeId, report, groups),
    };
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

  /**
   * Over every driver: iterations and checks summed, iteration durations from the merged histograms,
   * groups as request names are (counts summed, latency merged).
   */
  flowFigures(drivers: readonly DriverFigures[], groups: readonly RequestSpec[], elapsedMs: number): FlowShare {
    const duration = this.iterationDurations.sources > 0 ? latencyOf(this.iterationDurations.summarize()) : EMPTY_LATENCY;
    return {
      iterations: sumIterations(drivers.map((d) => d.iterations), duration),
      checks: sumChecks(drivers.map((d) => d.checks)),
      vus: drivers.reduce((sum, d) => sum + (d.vus ?? 0), 0),
      groups: groups.map((spec) => {
        const own = drivers.flatMap((d) => d.groups.filter((g) => g.name === spec.name).map((g) => ({ ...g, method: spec.method, url: spec.url })));
        const merged = this.byGroup.get(requestName(spec));
        return asGroup({ ...sumRequestCounts(spec, own, elapsedMs), latency: merged && merged.sources > 0 ? latencyOf(merged.summarize()) : EMPTY_LATENCY });
      }),
    };
  }

  private updateFlow(nodeId: string, report: MetricsMessage, groups: readonly RequestSpec[]): FlowShare {
    if (report.iterations === undefined && report.checks === undefined) return NO_FLOW;
    const buckets = report.iteration_histogram === undefined ? undefined : decodeOrUndefined(report.iteration_histogram);
    this.iterationDurations.replace(nodeId, buckets);
    const duration = buckets && buckets.total > 0 ? latencyOf(summarize(histogramFromCounts(buckets))) : EMPTY_LATENCY;
    const iterations = report.iterations ? { ...report.iterations, failed_by_reason: report.iterations.failed_by_reason ?? {}, duration } : null;
    return {
      iterations,
      checks: report.checks ? checkTotals(report.checks) : null,
      vus: report.vus ?? null,
      groups: this.updateNamed(this.byGroup, nodeId, report.groups_stats, report.elapsed_ms ?? 0, groups).map(asGroup),
    };
  }

  /** One driver's figures per name (request, step or group), and its share of each name's merged histogram. */
  private updateNamed(merges: Map<string, RunningMerge>, nodeId: string, reported: readonly RequestStats[] | undefined, elapsedMs: number, specs: readonly RequestSpec[]): RequestFigures[] {
    const stats = new Map((reported ?? []).map((s) => [s.name, s]));
    return specs.map((spec) => {
      const name = requestName(spec);
      const own = stats.get(name);
      const buckets = own?.histogram === undefined ? undefined : decodeOrUndefined(own.histogram);
      let merge = merges.get(name);
      if (!merge) merges.set(name, (merge = new RunningMerge()));
      merge.replace(nodeId, buckets);
      const latency = buckets && buckets.total > 0 ? latencyOf(summarize(histogramFromCounts(buckets))) : EMPTY_LATENCY;
      return { ...requestCounts(spec, own, elapsedMs), latency };
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

/** Iterations over drivers (or one driver's by_name merged into totals); null when no driver ran scenarios. */
function sumIterations(parts: readonly (IterationFigures | null)[], duration: Latency): IterationFigures | null {
  const reported = parts.filter((p): p is IterationFigures => p !== null);
  if (reported.length === 0) return null;
  const failedByReason: Record<string, number> = {};
  for (const part of reported) addInto(failedByReason, part.failed_by_reason);
  const total = (pick: (p: IterationFigures) => number) => reported.reduce((sum, p) => sum + pick(p), 0);
  return { completed: total((p) => p.completed), failed: total((p) => p.failed), dropped: total((p) => p.dropped), failed_by_reason: failedByReason, duration };
}

/** Checks summed by name, in the order they first appear, with the totals over every check. */
function sumChecks(parts: readonly (CheckFigures | null)[]): CheckFigures | null {
  const reported = parts.filter((p): p is CheckFigures => p !== null);
  if (reported.length === 0) return null;
  const byName = new Map<string, { name: string; passes: number; fails: number }>();
  for (const part of reported) {
    for (const check of part.by_name) {
      const sum = byName.get(check.name) ?? { name: check.name, passes: 0, fails: 0 };
      sum.passes += check.passes;
      sum.fails += check.fails;
      byName.set(check.name, sum);
    }
  }
  return checkTotals([...byName.values()]);
}

/** Checks by name, with their totals over every check. */
function checkTotals(by_name: CheckFigures['by_name']): CheckFigures {
  return { passes: by_name.reduce((sum, c) => sum + c.passes, 0), fails: by_name.reduce((sum, c) => sum + c.fails, 0), by_name };
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

function driverFigures(progress: DriverProgress, share: DriverShare, plan: ProgressPlan, clockOffsetMs: number | null): DriverFigures {
  const { latency: exactLatency, requests, flow } = share;
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
    ...flow,
    reports: progress.reports,
    final: Boolean(progress.final),
    outcome: progress.final?.outcome ?? null,
    reason: progress.final?.reason ?? null,
    progress: progressOf(report, plan),
    phase: report?.phase ?? null,
    started_at: report?.started_at === undefined ? null : new Date(report.started_at).toISOString(),
    priming_ms: report?.priming_ms ?? null,
    clock_offset_ms: clockOffsetMs,
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

function sumCounts(drivers: DriverFigures[]): Omit<Figures, 'latency' | 'approximate' | 'requests' | 'interval' | keyof FlowShare> {
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
