import type { RequestSpec } from '../protocol/index.js';
import type { DriverFigures, Figures, FiguresCalculator } from './testFigures.js';
import type { TestProjection, TimelinePoint } from './testProjection.js';

/** The JSON shape of a test on the REST API and the live stream (snake_case, as on the wire). */
export type TestSummaryView = {
  test_id: string;
  state: TestProjection['state'];
  reason: string | null;
  created_at: string;
  triggered_at: string | null;
  finished_at: string | null;
  config: {
    test_type: string;
    test_message_delay: number;
    message_count_per_driver: number;
    target_url: string | null;
    throughput_per_driver: number | null;
    timeout_ms: number | null;
    concurrency: number | null;
    warmup_count_per_driver: number | null;
    max_duration_s: number | null;
    requests: RequestSpec[] | null;
    tls_insecure: boolean;
  };
  driver_ids: string[];
  aggregate: Figures;
};

export type TestDetailView = TestSummaryView & { drivers: DriverFigures[] };
export type TestReportView = TestDetailView & { timeline: Record<string, TimelinePoint[]> };

export function summaryView(test: TestProjection, calculator: FiguresCalculator): TestSummaryView {
  const c = test.config;
  return {
    test_id: test.test_id,
    state: test.state,
    reason: test.reason ?? null,
    created_at: test.created_at,
    triggered_at: test.triggered_at ?? null,
    finished_at: test.finished_at ?? null,
    config: {
      test_type: c.test_type,
      test_message_delay: c.test_message_delay,
      message_count_per_driver: c.message_count_per_driver,
      target_url: c.target_url ?? null,
      throughput_per_driver: c.throughput_per_driver ?? null,
      timeout_ms: c.timeout_ms ?? null,
      concurrency: c.concurrency ?? null,
      warmup_count_per_driver: c.warmup_count_per_driver ?? null,
      max_duration_s: test.max_duration_s ?? null,
      requests: c.requests ?? null,
      tls_insecure: c.tls_insecure ?? false,
    },
    driver_ids: test.driver_ids,
    aggregate: calculator.figuresFor(test).aggregate,
  };
}

export function detailView(test: TestProjection, calculator: FiguresCalculator): TestDetailView {
  return { ...summaryView(test, calculator), drivers: calculator.figuresFor(test).drivers };
}

export function reportView(test: TestProjection, calculator: FiguresCalculator): TestReportView {
  const timeline = Object.fromEntries([...test.drivers.values()].map((d) => [d.node_id, d.timeline]));
  return { ...detailView(test, calculator), timeline };
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
