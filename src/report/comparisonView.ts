import type { ComparableReport, MetricChange, RelativeThresholdResult, ScopeComparison } from './comparison.js';
import { escapeHtml, shownNumber } from './htmlReport.js';
import type { MachineInfo } from './machine.js';
import { REPORT_CSS } from './reportPage.js';

export type ComparisonInput = {
  base: { file: string; report: ComparableReport };
  new: { file: string; report: ComparableReport };
  scopes: ScopeComparison[];
  only_base: string[];
  only_new: string[];
  thresholds: RelativeThresholdResult[];
};

const UNITS: Record<string, string> = { rps: 'req/s', error_rate: '%' };
const unitOf = (metric: string) => UNITS[metric] ?? 'ms';

export function signedPercent(value: number | null): string {
  if (value === null) return '–';
  if (!Number.isFinite(value)) return value > 0 ? '+∞ %' : '−∞ %';
  return `${value > 0 ? '+' : ''}${shownNumber(value)} %`;
}

function signed(value: number | null): string {
  return value === null ? '–' : `${value > 0 ? '+' : ''}${shownNumber(value)}`;
}

/** The side-by-side table for a terminal or a CI log. */
export function comparisonText(input: ComparisonInput): string {
  const header = ['', 'base', 'new', 'change', 'change %'];
  const rows: string[][] = [];
  for (const scope of input.scopes) {
    rows.push([`${scope.scope} (sent ${scope.sent[0]} / ${scope.sent[1]})`, '', '', '', '']);
    for (const m of scope.metrics) rows.push([`  ${m.metric} ${unitOf(m.metric)}`, shownNumber(m.base), shownNumber(m.new), signed(m.change), signedPercent(m.change_pct)]);
  }
  const widths = header.map((_, i) => Math.max(...[header, ...rows].map((r) => (r[i] ?? '').length)));
  const line = (r: string[]) => r.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ').trimEnd();
  const lines = [`base: ${input.base.file} (${input.base.report.test_id}, ${input.base.report.state})`, `new:  ${input.new.file} (${input.new.report.test_id}, ${input.new.report.state})`, '', line(header), ...rows.map(line)];
  if (input.only_base.length > 0) lines.push(`requests only in base: ${input.only_base.join(', ')}`);
  if (input.only_new.length > 0) lines.push(`requests only in new: ${input.only_new.join(', ')}`);
  if (input.thresholds.length > 0) {
    lines.push('', 'thresholds:');
    for (const t of input.thresholds) lines.push(`  ${t.ok ? '✓' : '✗'} ${t.expression}: change ${signedPercent(t.change_pct)}`);
  }
  return lines.join('\n');
}

function metricRow(m: MetricChange): string {
  const worse = m.change_pct !== null && m.change_pct !== 0 && (m.metric === 'rps' ? m.change_pct < 0 : m.change_pct > 0);
  return `<tr><th scope="row">${m.metric} <span class="empty">${unitOf(m.metric)}</span></th><td class="num">${shownNumber(m.base)}</td><td class="num">${shownNumber(m.new)}</td><td class="num">${signed(m.change)}</td><td class="num${worse ? ' bad' : ''}" data-change="${m.metric}">${signedPercent(m.change_pct)}</td></tr>`;
}

/** The same comparison as one self-contained page (no script, nothing to fetch). */
export function comparisonHtml(input: ComparisonInput, machine: MachineInfo, generatedAt: string): string {
  const side = (label: string, s: ComparisonInput['base']) => `<dt>${label}</dt><dd><code>${escapeHtml(s.file)}</code>: ${escapeHtml(s.report.test_id)} (${escapeHtml(s.report.state)})</dd>`;
  const scopes = input.scopes
    .map((s) => `<section><h2>${escapeHtml(s.scope)}</h2><p class="empty">sent ${shownNumber(s.sent[0])} / ${shownNumber(s.sent[1])}</p><table class="figures"><thead><tr><th></th><th>base</th><th>new</th><th>change</th><th>change %</th></tr></thead><tbody>${s.metrics.map(metricRow).join('')}</tbody></table></section>`)
    .join('\n');
  const passed = input.thresholds.every((t) => t.ok);
  const thresholds =
    input.thresholds.length === 0
      ? ''
      : `<section><h2>Thresholds</h2><p class="verdict ${passed ? 'pass' : 'fail'}" data-testid="threshold-verdict">${passed ? 'All thresholds passed' : 'A threshold failed'}</p><table><tbody>${input.thresholds.map((t) => `<tr data-threshold="${escapeHtml(t.expression)}"><td><code>${escapeHtml(t.expression)}</code></td><td class="num">${signedPercent(t.change_pct)}</td><td class="verdict ${t.ok ? 'pass' : 'fail'}">${t.ok ? 'pass' : 'FAIL'}</td></tr>`).join('')}</tbody></table></section>`;
  const only = [...input.only_base.map((n) => `only in base: ${n}`), ...input.only_new.map((n) => `only in new: ${n}`)];
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<meta name="color-scheme" content="light dark">
<title>Stampede comparison: ${escapeHtml(input.base.report.test_id)} → ${escapeHtml(input.new.report.test_id)}</title>
<style>${REPORT_CSS}</style></head>
<body><main>
<header><h1>Stampede comparison</h1><dl class="facts">${side('base', input.base)}${side('new', input.new)}</dl></header>
${thresholds}
${scopes}
${only.length > 0 ? `<section><h2>Requests in one result only</h2><ul>${only.map((o) => `<li>${escapeHtml(o)}</li>`).join('')}</ul></section>` : ''}
<section><h2>Machine</h2><p class="empty">Compared on ${escapeHtml(machine.hostname)} with Stampede ${escapeHtml(machine.stampede_version)}, Node.js ${escapeHtml(machine.node_version)}, at ${escapeHtml(generatedAt)}.</p></section>
</main></body></html>
`;
}
