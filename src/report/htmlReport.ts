import type { CheckFigures, DriverFigures, Figures, GroupFigures, IterationFigures, RequestFigures, TestReportView } from '../api/index.js';
import type { ThresholdResult } from '../api/thresholds.js';
import { CLOCK_OFF_WARNING_MS, driverWarnings } from '../api/lateStartWarning.js';
import { describeSteering } from '../api/steeringText.js';
import { reportCharts, type TimelineSource } from './chartSeries.js';
import type { MachineInfo } from './machine.js';
import { REPORT_CSS, REPORT_SCRIPT } from './reportPage.js';
import { uplotAssets } from './uplotAssets.js';

/**
 * The self-contained HTML report: one file with its styles, uPlot, its drawing script and its data
 * inline, so it opens from a mail attachment or a CI artifact with no network. Tables are rendered
 * here (they print and read without script); the script only draws the charts. Every piece of text
 * from the test (ids, URLs, error messages) goes through `escapeHtml`, and the embedded JSON cannot
 * close its script element.
 */
export type HtmlReportInput = {
  report: TestReportView & Pick<TimelineSource, 'overall_timeline'>;
  /** The verdicts `stampede run --threshold` reached; undefined when none were evaluated (the REST API does not know them). */
  thresholds?: ThresholdResult[] | undefined;
  machine: MachineInfo;
  generated_at: string;
};

export function htmlReport(input: HtmlReportInput): string {
  const { report } = input;
  const charts = reportCharts(report);
  const uplot = uplotAssets();
  const body = [
    header(report),
    thresholdsSection(input.thresholds),
    ...(isScenarioTest(report) ? [scenariosSection(report.config.scenarios ?? {})] : []),
    section('Overall', 'overall', figuresTable([{ key: 'overall', label: 'all drivers', figures: report.aggregate }])),
    section('Per driver', 'drivers', report.drivers.length === 0 ? empty('No driver reported.') : figuresTable(report.drivers.map((d) => ({ key: `driver:${d.node_id}`, label: d.node_id, figures: d, outcome: driverOutcome(d) })))),
    requestsSection(report),
    ...scenarioFigureSections(report),
    section('Over time', 'charts', charts.length === 0 ? empty('No timeline: no driver reported during the run.') : charts.map((c) => `<figure class="chart" id="chart-${c.id}" data-chart="${c.id}"><figcaption>${escapeHtml(c.title)} (${escapeHtml(c.unit)})</figcaption></figure>`).join('')),
    steeringSection(report),
    capacitySection(report),
    errorsSection(report.aggregate),
    statusSection(report.aggregate),
    lateStartsSection(report),
    configSection(report.config),
    machineSection(input.machine, input.generated_at),
  ].join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<meta name="color-scheme" content="light dark">
<title>Stampede report: ${escapeHtml(report.test_id)}</title>
<style>${uplot.css}</style>
<style>${REPORT_CSS}</style>
</head>
<body>
<main>
${body}
</main>
<script type="application/json" id="report-charts">${scriptSafeJson(charts)}</script>
<script type="application/json" id="report-data">${scriptSafeJson({ report, thresholds: input.thresholds ?? null, machine: input.machine, generated_at: input.generated_at })}</script>
<script>${uplot.script}</script>
<script>${REPORT_SCRIPT}</script>
</body>
</html>
`;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] ?? c);
}

/** JSON inside <script>: `<` (and the two line separators old parsers choke on) as \u escapes, so no `</script>` in the data ends it. */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A figure as shown: grouped thousands, at most 3 decimals (the API's own rounding); data-value keeps the raw number. */
export function shownNumber(value: number | null | undefined): string {
  if (value === null || value === undefined) return '–';
  return value.toLocaleString('en-US', { maximumFractionDigits: 3 });
}

function cell(figure: string, value: number | null | undefined, extra = ''): string {
  const raw = value === null || value === undefined ? '' : String(value);
  return `<td class="num${extra}" data-figure="${escapeHtml(figure)}" data-value="${escapeHtml(raw)}">${shownNumber(value)}</td>`;
}

function section(title: string, id: string, content: string): string {
  return `<section id="${id}"><h2>${escapeHtml(title)}</h2>${content}</section>`;
}

function empty(text: string): string {
  return `<p class="empty">${escapeHtml(text)}</p>`;
}

function header(report: TestReportView): string {
  const facts: [string, string | null][] = [
    ['state', report.state],
    ['reason', report.reason],
    ['created', report.created_at],
    ['triggered', report.triggered_at],
    ['finished', report.finished_at],
    ['drivers', report.driver_ids.join(', ')],
    ['start skew', report.start_skew_ms === null ? null : `${report.start_skew_ms} ms between the first and the last driver's start`],
  ];
  return `<header>
<h1>Stampede report <span class="test-id" data-testid="test-id">${escapeHtml(report.test_id)}</span></h1>
<p class="state state-${escapeHtml(report.state)}" data-testid="test-state">${escapeHtml(report.state)}</p>
<dl class="facts">${facts
    .filter(([, value]) => value !== null && value !== '')
    .map(([name, value]) => `<dt>${name}</dt><dd data-testid="fact-${name}">${escapeHtml(value)}</dd>`)
    .join('')}</dl>
</header>`;
}

