import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { GroupFigures, IterationFigures, Latency, RequestFigures, TestReportView } from '../../src/api/index.js';
import { htmlReport } from '../../src/report/index.js';
import type { MachineInfo } from '../../src/report/index.js';
import type { Scenarios } from '../../src/protocol/index.js';
import { driverFigures, figures, testView } from '../cli/fixtures.js';

const MACHINE: MachineInfo = { hostname: 'ci-host', cores: 2, cpu_model: 'cpu', os: 'linux', node_version: 'v20.19.4', stampede_version: '0.1.0' };
const HOSTILE_CHECK = '<b>x</b>';
const HOSTILE_STEP = '<i>step</i>';
const ORIGIN = 'http://127.0.0.1:8080';

const STEP_LATENCY: Latency = { min: 1, max: 90, mean: 10, median: 8, mode: 7, p90: 20, p95: 25, p99: 42.5 };
const DURATION: Latency = { min: 800, max: 2600, mean: 1200, median: 1100, mode: 1000, p90: 1700, p95: 1900, p99: 2400 };

function step(name: string, method: string, path: string, overrides: Partial<RequestFigures> = {}): RequestFigures {
  return { name, method, url: `${ORIGIN}${path}`, sent: 100, completed: 100, errors: {}, error_count: 0, status_counts: { '200': 100 }, bytes_received: 2_048, rps: 50, latency: STEP_LATENCY, ...overrides };
}

function group(name: string, overrides: Partial<GroupFigures> = {}): GroupFigures {
  return { name, sent: 200, completed: 200, errors: {}, error_count: 0, status_counts: { '200': 200 }, bytes_received: 4_096, rps: 100, latency: STEP_LATENCY, ...overrides };
}

function iterations(overrides: Partial<IterationFigures> = {}): IterationFigures {
  return { completed: 97, failed: 3, dropped: 4, failed_by_reason: { check_failed: 2, interrupted: 1 }, duration: DURATION, ...overrides };
}

const SCENARIOS: Scenarios = {
  shoppers: {
    executor: 'per-vu-iterations',
    total_vus: 5,
    iterations: 3,
    flow: [
      { name: 'login', method: 'POST', url: `${ORIGIN}/login`, check: [{ name: HOSTILE_CHECK, status: 200 }] },
      { group: { name: 'checkout', steps: [{ name: HOSTILE_STEP, method: 'GET', url: `${ORIGIN}/cart` }] } },
    ],
  },
  browsers: { executor: 'ramping-vus', start_vus: 1, stages: [{ duration_s: 30, target: 10 }, { duration_s: 60, target: 0 }], flow: [{ method: 'GET', url: `${ORIGIN}/` }] },
};

/** A finished scenario test on two drivers: per step, per group, iterations and checks on the aggregate and on each driver. */
function scenarioReport(): TestReportView {
  const steps = [step('login', 'POST', '/login'), step(HOSTILE_STEP, 'GET', '/cart', { error_count: 1, errors: { http_500: 1 } }), step('GET /', 'GET', '/')];
  const scenarioFigures = {
    requests: steps,
    groups: [group('checkout', { error_count: 1 })],
    iterations: iterations(),
    checks: { passes: 197, fails: 3, by_name: [{ name: HOSTILE_CHECK, passes: 97, fails: 3 }, { name: 'GET /: status 200', passes: 100, fails: 0 }] },
    vus: 0,
  };
  const view = testView({
    config: { ...testView().config, test_type: 'AVALANCHE', test_message_delay: 0, target_url: null, scenarios: SCENARIOS },
    aggregate: figures(scenarioFigures),
    drivers: [
      driverFigures('driver-a', { ...scenarioFigures, iterations: iterations({ completed: 50, failed: 2, dropped: 4, failed_by_reason: { check_failed: 2 } }) }),
      driverFigures('driver-b', { ...scenarioFigures, iterations: iterations({ completed: 47, failed: 1, dropped: 0, failed_by_reason: { interrupted: 1 } }) }),
    ],
  });
  return { ...view, timeline: {}, overall_timeline: [] };
}

function plainReport(): TestReportView {
  return { ...testView(), timeline: {}, overall_timeline: [] };
}

