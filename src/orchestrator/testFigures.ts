import type { MetricsMessage } from '../protocol/index.js';
import { decodeHistogram, mergeHistograms, type LatencyHistogram } from '../stats/latencyHistogram.js';
import { summarize, type LatencySummary } from '../stats/summary.js';
import { sumErrors, type DriverProgress, type TestProjection } from './testProjection.js';

export type Latency = Omit<LatencySummary, 'count'>;

export type Figures = {
  sent: number;
  completed: number;
  errors: Record<string, number>;
  error_count: number;
  in_flight: number;
  late_starts: number;
  /** completed requests per second of the run so far */
  rps: number | null;
  elapsed_ms: number;
  latency: Latency;
  /** true when some driver sent only the spec's four numbers, so no exact merge was possible */
  approximate: boolean;
};

export type DriverFigures = Figures & {
  node_id: string;
  reports: number;
  final: boolean;
  outcome: string | null;
  reason: string | null;
  /** sent against message_count_per_driver, 0..1 */
  progress: number;
};

export type TestFigures = { drivers: DriverFigures[]; aggregate: Figures };

const EMPTY_LATENCY: Latency = { min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };

/**
 * Per-driver and overall figures. Overall latencies come from merging the drivers' cumulative
 * histograms, never from averaging their means or medians; decoded histograms are cached per report.
 */
export class FiguresCalculator {
  /** Per report: its decoded histogram (null when undecodable) and that histogram's summary. */
  readonly #decoded = new Map<string, DecodedReport | null>();
  readonly #byTest = new Map<string, { version: number; figures: TestFigures }>();

  figuresFor(test: TestProjection): TestFigures {
    const cached = this.#byTest.get(test.test_id);
    if (cached && cached.version === test.version) return cached.figures;
    const figures = this.compute(test);
    this.#byTest.set(test.test_id, { version: test.version, figures });
    return figures;
  }

  private compute(test: TestProjection): TestFigures {
    const reports = [...test.drivers.values()].map((progress) => ({ progress, report: progress.latest, decoded: this.decodedOf(progress.latest) }));
    const drivers = reports.map(({ progress, report, decoded }) => driverFigures(progress, report, decoded, test.config.message_count_per_driver));
    const withHistogram = reports.flatMap((r) => (r.decoded ? [r.decoded.histogram] : []));
    const approximate = reports.some((r) => r.report && !r.decoded);
    const latency = approximate ? approximateLatency(drivers) : latencyOf(withHistogram.length > 0 ? mergeHistograms(withHistogram) : undefined);
    return { drivers, aggregate: { ...sumCounts(drivers), latency, approximate } };
  }

  /**
   * A report is decoded and summarized once: with many drivers most of them have not reported since the
   * figures were last computed, and summarizing every driver's histogram again would dominate.
   */
  private decodedOf(report: MetricsMessage | undefined): DecodedReport | undefined {
    if (!report?.histogram) return undefined;
    if (!this.#decoded.has(report.report_id)) {
      const histogram = decodeOrNull(report.histogram);
      this.#decoded.set(report.report_id, histogram ? { histogram, latency: latencyOf(histogram) } : null);
      this.forgetOldHistograms();
    }
    return this.#decoded.get(report.report_id) ?? undefined;
  }

  /** Only each driver's latest report matters; keep the cache from growing with every report. */
  private forgetOldHistograms(): void {
    const limit = 20_000;
    if (this.#decoded.size <= limit) return;
    const excess = this.#decoded.size - limit / 2;
    let removed = 0;
    for (const key of this.#decoded.keys()) {
      if (removed++ >= excess) break;
      this.#decoded.delete(key);
    }
  }
}

type DecodedReport = { histogram: LatencyHistogram; latency: Latency };

function decodeOrNull(text: string): LatencyHistogram | null {
  try {
    return decodeHistogram(text);
  } catch {
    return null;
  }
}

function latencyOf(histogram: LatencyHistogram | undefined): Latency {
  if (!histogram) return EMPTY_LATENCY;
  const { count: _count, ...latency } = summarize(histogram);
  return latency;
}

function driverFigures(progress: DriverProgress, report: MetricsMessage | undefined, decoded: DecodedReport | undefined, perDriver: number): DriverFigures {
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
    in_flight: report?.in_flight ?? Math.max(0, sent - completed),
    late_starts: report?.late_starts ?? 0,
    rps: elapsed > 0 ? round3((completed * 1000) / elapsed) : null,
    elapsed_ms: elapsed,
    latency: decoded ? decoded.latency : report ? specOnlyLatency(report) : EMPTY_LATENCY,
    approximate: Boolean(report && !decoded),
    reports: progress.reports,
    final: Boolean(progress.final),
    outcome: progress.final?.outcome ?? null,
    reason: progress.final?.reason ?? null,
    progress: perDriver > 0 ? Math.min(1, sent / perDriver) : 0,
  };
}

/** A spec-only driver's report: its own four numbers, plus any extension figures it sent. */
function specOnlyLatency(report: MetricsMessage): Latency {
  const m = report.metrics;
  return { min: m.min_latency, max: m.max_latency, mean: m.mean_latency, median: m.median_latency, mode: m.mode_latency ?? null, p90: m.p90_latency ?? null, p95: m.p95_latency ?? null, p99: m.p99_latency ?? null };
}

function sumCounts(drivers: DriverFigures[]): Omit<Figures, 'latency' | 'approximate'> {
  const errors: Record<string, number> = {};
  let sent = 0;
  let completed = 0;
  let inFlight = 0;
  let lateStarts = 0;
  let elapsed = 0;
  for (const d of drivers) {
    sent += d.sent;
    completed += d.completed;
    inFlight += d.in_flight;
    lateStarts += d.late_starts;
    elapsed = Math.max(elapsed, d.elapsed_ms);
    for (const [kind, count] of Object.entries(d.errors)) errors[kind] = (errors[kind] ?? 0) + count;
  }
  return { sent, completed, errors, error_count: sumErrors(errors), in_flight: inFlight, late_starts: lateStarts, rps: elapsed > 0 ? round3((completed * 1000) / elapsed) : null, elapsed_ms: elapsed };
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