/** A capacity search's answer and a row per step, in the order run. */
function capacitySection(report: TestReportView): string {
  const search = report.capacity;
  if (!search) return '';
  const answer = search.capacity_rps === null ? `No rate met every SLO (${search.slo.join(', ')}).` : `${shownNumber(search.capacity_rps)} req/s met every SLO (${search.slo.join(', ')}).`;
  const rows = search.steps
    .map((s, i) => `<tr data-step="${i + 1}"><td class="num">${i + 1}</td>${cell(`capacity:${i + 1}/rate`, s.rate)}${cell(`capacity:${i + 1}/achieved`, s.achieved_rps)}${cell(`capacity:${i + 1}/p50`, s.p50)}${cell(`capacity:${i + 1}/p99`, s.p99)}${cell(`capacity:${i + 1}/error_rate`, s.error_rate === null ? null : s.error_rate * 100)}<td class="verdict ${s.ok ? 'pass' : 'fail'}">${s.ok ? 'ok' : escapeHtml(`missed ${s.failed_slos.join(', ')}`)}</td></tr>`)
    .join('');
  return section('Capacity search', 'capacity', `<p class="verdict ${search.capacity_rps === null ? 'fail' : 'pass'}" data-testid="capacity-answer">${escapeHtml(answer)}</p><table><thead><tr><th>step</th><th>rate (req/s)</th><th>achieved (req/s)</th><th>p50 (ms)</th><th>p99 (ms)</th><th>errors (%)</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>`);
}

/** The changes made while it ran (PATCH /api/tests/{id}); none for most tests, so no section. */
function steeringSection(report: TestReportView): string {
  if (report.steering.length === 0) return '';
  const rows = report.steering.map((s) => `<tr data-change="${escapeHtml(s.change_id)}"><td>${escapeHtml(s.apply_at)}</td>${cell(`steering:${s.change_id}/elapsed_ms`, s.elapsed_ms)}<td>${escapeHtml(describeSteering(s.change))}</td></tr>`).join('');
  return section('Steering', 'steering', `<table><thead><tr><th>applied at</th><th>ms into the test</th><th>change</th></tr></thead><tbody>${rows}</tbody></table>`);
}