function render(report: TestReportView): string {
  return htmlReport({ report, machine: MACHINE, generated_at: '2026-01-01T00:00:03.000Z' });
}

/** The HTML of one section by its id (sections do not nest). */
function sectionOf(html: string, id: string): string {
  const match = new RegExp(`<section id="${id}">([\\s\\S]*?)</section>`).exec(html);
  assert.ok(match, `a section #${id}`);
  return match[1] ?? '';
}

/** The raw value of a figure cell, as the report keeps it in data-value. */
function figure(html: string, key: string): string {
  const escaped = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const match = new RegExp(`data-figure="${escaped}" data-value="([^"]*)"`).exec(html);
  assert.ok(match, `a cell for ${key}`);
  return match[1] ?? '';
}

describe('the HTML report of a scenario test', () => {
  const html = render(scenarioReport());

  it('lists each scenario with its executor and the fields that set its load', () => {
    const scenarios = sectionOf(html, 'scenarios');
    assert.match(scenarios, /^<h2>Scenarios<\/h2>/);
    assert.ok(scenarios.includes('<code>shoppers</code>: per-vu-iterations, total_vus 5, iterations 3</li>'), scenarios);
    assert.ok(scenarios.includes('<code>browsers</code>: ramping-vus, start_vus 1, stages 30s→10, 60s→0</li>'), scenarios);
    assert.ok(!scenarios.includes('flow'), 'the flow is left to the configuration section');
  });

  it('shows the figures per step under "Per step", each with its method', () => {
    const steps = sectionOf(html, 'requests');
    assert.match(steps, /^<h2>Per step<\/h2>/);
    assert.ok(steps.includes(`<li><code>login</code>: POST <code>${ORIGIN}/login</code></li>`), steps);
    assert.ok(steps.includes('<summary>Per step on each driver</summary>'));
    assert.equal(figure(html, 'request:login/completed'), '100');
    assert.equal(figure(html, `request:${HOSTILE_STEP}/error_count`), '1');
    assert.equal(figure(html, 'driver_request:driver-b:login/p99'), '42.5');
    assert.ok(!html.includes('<h2>Per request</h2>'));
  });

  it('shows a table per group', () => {
    const groups = sectionOf(html, 'groups');
    assert.match(groups, /^<h2>Groups<\/h2>/);
    assert.ok(groups.includes('<th scope="row">checkout</th>'));
    assert.equal(figure(groups, 'group:checkout/completed'), '200');
    assert.equal(figure(groups, 'group:checkout/error_count'), '1');
    assert.equal(figure(groups, 'group:checkout/p95'), '25');
    assert.equal(figure(groups, 'driver_group:driver-a:checkout/sent'), '200');
  });

  it('shows iterations: completed, failed with their reasons, dropped, and their duration', () => {
    const section = sectionOf(html, 'iterations');
    assert.match(section, /^<h2>Iterations<\/h2>/);
    assert.ok(section.includes('97 completed, 3 failed (check_failed 2, interrupted 1), 4 dropped; duration p95 1,900 ms.'), section);
    assert.equal(figure(section, 'iterations/completed'), '97');
    assert.equal(figure(section, 'iterations/failed'), '3');
    assert.equal(figure(section, 'iterations/failed:check_failed'), '2');
    assert.equal(figure(section, 'iterations/failed:interrupted'), '1');
    assert.equal(figure(section, 'iterations/dropped'), '4');
    for (const [name, value] of [['median', '1100'], ['p95', '1900'], ['p99', '2400'], ['max', '2600']]) assert.equal(figure(section, `iterations/duration_${name}`), value, name);
    assert.equal(figure(section, 'driver_iterations:driver-a/failed:interrupted'), '0', 'a reason a driver did not see is 0 there');
    assert.equal(figure(section, 'driver_iterations:driver-b/completed'), '47');
    assert.ok(!section.includes('capture_missing'), 'only the reasons seen get a column');
  });

  it('shows checks, the overall line first, each with passes, fails and its pass % with 2 decimals', () => {
    const checks = sectionOf(html, 'checks');
    assert.match(checks, /^<h2>Checks<\/h2>/);
    assert.ok(checks.includes('<th>check</th><th>passes</th><th>fails</th><th>pass %</th>'));
    assert.equal(figure(checks, 'checks/passes'), '197');
    assert.equal(figure(checks, 'checks/fails'), '3');
    assert.equal(figure(checks, 'checks/pass_rate'), '98.5');
    assert.ok(checks.includes('>98.50 %</td>'));
    assert.equal(figure(checks, `check:${HOSTILE_CHECK}/pass_rate`), '97');
    assert.ok(checks.includes('>97.00 %</td>'));
    assert.ok(checks.includes('>100.00 %</td>'));
    const overallAt = checks.indexOf('all checks');
    assert.ok(overallAt >= 0 && overallAt < checks.indexOf('&lt;b&gt;x&lt;/b&gt;') && overallAt < checks.indexOf('GET /: status 200'), 'the overall line comes first');
  });

  it('escapes every name the user wrote', () => {
    assert.ok(sectionOf(html, 'checks').includes('<code>&lt;b&gt;x&lt;/b&gt;</code>'));
    assert.ok(sectionOf(html, 'requests').includes('&lt;i&gt;step&lt;/i&gt;'));
    assert.ok(!html.includes(HOSTILE_CHECK), 'no check name as markup, nor in the embedded data');
    assert.ok(!html.includes(HOSTILE_STEP), 'no step name as markup, nor in the embedded data');
  });

  it('puts the scenarios first and their figures after the steps', () => {
    const order = ['thresholds', 'scenarios', 'overall', 'drivers', 'requests', 'groups', 'iterations', 'checks', 'charts', 'errors'].map((id) => html.indexOf(`<section id="${id}">`));
    assert.deepEqual([...order].sort((a, b) => a - b), order);
    assert.ok(order.every((at) => at >= 0));
  });

  it('says so when no iteration or check was reported yet', () => {
    const report = scenarioReport();
    const early = render({ ...report, aggregate: { ...report.aggregate, groups: [], iterations: null, checks: null } });
    assert.ok(sectionOf(early, 'iterations').includes('No iteration reported.'));
    assert.ok(sectionOf(early, 'checks').includes('No check reported.'));
    assert.ok(sectionOf(early, 'groups').includes('No group in the flows.'));
  });
});

