import type { Figures, TestDetailView } from '../../api/index.js';
import { driverWarnings } from '../../api/lateStartWarning.js';
import { isFinished } from './testState.js';

const LATENCY_COLUMNS = ['min', 'mean', 'median', 'mode', 'p90', 'p95', 'p99', 'max'] as const;
const HEADER = ['scope', 'requests', 'errors', 'req/s', ...LATENCY_COLUMNS];

/** The end-of-test summary: a heading, one row per driver and an overall row, then notes. */
export function summaryTable(view: TestDetailView): string {
  const rows = [...view.drivers.map((d) => figuresRow(d.node_id, d)), figuresRow('overall', view.aggregate)];
  const flow = view.config.scenarios !== null;
  return [
    heading(view),
    '',
    ...alignColumns([HEADER, ...rows]).map((line) => `  ${line}`),
    ...requestsSection(view.aggregate.requests, flow ? 'step' : 'request'),
    ...requestsSection(view.aggregate.groups, 'group'),
    ...iterationsSection(view.aggregate),
    ...checksSection(view.aggregate),
    ...dataSection(view.data),
    ...notes(view),
  ].join('\n');
}

const NAMED_COLUMNS = ['requests', 'failures', 'req/s', 'median', 'p95', 'p99', 'max'];

/** Per request name (per step, per group) over every driver, as Locust's statistics table. */
function requestsSection(named: readonly (Figures['groups'][number] & { method?: string })[], what: 'request' | 'step' | 'group'): string[] {
  if (named.length === 0) return [];
  const withMethod = what !== 'group';
  const rows = named.map((r) => [r.name, ...(withMethod ? [r.method ?? ''] : []), String(r.completed), `${r.error_count} (${errorPercent(r)})`, fixed(r.rps, 1), fixed(r.latency.median, 2), fixed(r.latency.p95, 2), fixed(r.latency.p99, 2), fixed(r.latency.max, 2)]);
  const header = [what, ...(withMethod ? ['method'] : []), ...NAMED_COLUMNS];
  return ['', `  per ${what}:`, ...alignColumns([header, ...rows]).map((line) => `  ${line}`)];
}

/** Iterations over every driver: how many ended well, failed (and why), were dropped; their durations. */
function iterationsSection({ iterations, vus }: Figures): string[] {
  if (!iterations) return [];
  const reasons = Object.entries(iterations.failed_by_reason).filter(([, n]) => n > 0);
  const failed = `${iterations.failed}${reasons.length > 0 ? ` (${reasons.map(([why, n]) => `${why} ${n}`).join(', ')})` : ''}`;
  const d = iterations.duration;
  return [
    '',
    `  iterations: ${iterations.completed} completed, ${failed} failed, ${iterations.dropped} dropped${vus ? `; ${vus} VUs running` : ''}`,
    `  iteration duration (ms): median ${fixed(d.median, 1)}, p95 ${fixed(d.p95, 1)}, p99 ${fixed(d.p99, 1)}, max ${fixed(d.max, 1)}`,
  ];
}

/** Each check with its pass rate, as k6's summary shows them. */
function checksSection({ checks }: Figures): string[] {
  if (!checks || checks.by_name.length === 0) return [];
  const rows = checks.by_name.map((c) => [c.name, String(c.passes), String(c.fails), passPercent(c)]);
  return ['', `  checks: ${passPercent(checks)} of ${checks.passes + checks.fails} passed`, ...alignColumns([['check', 'passes', 'fails', 'pass %'], ...rows]).map((line) => `  ${line}`)];
}

/** Per data source: its rows used, and where the unused unique ones are (never dealt, held, unused at the end, lost with a driver). */
function dataSection(sources: TestDetailView['data']): string[] {
  if (sources.length === 0) return [];
  const cell = (value: number | null) => (value === null ? '-' : String(value));
  const rows = sources.map((s) => [s.source, s.mode, String(s.rows), String(s.used), cell(s.left), cell(s.unused), s.lost.length === 0 ? (s.mode === 'unique' ? '0' : '-') : s.lost.map((l) => `${l.rows} (${l.node_id})`).join(', ')]);
  return ['', '  data:', ...alignColumns([['source', 'mode', 'rows', 'used', 'left', 'unused', 'lost with a driver'], ...rows]).map((line) => `  ${line}`)];
}

function passPercent(c: { passes: number; fails: number }): string {
  const total = c.passes + c.fails;
  return total > 0 ? `${((c.passes / total) * 100).toFixed(2)}%` : '-';
}

function heading(view: TestDetailView): string {
  const config = view.config;
  const seconds = (view.aggregate.elapsed_ms / 1000).toFixed(1);
  const shape = config.scenarios
    ? `scenarios ${Object.entries(config.scenarios).map(([name, s]) => `${name} (${s.executor})`).join(', ')} × ${view.drivers.length} driver${view.drivers.length === 1 ? '' : 's'}`
    : `${config.test_type}, ${config.message_count_per_driver} requests per driver × ${view.drivers.length}`;
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
  if (view.start_skew_ms !== null) lines.push(`  drivers started within ${view.start_skew_ms} ms of each other (each on its own clock)`);
  const unfinished = view.aggregate.sent - view.aggregate.completed;
  if (unfinished > 0) lines.push(`  ${unfinished} sent request(s) never completed`);
  const kinds = Object.entries(view.aggregate.errors).filter(([, count]) => count > 0);
  if (kinds.length > 0) lines.push(`  errors by kind: ${kinds.map(([kind, count]) => `${kind} ${count}`).join(', ')}`);
  const statuses = Object.entries(view.aggregate.status_counts ?? {});
  if (statuses.length > 0) lines.push(`  responses by status: ${statuses.map(([status, count]) => `${status} ${count}`).join(', ')}`);
  for (const d of view.drivers) {
    if (d.outcome && d.outcome !== 'completed') lines.push(`  ${d.node_id}: ${d.outcome}${d.reason ? ` (${d.reason})` : ''}`);
    if (!d.final && isFinished(view)) lines.push(`  ${d.node_id}: no final report received`);
    for (const warning of driverWarnings([d])) lines.push(`  ⚠ ${warning.text}`);
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