function thresholdsSection(results: ThresholdResult[] | undefined): string {
  if (results === undefined) return section('Thresholds', 'thresholds', empty('Not evaluated here: thresholds are judged by stampede run --threshold, whose --out report.html shows them.'));
  if (results.length === 0) return section('Thresholds', 'thresholds', empty('None given.'));
  const passed = results.every((r) => r.ok);
  const rows = results
    .map((r) => `<tr data-threshold="${escapeHtml(r.expression)}"><td><code>${escapeHtml(r.expression)}</code></td>${cell(`threshold:${r.expression}/actual`, r.actual)}<td class="verdict ${r.ok ? 'pass' : 'fail'}">${r.ok ? 'pass' : 'FAIL'}</td></tr>`)
    .join('');
  return section(
    'Thresholds',
    'thresholds',
    `<p class="verdict ${passed ? 'pass' : 'fail'}" data-testid="threshold-verdict">${passed ? 'All thresholds passed' : 'A threshold failed'}</p><table><thead><tr><th>threshold</th><th>actual</th><th>verdict</th></tr></thead><tbody>${rows}</tbody></table>`,
  );
}

type FigureRow = { key: string; label: string; figures: Figures | DriverFigures | RequestFigures | GroupFigures; outcome?: string };

const LATENCY_COLUMNS = ['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'] as const;

function errorRate(f: { completed: number; error_count: number }): number | null {
  return f.completed > 0 ? Math.round((f.error_count / f.completed) * 1e6) / 1e4 : null;
}

function figuresTable(rows: FigureRow[]): string {
  const withOutcome = rows.some((r) => r.outcome !== undefined);
  const head = ['', 'sent', 'completed', 'errors', 'error %', 'req/s', ...LATENCY_COLUMNS.map((c) => `${c} ms`), 'KiB received', ...(withOutcome ? ['outcome'] : [])];
  const body = rows
    .map(({ key, label, figures: f, outcome }) => {
      const cells = [
        cell(`${key}/sent`, f.sent),
        cell(`${key}/completed`, f.completed),
        cell(`${key}/error_count`, f.error_count, f.error_count > 0 ? ' bad' : ''),
        cell(`${key}/error_rate`, errorRate(f)),
        cell(`${key}/rps`, f.rps),
        ...LATENCY_COLUMNS.map((c) => cell(`${key}/${c}`, f.latency[c])),
        cell(`${key}/kib_received`, Math.round(f.bytes_received / 1.024) / 1000),
      ];
      return `<tr><th scope="row">${escapeHtml(label)}</th>${cells.join('')}${withOutcome ? `<td>${escapeHtml(outcome ?? '')}</td>` : ''}</tr>`;
    })
    .join('\n');
  return `<div class="scroll"><table class="figures"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>`;
}

function driverOutcome(d: DriverFigures): string {
  if (!d.final) return 'no final report';
  return d.reason ? `${d.outcome ?? ''}: ${d.reason}` : (d.outcome ?? '');
}

/** Per request name; in a scenario test, per step (the figures are kept under each request step's name). */
function requestsSection(report: TestReportView): string {
  const steps = isScenarioTest(report);
  const title = steps ? 'Per step' : 'Per request';
  const requests = report.aggregate.requests ?? [];
  if (requests.length === 0) return section(title, 'requests', empty(steps ? 'No step reported.' : `One request: ${report.config.target_url ?? ''}`));
  const list = requests.map((r) => `<li><code>${escapeHtml(r.name)}</code>: ${escapeHtml(r.method)} <code>${escapeHtml(r.url)}</code></li>`).join('');
  const perDriver = report.drivers
    .filter((d) => (d.requests ?? []).length > 0)
    .map((d) => `<h3>${escapeHtml(d.node_id)}</h3>${figuresTable((d.requests ?? []).map((r) => ({ key: `driver_request:${d.node_id}:${r.name}`, label: r.name, figures: r })))}`)
    .join('');
  return section(
    title,
    'requests',
    `<ul class="requests">${list}</ul>${figuresTable(requests.map((r) => ({ key: `request:${r.name}`, label: r.name, figures: r })))}${perDriver ? `<details><summary>${title} on each driver</summary>${perDriver}</details>` : ''}`,
  );
}

/** A test of scenarios (user journeys): its config carries them. */
function isScenarioTest(report: TestReportView): boolean {
  return report.config.scenarios !== null && report.config.scenarios !== undefined;
}

