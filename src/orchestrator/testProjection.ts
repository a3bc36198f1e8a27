import type { IntervalPoint, TimelinePoint } from '../api/index.js';
import { plannedRateBetween, type MetricsMessage, type TestConfigMessage } from '../protocol/index.js';
import { steeredPlan, type PlannedRate, type SteeringRecord } from './steering.js';
import type { CapacityStep, FindCapacity } from '../api/capacity.js';
import { intervalPercentiles, subtractCounts } from '../stats/intervalCounts.js';
import { decodeHistogramCounts, type BucketCounts } from '../stats/latencyHistogram.js';
import { OverallTimeline } from './overallTimeline.js';
import type { TestEvent, TestState } from './testEvents.js';
import { applyGrant, emptyDealing, type SourceDealing } from './data/rowDealing.js';

export type { IntervalPoint, TimelinePoint };

/** The cumulative state of a driver's previous report, which the next interval is measured from. */
type ReportMark = { seq: number; elapsed_ms: number; sent: number; completed: number; errors: number; buckets: BucketCounts | undefined };

export type DriverProgress = {
  node_id: string;
  /** the report with the highest seq so far (cumulative figures) */
  latest: MetricsMessage | undefined;
  reports: number;
  final: MetricsMessage | undefined;
  /** when the orchestrator received the latest report (ISO-8601), for supervision */
  last_report_at: string | undefined;
  timeline: TimelinePoint[];
  /** the latest report's decoded latency histogram (undefined: none, or not decodable), shared with the figures */
  latest_buckets: BucketCounts | undefined;
  mark: ReportMark | undefined;
  /** it reports its figures by intended start (start_seconds): the overall timeline takes those, not its intervals */
  by_start: boolean;
};

/** A test as its event log describes it. Built only by `applyTestEvent`, so replay gives the same. */
export type TestProjection = {
  test_id: string;
  state: TestState;
  reason: string | undefined;
  config: TestConfigMessage;
  driver_ids: string[];
  max_duration_s: number | undefined;
  created_at: string;
  triggered_at: string | undefined;
  finished_at: string | undefined;
  cancel_requested_at: string | undefined;
  drivers: Map<string, DriverProgress>;
  overall: OverallTimeline;
  /** each driver's clock offset when the test was triggered (GET /api/drivers' clock_offset_ms) */
  clock_offsets_ms: Record<string, number>;
  /** drivers lost (or gone) without a final report when the test ended */
  drivers_lost: string[];
  /** rows of each data source's file, as it was when the test was created */
  data_rows: Record<string, number>;
  /** how each data source's unique rows were dealt */
  dealing: Map<string, SourceDealing>;
  /** the instant (epoch ms) the trigger asked every driver to start at, when it named one */
  start_at: number | undefined;
  /** a capacity search's spec, its steps as judged, and its answer once found (undefined until then) */
  capacity: { spec: FindCapacity; steps: CapacityStep[]; capacity_rps: number | null | undefined } | undefined;
  /** the changes of the running test, in order */
  steering: SteeringRecord[];
  /** one driver's planned start rate over an interval of its workload: the config's, as steered */
  planned_rate: PlannedRate;
  /** bumped by every applied event, so caches of derived figures know when to recompute */
  version: number;
};

export function createProjection(event: Extract<TestEvent, { type: 'test_created' }>): TestProjection {
  return {
    test_id: event.config.test_id,
    state: 'created',
    reason: undefined,
    config: event.config,
    driver_ids: event.driver_ids,
    max_duration_s: event.max_duration_s,
    created_at: event.at,
    triggered_at: undefined,
    finished_at: undefined,
    cancel_requested_at: undefined,
    drivers: new Map(event.driver_ids.map((id) => [id, emptyProgress(id)])),
    overall: new OverallTimeline(),
    clock_offsets_ms: {},
    drivers_lost: [],
    data_rows: event.data_rows ?? {},
    dealing: new Map(),
    start_at: undefined,
    capacity: event.find_capacity ? { spec: event.find_capacity, steps: [], capacity_rps: undefined } : undefined,
    steering: [],
    planned_rate: (fromMs, toMs) => plannedRateBetween(event.config, fromMs, toMs),
    version: 1,
  };
}

function emptyProgress(node_id: string): DriverProgress {
  return { node_id, latest: undefined, reports: 0, final: undefined, last_report_at: undefined, timeline: [], latest_buckets: undefined, mark: undefined, by_start: false };
}

