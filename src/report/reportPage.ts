/**
 * The report page's own styles and script, inlined by htmlReport.ts. The script runs as written in
 * any browser (no modules, no imports): it reads the chart series embedded in the page and draws them
 * with the inlined uPlot; colours come from CSS variables, so light and dark schemes both read.
 */

export const REPORT_CSS = `
:root { --bg: #ffffff; --fg: #1b1f24; --muted: #5b6570; --line: #d7dce1; --head: #f3f5f7; --pass: #1a7f37; --fail: #c4262e; --accent: #0b5fb0; color-scheme: light dark; }
@media (prefers-color-scheme: dark) { :root { --bg: #14171a; --fg: #e6e9ec; --muted: #9aa4ae; --line: #343a40; --head: #1e2227; --pass: #4ac26b; --fail: #ff6b6b; --accent: #6cb6ff; } }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; } h3 { font-size: 14px; margin: 14px 0 6px; }
.test-id { font-family: ui-monospace, monospace; font-weight: 500; word-break: break-all; }
.state { display: inline-block; margin: 4px 0 8px; padding: 1px 10px; border-radius: 10px; border: 1px solid var(--line); font-weight: 600; }
.state-completed { color: var(--pass); } .state-failed, .state-cancelled { color: var(--fail); }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 0; } .facts dt { color: var(--muted); } .facts dd { margin: 0; word-break: break-all; }
table { border-collapse: collapse; margin: 4px 0; } table.figures, table.config { width: 100%; } th, td { padding: 4px 8px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--head); font-weight: 600; white-space: nowrap; } td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; } td.bad { color: var(--fail); }
.scroll { overflow-x: auto; }
.verdict.pass { color: var(--pass); font-weight: 600; } .verdict.fail { color: var(--fail); font-weight: 700; }
.empty { color: var(--muted); } .warnings { color: var(--fail); }
.samples { margin: 0; padding-left: 18px; } code, pre { font-family: ui-monospace, monospace; font-size: 12px; word-break: break-all; white-space: pre-wrap; } pre { margin: 0; }
.chart { margin: 8px 0 16px; } .chart figcaption { color: var(--muted); margin-bottom: 4px; }
.uplot, .u-legend { color: var(--fg); font-family: inherit; }
.status-2xx { color: var(--pass); } .status-4xx, .status-5xx { color: var(--fail); }
@media print {
  :root { --bg: #ffffff; --fg: #000000; --muted: #444444; --line: #bbbbbb; --head: #eeeeee; --pass: #116329; --fail: #a40e26; }
  main { max-width: none; padding: 0; } section, .chart, tr { break-inside: avoid; } h2 { break-after: avoid; } details { display: block; } details > summary { display: none; }
}
`;

export const REPORT_SCRIPT = `
(function () {
  'use strict';
  var charts = JSON.parse(document.getElementById('report-charts').textContent);
  var PALETTE = ['#1f77b4', '#e8710a', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#7f7f7f', '#bcbd22'];
  var plots = [];
  function css(name) { return getComputedStyle(document.documentElement).getPropertyValue(name).trim(); }
  function widthOf(el) { return Math.max(320, Math.floor(el.clientWidth || 800)); }
  function axis(label) { return { label: label, stroke: css('--fg'), grid: { stroke: css('--line'), width: 1 }, ticks: { stroke: css('--line'), width: 1 } }; }
  function draw() {
    plots.forEach(function (p) { p.destroy(); });
    plots = [];
    charts.forEach(function (chart) {
      var el = document.getElementById('chart-' + chart.id);
      if (!el) return;
      var series = [{ label: 's' }].concat(chart.lines.map(function (line, i) {
        return { label: line.label, stroke: PALETTE[i % PALETTE.length], width: 2, dash: line.dashed ? [6, 4] : undefined, spanGaps: true, points: { show: chart.x.length < 40 } };
      }));
      var data = [chart.x].concat(chart.lines.map(function (line) { return line.values; }));
      var options = { width: widthOf(el), height: 260, series: series, scales: { x: { time: false } }, axes: [axis('seconds of the run'), axis(chart.unit)] };
      plots.push(new uPlot(options, data, el));
    });
  }
  draw();
  var pending;
  window.addEventListener('resize', function () { clearTimeout(pending); pending = setTimeout(draw, 150); });
  window.addEventListener('beforeprint', draw);
  if (window.matchMedia) window.matchMedia('(prefers-color-scheme: dark)').addEventListener('change', draw);
})();
`;