/** A scenario test's figures beyond its steps; none for a plain test, whose report stays as it was. */
function scenarioFigureSections(report: TestReportView): string[] {
  if (!isScenarioTest(report)) return [];
  return [groupsSection(report), iterationsSection(report), checksSection(report), ...(report.data.length > 0 ? [dataSection(report)] : [])];
}

/** What a scenario field reads as on one line: stages as `30s→10`, other objects as JSON. */
function scenarioFieldValue(name: string, value: unknown): string {
  if (name === 'stages' && Array.isArray(value)) {
    return value.map((stage: { duration_s?: unknown; target?: unknown }) => `${String(stage?.duration_s)}s→${String(stage?.target)}`).join(', ');
  }
  return typeof value === 'object' && value !== null ? JSON.stringify(value) : String(value);
}

/** Each scenario by name: its executor and the fields that set its load (its flow is in the configuration below). */
function scenariosSection(scenarios: Record<string, { executor: string } & Record<string, unknown>>): string {
  const items = Object.entries(scenarios).map(([name, scenario]) => {
    const fields = Object.entries(scenario)
      .filter(([field, value]) => field !== 'executor' && field !== 'flow' && value !== undefined && value !== null)
      .map(([field, value]) => `${escapeHtml(field)} ${escapeHtml(scenarioFieldValue(field, value))}`);
    return `<li data-scenario="${escapeHtml(name)}"><code>${escapeHtml(name)}</code>: ${[escapeHtml(scenario.executor), ...fields].join(', ')}</li>`;
  });
  return section('Scenarios', 'scenarios', items.length === 0 ? empty('No scenario.') : `<ul class="scenarios">${items.join('')}</ul>`);
}

/** Per group of a flow: the requests of its steps, counted under its name. */
function groupsSection(report: TestReportView): string {
  const groups = report.aggregate.groups ?? [];
  if (groups.length === 0) return section('Groups', 'groups', empty('No group in the flows.'));
  const perDriver = report.drivers
    .filter((d) => (d.groups ?? []).length > 0)
    .map((d) => `<h3>${escapeHtml(d.node_id)}</h3>${figuresTable((d.groups ?? []).map((g) => ({ key: `driver_group:${d.node_id}:${g.name}`, label: g.name, figures: g })))}`)
    .join('');
  return section(
    'Groups',
    'groups',
    `${figuresTable(groups.map((g) => ({ key: `group:${g.name}`, label: g.name, figures: g })))}${perDriver ? `<details><summary>Groups on each driver</summary>${perDriver}</details>` : ''}`,
  );
}

/** Reasons an iteration fails, in the order the figures name them; any other reason a driver gives follows. */
const ITERATION_FAILURES = ['capture_missing', 'check_failed', 'interrupted'] as const;
const DURATION_COLUMNS = ['median', 'p95', 'p99', 'max'] as const;