/** Applies one event. State transitions that the lifecycle forbids are ignored, never thrown. */
export function applyTestEvent(test: TestProjection, event: TestEvent): void {
  test.version += 1;
  switch (event.type) {
    case 'test_created':
      return;
    case 'test_triggered':
      if (test.state === 'created') {
        test.state = 'running';
        test.triggered_at = event.at;
        test.clock_offsets_ms = event.clock_offsets_ms ?? {};
        test.start_at = event.start_at;
      }
      return;
    case 'test_steered':
      test.steering.push({ change_id: event.change_id, at: event.at, apply_at: event.apply_at, change: event.change });
      test.planned_rate = steeredPlan(test.config, test.steering, test.start_at ?? Date.parse(test.triggered_at ?? event.at)) ?? test.planned_rate;
      return;
    case 'report_received':
      applyReport(test, event.report, event.at);
      return;
    case 'cancel_requested':
      test.cancel_requested_at ??= event.at;
      return;
    case 'capacity_step': {
      const { type: _type, at: _at, ...step } = event;
      test.capacity?.steps.push(step);
      return;
    }
    case 'capacity_found':
      if (test.capacity) test.capacity.capacity_rps = event.capacity_rps;
      return;
    case 'data_granted':
      applyGrant(dealingOf(test, event.source), event);
      return;
    case 'test_finished':
      if (test.state === 'created' || test.state === 'running') {
        test.state = event.state;
        test.reason = event.reason;
        test.finished_at = event.at;
        test.drivers_lost = event.drivers_lost ?? [];
      }
      return;
  }
}

export function dealingOf(test: TestProjection, source: string): SourceDealing {
  let dealing = test.dealing.get(source);
  if (!dealing) test.dealing.set(source, (dealing = emptyDealing()));
  return dealing;
}

function applyReport(test: TestProjection, report: MetricsMessage, at: string): void {
  let progress = test.drivers.get(report.node_id);
  if (!progress) {
    // A driver outside the chosen set reported anyway: keep its figures visible, apart.
    progress = emptyProgress(report.node_id);
    test.drivers.set(report.node_id, progress);
  }
  progress.reports += 1;
  progress.last_report_at = at;
  if (report.final) progress.final = report;
  const newer = !progress.latest || (report.seq ?? Number.MAX_SAFE_INTEGER) >= (progress.latest.seq ?? 0) || report.final;
  const buckets = report.histogram === undefined ? undefined : decodeOrUndefined(report.histogram);
  if (newer) {
    progress.latest = report;
    progress.latest_buckets = buckets;
  }
  if (report.phase !== 'warmup' && report.start_seconds) {
    progress.by_start = true;
    test.overall.addStartSeconds(report.node_id, report.start_seconds);
  }
  // Warm-up reports measure nothing; a report older than the last one measured (out of order) has no interval.
  if (report.phase === 'warmup' || (progress.mark && (report.seq ?? Number.MAX_SAFE_INTEGER) <= progress.mark.seq)) return;
  const mark: ReportMark = { seq: report.seq ?? Number.MAX_SAFE_INTEGER, elapsed_ms: report.elapsed_ms ?? 0, sent: report.sent ?? 0, completed: report.completed ?? 0, errors: sumErrors(report.errors), buckets };
  const interval = buckets ? subtractCounts(buckets, progress.mark?.buckets) : undefined;
  const point = { ...timelinePoint(test.planned_rate, mark, progress.mark, interval), vus: report.vus ?? null };
  progress.mark = mark;
  progress.timeline.push(point);
  if (!progress.by_start) test.overall.add(report.node_id, point, interval);
}

function timelinePoint(plannedRate: PlannedRate, now: ReportMark, before: ReportMark | undefined, interval: BucketCounts | undefined): Omit<TimelinePoint, 'vus'> {
  const from = before ?? { elapsed_ms: 0, sent: 0, completed: 0, errors: 0 };
  const ms = Math.max(0, now.elapsed_ms - from.elapsed_ms);
  const perSecond = (count: number) => (ms > 0 ? round3((count * 1000) / ms) : null);
  const planned = plannedRate(from.elapsed_ms, now.elapsed_ms);
  // A spec-only driver sends no histogram: its interval has counts but no percentiles.
  const percentiles = interval ? intervalPercentiles(interval) : { p50: null, p95: null, p99: null };
  return {
    elapsed_ms: now.elapsed_ms,
    sent: now.sent,
    completed: now.completed,
    interval_ms: ms,
    interval_sent: Math.max(0, now.sent - from.sent),
    interval_completed: Math.max(0, now.completed - from.completed),
    rps: perSecond(Math.max(0, now.completed - from.completed)),
    sent_rps: perSecond(Math.max(0, now.sent - from.sent)),
    errors: Math.max(0, now.errors - from.errors),
    ...percentiles,
    planned_rps: planned === null ? null : round3(planned),
  };
}

function decodeOrUndefined(text: string): BucketCounts | undefined {
  try {
    return decodeHistogramCounts(text);
  } catch {
    return undefined;
  }
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}

export function sumErrors(errors: Record<string, number> | undefined): number {
  let total = 0;
  for (const count of Object.values(errors ?? {})) total += count;
  return total;
}

export function isFinished(test: Pick<TestProjection, 'state'>): boolean {
  return test.state === 'completed' || test.state === 'failed' || test.state === 'cancelled';
}

/** The chosen drivers that have not sent their final report yet. */
export function driversStillRunning(test: TestProjection): string[] {
  return test.driver_ids.filter((id) => !test.drivers.get(id)?.final);
}
