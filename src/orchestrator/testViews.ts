import { configView, type Figures, type TestDetailView, type TestReportView, type TestSummaryView } from '../api/index.js';
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
  };
}

export function detailView(test: TestProjection, calculator: FiguresCalculator): TestDetailView {
  return { ...summaryView(test, calculator), drivers: calculator.figuresFor(test).drivers };
}

export function reportView(test: TestProjection, calculator: FiguresCalculator): TestReportView {
  const timeline = Object.fromEntries([...test.drivers.values()].map((d) => [d.node_id, d.timeline]));
  return { ...detailView(test, calculator), timeline, overall_timeline: test.overall.points(test.config, test.driver_ids.length) };
}

const CSV_COLUMNS = ['scope', 'node_id', 'request', 'method', 'sent', 'completed', 'errors', 'error_rate', 'rps', 'min_ms', 'mean_ms', 'median_ms', 'mode_ms', 'p90_ms', 'p95_ms', 'p99_ms', 'max_ms', 'approximate'] as const;

type CsvFigures = Pick<Figures, 'sent' | 'completed' | 'error_count' | 'rps' | 'latency'> & { approximate?: boolean };

/** One row per driver and one for the whole test, then per request name: overall, then per driver. */
export function reportCsv(view: TestDetailView): string {
  const row = (scope: string, nodeId: string, request: { name: string; method: string } | undefined, f: CsvFigures) => [
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
  ];
  const rows = [
    ...view.drivers.map((d) => row('driver', d.node_id, undefined, d)),
    row('overall', '', undefined, view.aggregate),
    ...(view.aggregate.requests ?? []).map((r) => row('request', '', r, r)),
    ...view.drivers.flatMap((d) => (d.requests ?? []).map((r) => row('driver_request', d.node_id, r, r))),
  ];
  return [CSV_COLUMNS.join(','), ...rows.map((r) => r.map(csvCell).join(','))].join('\n') + '\n';
}

function csvCell(value: unknown): string {
  const text = String(value);
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}
