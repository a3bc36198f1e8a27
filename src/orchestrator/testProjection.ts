import type { TimelinePoint } from '../api/index.js';
import type { MetricsMessage, TestConfigMessage } from '../protocol/index.js';
import type { TestEvent, TestState } from './testEvents.js';

export type { TimelinePoint };

export type DriverProgress = {
  node_id: string;
  /** the report with the highest seq so far (cumulative figures) */
  latest: MetricsMessage | undefined;
  reports: number;
  final: MetricsMessage | undefined;
  /** when the orchestrator received the latest report (ISO-8601), for supervision */
  last_report_at: string | undefined;
  timeline: TimelinePoint[];
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
    version: 1,
  };
}

function emptyProgress(node_id: string): DriverProgress {
  return { node_id, latest: undefined, reports: 0, final: undefined, last_report_at: undefined, timeline: [] };
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
      }
      return;
    case 'report_received':
      applyReport(test, event.report, event.at);
      return;
    case 'cancel_requested':
      test.cancel_requested_at ??= event.at;
      return;
    case 'test_finished':
      if (test.state === 'created' || test.state === 'running') {
        test.state = event.state;
        test.reason = event.reason;
        test.finished_at = event.at;
      }
      return;
  }
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
  if (newer) progress.latest = report;
  const errors = sumErrors(report.errors);
  // The spec makes every latency field a number, so a report with no successful response says 0; a
  // chart must show no latency there, not a latency of 0 ms. Spec-only drivers send no `completed`.
  const hasLatency = report.completed === undefined || report.completed > errors;
  progress.timeline.push({
    elapsed_ms: report.elapsed_ms ?? 0,
    sent: report.sent ?? 0,
    completed: report.completed ?? 0,
    errors,
    median: hasLatency ? report.metrics.median_latency : null,
    p99: hasLatency ? (report.metrics.p99_latency ?? null) : null,
  });
}

export function sumErrors(errors: Record<string, number> | undefined): number {
  let total = 0;
  for (const count of Object.values(errors ?? {})) total += count;
  return total;
}

export function isFinished(test: TestProjection): boolean {
  return test.state === 'completed' || test.state === 'failed' || test.state === 'cancelled';
}

/** The chosen drivers that have not sent their final report yet. */
export function driversStillRunning(test: TestProjection): string[] {
  return test.driver_ids.filter((id) => !test.drivers.get(id)?.final);
}
