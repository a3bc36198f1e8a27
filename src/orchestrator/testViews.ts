import { configView, type CapacityView, type Figures, type SteeringView, type TestDetailView, type TestReportView, type TestSummaryView } from '../api/index.js';
import { isPaused, type SteeringRecord } from './steering.js';
import { dataFigures } from './data/dataFigures.js';
import type { FiguresCalculator } from './testFigures.js';
import type { TestProjection } from './testProjection.js';

/** A test as the REST API and the live stream show it (the shapes are src/api's). */
export function summaryView(test: TestProjection, calculator: FiguresCalculator): TestSummaryView {
  return {
    test_id: test.test_id,
    state: test.state,
    reason: test.reason ?? null,
    created_at: test.created_at,
    triggered_at: test.triggered_at ?? null,
    finished_at: test.finished_at ?? null,
    // Tests created before max_duration_s travelled in the config kept it beside it.
    config: configView({ ...test.config, max_duration_s: test.config.max_duration_s ?? test.max_duration_s }),
    driver_ids: test.driver_ids,
    aggregate: calculator.figuresFor(test).aggregate,
    start_skew_ms: startSkewMs(test),
  };
}

/** The latest start minus the earliest, over the drivers that said when they started. */
function startSkewMs(test: TestProjection): number | null {
  const starts = [...test.drivers.values()].flatMap((d) => (d.latest?.started_at === undefined ? [] : [d.latest.started_at]));
  return starts.length < 2 ? null : Math.max(...starts) - Math.min(...starts);
}

export function detailView(test: TestProjection, calculator: FiguresCalculator): TestDetailView {
  return { ...summaryView(test, calculator), drivers: calculator.figuresFor(test).drivers, data: dataFigures(test), steering: test.steering.map((record) => steeringViewOf(test, record)), paused: isPaused(test.steering), capacity: capacityViewOf(test) };
}

function capacityViewOf(test: TestProjection): CapacityView | null {
  const search = test.capacity;
  if (!search) return null;
  return { ...search.spec, done: search.capacity_rps !== undefined, capacity_rps: search.capacity_rps ?? null, steps: search.steps };
}

function steeringViewOf(test: TestProjection, record: SteeringRecord): SteeringView {
  return { change_id: record.change_id, at: record.at, apply_at: new Date(record.apply_at).toISOString(), elapsed_ms: test.start_at === undefined ? null : record.apply_at - test.start_at, change: record.change };
}

export function reportView(test: TestProjection, calculator: FiguresCalculator): TestReportView {
  const timeline = Object.fromEntries([...test.drivers.values()].map((d) => [d.node_id, d.timeline]));
  return { ...detailView(test, calculator), timeline, overall_timeline: test.overall.points(test.planned_rate, test.driver_ids.length) };
}

/** The figures first (the columns the CSV always had), then where each row's request went and which test and run it belongs to. */
const CSV_COLUMNS = ['scope', 'node_id', 'request', 'method', 'sent', 'completed', 'errors', 'error_rate', 'rps', 'min_ms', 'mean_ms', 'median_ms', 'mode_ms', 'p90_ms', 'p95_ms', 'p99_ms', 'max_ms', 'approximate', 'url', 'bytes_received', 'test_id', 'state', 'test_type', 'target_url', 'message_count_per_driver', 'created_at', 'triggered_at', 'finished_at', 'elapsed_ms'] as const;

type CsvFigures = Pick<Figures, 'sent' | 'completed' | 'error_count' | 'rps' | 'latency' | 'bytes_received'> & { approximate?: boolean; elapsed_ms?: number };

/** One row per driver and one for the whole test, then per request name: overall, then per driver. Each row names its test, its config and its times. */
export function reportCsv(view: TestDetailView): string {
  const testColumns = [view.test_id, view.state, view.config.test_type, view.config.target_url ?? '', view.config.message_count_per_driver, view.created_at, view.triggered_at ?? '', view.finished_at ?? ''];
  const row = (scope: string, nodeId: string, request: { name: string; method: string; url: string } | undefined, f: CsvFigures) => [
    scope,
    nodeId,
    request?.name ?? '',
    request?.method ?? '',
    f.sent,
    f.completed,
    f.error_count,
    f.completed > 0 ? (f.error_count / f.completed).toFixed(6) : '0',
    f.rps ?? '',
    f.latency.min ?? '',
    f.latency.mean ?? '',
    f.latency.median ?? '',
    f.latency.mode ?? '',
    f.latency.p90 ?? '',
    f.latency.p95 ?? '',
    f.latency.p99 ?? '',
    f.latency.max ?? '',
    f.approximate ?? false,
    request?.url ?? '',
    f.bytes_received,
    ...testColumns,
    f.elapsed_ms ?? '',
  ];
  const rows = [
    ...view.drivers.map((d) => row('driver', d.node_id, undefined, d)),
    row('overall', '', undefined, view.aggregate),
    ...(view.aggregate.requests ?? []).map((r) => row('request', '', r, r)),
    ...view.drivers.flatMap((d) => (d.requests ?? []).map((r) => row('driver_request', d.node_id, r, r))),
  ];
  return csvText([...CSV_COLUMNS], rows);
}

type TimelineRows = { timeline: Record<string, object[]>; overall_timeline?: object[] };

/**
 * `part=timeline`: the series behind the charts, a row per point: each driver's, then the whole test's
 * where the report has an overall series. The columns are the points' own fields, so a field the
 * timeline gains becomes a column without a change here.
 */
export function reportTimelineCsv(view: Pick<TestDetailView, 'test_id'> & TimelineRows): string {
  const rows: { scope: string; node_id: string; point: Record<string, unknown> }[] = [
    ...Object.entries(view.timeline).flatMap(([nodeId, points]) => points.map((point) => ({ scope: 'driver', node_id: nodeId, point: point as Record<string, unknown> }))),
    ...(view.overall_timeline ?? []).map((point) => ({ scope: 'overall', node_id: '', point: point as Record<string, unknown> })),
  ];
  const fields = [...new Set(['elapsed_ms', ...rows.flatMap((r) => Object.keys(r.point))])];
  return csvText(['test_id', 'scope', 'node_id', ...fields], rows.map((r) => [view.test_id, r.scope, r.node_id, ...fields.map((f) => r.point[f] ?? '')]));
}

function csvText(columns: string[], rows: unknown[][]): string {
  return [columns.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