/** Iterations over all drivers, then each driver's: completed, failed (and why), dropped, and how long they took. */
function iterationsSection(report: TestReportView): string {
  const overall = report.aggregate.iterations;
  if (!overall) return section('Iterations', 'iterations', empty('No iteration reported.'));
  const rows: { key: string; label: string; iterations: IterationFigures }[] = [
    { key: 'iterations', label: 'all drivers', iterations: overall },
    ...report.drivers.flatMap((d) => (d.iterations ? [{ key: `driver_iterations:${d.node_id}`, label: d.node_id, iterations: d.iterations }] : [])),
  ];
  const seen = new Set(rows.flatMap((r) => Object.keys(r.iterations.failed_by_reason ?? {})));
  const reasons = [...ITERATION_FAILURES, ...[...seen].filter((r) => !(ITERATION_FAILURES as readonly string[]).includes(r)).sort()].filter((r) => seen.has(r));
  const head = ['', 'completed', 'failed', ...reasons.map((r) => `failed: ${escapeHtml(r)}`), 'dropped', ...DURATION_COLUMNS.map((c) => `${c} ms`)];
  const body = rows
    .map(({ key, label, iterations: it }) => {
      const cells = [
        cell(`${key}/completed`, it.completed),
        cell(`${key}/failed`, it.failed, it.failed > 0 ? ' bad' : ''),
        ...reasons.map((r) => cell(`${key}/failed:${r}`, it.failed_by_reason?.[r] ?? 0)),
        cell(`${key}/dropped`, it.dropped, it.dropped > 0 ? ' bad' : ''),
        ...DURATION_COLUMNS.map((c) => cell(`${key}/duration_${c}`, it.duration[c])),
      ];
      return `<tr><th scope="row">${escapeHtml(label)}</th>${cells.join('')}</tr>`;
    })
    .join('\n');
  const failed = reasons.map((r) => `${escapeHtml(r)} ${shownNumber(overall.failed_by_reason?.[r] ?? 0)}`).join(', ');
  const summary = `<p data-testid="iterations-summary">${shownNumber(overall.completed)} completed, ${shownNumber(overall.failed)} failed${failed ? ` (${failed})` : ''}, ${shownNumber(overall.dropped)} dropped; duration p95 ${shownNumber(overall.duration.p95)} ms.</p>`;
  return section('Iterations', 'iterations', `${summary}<div class="scroll"><table class="figures"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${body}</tbody></table></div>`);
}

/** Passes over evaluations, in percent with 2 decimals; null before any evaluation. */
function passRate(passes: number, fails: number): number | null {
  const total = passes + fails;
  return total > 0 ? Math.round((passes / total) * 10_000) / 100 : null;
}

function passRateCell(figure: string, rate: number | null, fails: number): string {
  return `<td class="num${fails > 0 ? ' bad' : ''}" data-figure="${escapeHtml(figure)}" data-value="${rate === null ? '' : rate}">${rate === null ? '–' : `${rate.toFixed(2)} %`}</td>`;
}

/** Every check over all drivers: the overall line first, then each check by name. */
function checksSection(report: TestReportView): string {
  const checks: CheckFigures | null = report.aggregate.checks;
  if (!checks) return section('Checks', 'checks', empty('No check reported.'));
  const row = (key: string, label: string, passes: number, fails: number, extra = '') =>
    `<tr${extra}><th scope="row">${label}</th>${cell(`${key}/passes`, passes)}${cell(`${key}/fails`, fails, fails > 0 ? ' bad' : '')}${passRateCell(`${key}/pass_rate`, passRate(passes, fails), fails)}</tr>`;
  const rows = [
    row('checks', 'all checks', checks.passes, checks.fails, ' class="overall"'),
    ...(checks.by_name ?? []).map((c) => row(`check:${c.name}`, `<code>${escapeHtml(c.name)}</code>`, c.passes, c.fails, ` data-check="${escapeHtml(c.name)}"`)),
  ].join('\n');
  return section('Checks', 'checks', `<table class="figures"><thead><tr><th>check</th><th>passes</th><th>fails</th><th>pass %</th></tr></thead><tbody>${rows}</tbody></table>`);
}

/** Per data source: rows used, and where the unused unique rows went (the lost ones with their driver). */
function dataSection(report: TestReportView): string {
  const rows = report.data
    .map((d) => {
      const key = `data:${d.source}`;
      const lost = d.lost.map((l) => `${shownNumber(l.rows)} (<code>${escapeHtml(l.node_id)}</code>)`).join(', ');
      const lostRows = d.lost.reduce((sum, l) => sum + l.rows, 0);
      return `<tr data-source="${escapeHtml(d.source)}"><th scope="row"><code>${escapeHtml(d.source)}</code></th><td>${escapeHtml(d.mode)}</td>${cell(`${key}/rows`, d.rows)}${cell(`${key}/used`, d.used)}${cell(`${key}/left`, d.left)}${cell(`${key}/unused`, d.unused)}${cell(`${key}/lost`, d.mode === 'unique' ? lostRows : null, lostRows > 0 ? ' bad' : '')}<td>${lost}</td></tr>`;
    })
    .join('\n');
  const head = ['source', 'mode', 'rows', 'used', 'left', 'unused', 'lost', 'lost with'];
  return section('Test data', 'data', `<table class="figures"><thead><tr>${head.map((h) => `<th>${h}</th>`).join('')}</tr></thead><tbody>${rows}</tbody></table>`);
}

