import type { Figures, TestDetailView } from '../../api/index.js';
import { lateStartWarning } from '../../api/lateStartWarning.js';
import { isFinished } from './testState.js';

const LATENCY_COLUMNS = ['min', 'mean', 'median', 'mode', 'p90', 'p95', 'p99', 'max'] as const;
const HEADER = ['scope', 'requests', 'errors', 'req/s', ...LATENCY_COLUMNS];

/** The end-of-test summary: a heading, one row per driver and an overall row, then notes. */
export function summaryTable(view: TestDetailView): string {
  const rows = [...view.drivers.map((d) => figuresRow(d.node_id, d)), figuresRow('overall', view.aggregate)];
  return [heading(view), '', ...alignColumns([HEADER, ...rows]).map((line) => `  ${line}`), ...requestsSection(view.aggregate.requests), ...notes(view)].join('\n');
}

const REQUEST_HEADER = ['request', 'method', 'requests', 'failures', 'req/s', 'median', 'p95', 'p99', 'max'];

/** Per request name over every driver, as Locust's statistics table. */
function requestsSection(requests: Figures['requests']): string[] {
  if (requests.length === 0) return [];
  const rows = requests.map((r) => [r.name, r.method, String(r.completed), `${r.error_count} (${errorPercent(r)})`, fixed(r.rps, 1), fixed(r.latency.median, 2), fixed(r.latency.p95, 2), fixed(r.latency.p99, 2), fixed(r.latency.max, 2)]);
  return ['', '  per request:', ...alignColumns([REQUEST_HEADER, ...rows]).map((line) => `  ${line}`)];
}

function heading(view: TestDetailView): string {
  const config = view.config;
  const seconds = (view.aggregate.elapsed_ms / 1000).toFixed(1);
  const shape = `${config.test_type}, ${config.message_count_per_driver} requests per driver × ${view.drivers.length}`;
  const reason = view.reason ? `: ${view.reason}` : '';
  return `test ${view.test_id} (${shape}) ${view.state} after ${seconds} s${reason}`;
}

function figuresRow(scope: string, f: Figures): string[] {
  const latency = LATENCY_COLUMNS.map((name) => fixed(f.latency[name], 2));
  return [scope, String(f.completed), `${f.error_count} (${errorPercent(f)})`, fixed(f.rps, 1), ...latency];
}

export function errorPercent(f: Pick<Figures, 'error_count' | 'completed'>): string {
  const rate = f.completed > 0 ? (f.error_count / f.completed) * 100 : 0;
  return `${rate.toFixed(2)}%`;
}

function fixed(value: number | null, decimals: number): string {
  return value === null ? '-' : value.toFixed(decimals);
}

function notes(view: TestDetailView): string[] {
  const lines = ['', '  requests: completed (answered or failed); latencies in ms'];
  const unfinished = view.aggregate.sent - view.aggregate.completed;
  if (unfinished > 0) lines.push(`  ${unfinished} sent request(s) never completed`);
  const kinds = Object.entries(view.aggregate.errors).filter(([, count]) => count > 0);
  if (kinds.length > 0) lines.push(`  errors by kind: ${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  const statuses = Object.entries(view.aggregate.status_counts ?? {});
  if (statuses.length > 0) lines.push(`  responses by status: ${statuses.map(([status, count]) => `${status} ${count}`).join(', ')}`);
  for (const d of view.drivers) {
    if (d.outcome && d.outcome !== 'completed') lines.push(`  ${d.node_id}: ${d.outcome}${d.reason ? ` (${d.reason})` : ''}`);
    if (!d.final && isFinished(view)) lines.push(`  ${d.node_id}: no final report received`);
    const late = lateStartWarning(d);
    if (late) lines.push(`  ⚠ ${late}`);
  }
  if (view.aggregate.approximate) {
    lines.push('  ⚠ approximate: some driver sent no latency histogram, so the overall median and percentiles are completed-weighted means of the drivers\' figures');
  }
  return lines;
}

/** Left-aligns the first column, right-aligns the others (numbers), two spaces apart. */
export function alignColumns(rows: readonly string[][]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ').trimEnd());
}