describe('the HTML report of a scenario test with data', () => {
  it('shows per source its rows, used, left, unused, and the rows lost with each driver', () => {
    const report = scenarioReport();
    const lost = { node_id: '<d>x</d>', rows: 37 };
    const html = render({
      ...report,
      data: [
        { source: 'accounts', data_id: 'a'.repeat(64), mode: 'unique', rows: 1_200, used: 1_100, dealt: 1_180, left: 20, held: 0, unused: 43, lost: [lost] },
        { source: 'terms', data_id: 'b'.repeat(64), mode: 'circular', rows: 10, used: 60, dealt: null, left: null, held: null, unused: null, lost: [] },
      ],
    });
    const section = sectionOf(html, 'data');
    assert.match(section, /^<h2>Test data<\/h2>/);
    assert.deepEqual(['rows', 'used', 'left', 'unused', 'lost'].map((f) => figure(section, `data:accounts/${f}`)), ['1200', '1100', '20', '43', '37']);
    assert.ok(section.includes('37 (<code>&lt;d&gt;x&lt;/d&gt;</code>)'), 'the driver is named, escaped');
    assert.deepEqual(['used', 'left', 'lost'].map((f) => figure(section, `data:terms/${f}`)), ['60', '', '']);
    assert.ok(!render(report).includes('<section id="data">'), 'no section without data');
  });
});

describe('the HTML report of a plain test', () => {
  it('has none of the scenario sections, and its requests section stays "Per request"', () => {
    const html = render(plainReport());
    for (const id of ['scenarios', 'groups', 'iterations', 'checks']) assert.ok(!html.includes(`<section id="${id}">`), id);
    for (const title of ['Scenarios', 'Groups', 'Iterations', 'Checks', 'Per step']) assert.ok(!html.includes(`<h2>${title}</h2>`), title);
    assert.ok(html.includes('<section id="requests"><h2>Per request</h2><p class="empty">One request: http://127.0.0.1:8080/ping</p></section>'));
  });
});