function errorsSection(f: Figures): string {
  const kinds = Object.entries(f.errors).filter(([, count]) => count > 0);
  if (kinds.length === 0) return section('Errors', 'errors', empty('No errors.'));
  const rows = kinds
    .sort(([, a], [, b]) => b - a)
    .map(([kind, count]) => {
      const samples = (f.error_samples[kind] ?? []).map((s) => `<li><code>${escapeHtml(s)}</code></li>`).join('');
      return `<tr><th scope="row">${escapeHtml(kind)}</th>${cell(`error:${kind}/count`, count)}<td>${samples ? `<ul class="samples">${samples}</ul>` : ''}</td></tr>`;
    })
    .join('');
  return section('Errors', 'errors', `<table><thead><tr><th>kind</th><th>count</th><th>first messages</th></tr></thead><tbody>${rows}</tbody></table>`);
}

function statusSection(f: Figures): string {
  const statuses = Object.entries(f.status_counts).sort(([a], [b]) => a.localeCompare(b));
  if (statuses.length === 0) return section('HTTP status codes', 'statuses', empty('No responses.'));
  const rows = statuses.map(([status, count]) => `<tr><th scope="row" class="status-${escapeHtml(status.charAt(0))}xx">${escapeHtml(status)}</th>${cell(`status:${status}/count`, count)}</tr>`).join('');
  return section('HTTP status codes', 'statuses', `<table><thead><tr><th>status</th><th>responses</th></tr></thead><tbody>${rows}</tbody></table>`);
}

function lateStartsSection(report: TestReportView): string {
  const warnings = driverWarnings(report.drivers).map((warning) => warning.text);
  const rows = report.drivers.map((d) => `<tr><th scope="row">${escapeHtml(d.node_id)}</th>${cell(`driver:${d.node_id}/late_starts`, d.late_starts)}${cell(`driver:${d.node_id}/sent`, d.sent)}</tr>`).join('');
  const note = warnings.length === 0 ? empty(`Every driver kept its schedule (at most 1 % of starts late), its clock within ${CLOCK_OFF_WARNING_MS} ms of the orchestrator’s.`) : `<ul class="warnings">${warnings.map((w) => `<li>${escapeHtml(w)}</li>`).join('')}</ul>`;
  return section('Late starts', 'late-starts', `${note}${rows ? `<table><thead><tr><th>driver</th><th>late starts</th><th>sent</th></tr></thead><tbody>${rows}</tbody></table>` : ''}`);
}

function configSection(config: Record<string, unknown>): string {
  const rows = Object.entries(config)
    .filter(([, value]) => value !== null)
    .map(([name, value]) => `<tr><th scope="row">${escapeHtml(name)}</th><td data-config="${escapeHtml(name)}">${typeof value === 'object' ? `<pre>${escapeHtml(JSON.stringify(value, null, 2))}</pre>` : escapeHtml(value)}</td></tr>`)
    .join('');
  return section('Configuration and plan', 'config', `<table class="config"><tbody>${rows}</tbody></table>`);
}

function machineSection(machine: MachineInfo, generatedAt: string): string {
  const facts: [string, string][] = [
    ['hostname', machine.hostname],
    ['cores', String(machine.cores)],
    ['CPU', machine.cpu_model],
    ['OS', machine.os],
    ['Node.js', machine.node_version],
    ['Stampede', machine.stampede_version],
    ['report made', generatedAt],
  ];
  return section('Machine', 'machine', `<p>Where this report was made.</p><dl class="facts">${facts.map(([name, value]) => `<dt>${name}</dt><dd data-machine="${name}">${escapeHtml(value)}</dd>`).join('')}</dl>`);
}
