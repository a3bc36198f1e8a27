import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, type Child } from './helpers/processes.js';
import { exposedNames, parsePrometheusText, type Exposition, type Sample } from './helpers/prometheusText.js';

type Dashboard = { panels: { title: string; targets: { expr: string }[] }[]; templating: { list: { name: string; query?: string | { query: string } }[] } };
type TestView = { test_id: string; state: string; reason: string | null; aggregate: { sent: number; completed: number; error_count: number } };
type DriverView = { node_id: string; node_ip: string; status: string };

const DASHBOARD = 'infra/grafana/stampede.json';
const DRIVERS = 2;
const REQUESTS_PER_DRIVER = 50;
/** Words of PromQL that look like metric names. */
const PROMQL_WORDS = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'bool', 'offset', 'and', 'or', 'unless']);

/** The metric names a query reads: functions, label matchers, ranges, groupings and strings taken away. */
function metricNamesOf(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '');
  const names = [...bare.matchAll(/(?<![\w:.$])([a-zA-Z_:][a-zA-Z0-9_:]*)(?![\w:])(?!\s*\()/g)].map((m) => m[1]!);
  return names.filter((name) => !PROMQL_WORDS.has(name));
}

function dashboardQueries(dashboard: Dashboard): string[] {
  const panelQueries = dashboard.panels.flatMap((panel) => panel.targets.map((target) => target.expr));
  // A variable's label_values(metric, label) reads a metric too.
  const variableQueries = dashboard.templating.list.flatMap((variable) => {
    const query = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const metric = query && /^label_values\(([a-zA-Z_:][a-zA-Z0-9_:]*),/.exec(query)?.[1];
    return metric ? [metric] : [];
  });
  return [...panelQueries, ...variableQueries];
}

const seriesOf = (exposition: Exposition, name: string, labels: Record<string, string>): Sample[] =>
  exposition.samples.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));

/** Buckets in increasing `le`, ending at +Inf, never decreasing; +Inf equals `_count`; returns `_count`. */
function assertCumulativeHistogram(exposition: Exposition, name: string, labels: Record<string, string>): number {
  const buckets = seriesOf(exposition, `${name}_bucket`, labels);
  assert.ok(buckets.length > 1, `${name}_bucket ${JSON.stringify(labels)} has buckets`);
  const bounds = buckets.map((b) => Number(b.labels.le === '+Inf' ? Infinity : b.labels.le));
  assert.deepEqual(bounds, [...bounds].sort((a, b) => a - b), `${name} buckets in increasing le`);
  assert.equal(bounds.at(-1), Infinity);
  buckets.slice(1).forEach((bucket, i) => assert.ok(bucket.value >= buckets[i]!.value, `${name} le=${bucket.labels.le} counts at least le=${buckets[i]!.labels.le}`));
  const [count] = seriesOf(exposition, `${name}_count`, labels);
  const [sum] = seriesOf(exposition, `${name}_sum`, labels);
  assert.ok(count && sum, `${name}_count and _sum ${JSON.stringify(labels)}`);
  assert.equal(buckets.at(-1)!.value, count.value, `${name} +Inf bucket equals _count`);
  assert.ok(sum.value > 0 && sum.value < count.value * 10, `${name}_sum ${sum.value} s is plausible for ${count.value} requests`);
  return count.value;
}

describe('the Grafana dashboard queries what the nodes expose (real orchestrator, drivers, target, Kafka)', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string };
  const scrapes = new Map<string, Exposition>();
  let test: TestView;
  let drivers: DriverView[];

  before(async () => {
    target = await startTarget();
    orchestrator = await startOrchestratorProcess();
    const started = await Promise.all(Array.from({ length: DRIVERS }, () => startDriverProcess(orchestrator.url)));
    const ids = started.map((d) => d.nodeId);
    drivers = await eventually(
      () => getJson<DriverView[]>(`${orchestrator.url}/api/drivers`),
      (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')),
      15_000,
      'drivers alive',
    );
    drivers = drivers.filter((d) => ids.includes(d.node_id));
    const body = { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: REQUESTS_PER_DRIVER, target_url: `${target.url}/ping`, drivers: ids, trigger: true };
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    test = await eventually(() => getJson<TestView>(`${orchestrator.url}/api/tests/${created.body.test_id}`), (t) => ['completed', 'failed', 'cancelled'].includes(t.state), 60_000, 'the test to finish');
    assert.equal(test.state, 'completed', test.reason ?? '');
    const scrape = async (what: string, url: string) => {
      const response = await fetch(url);
      assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/, `${what} content type`);
      scrapes.set(what, parsePrometheusText(await response.text()));
    };
    await scrape('orchestrator', `${orchestrator.url}/metrics`);
    await scrape('target', `${target.url}/metrics`);
    for (const driver of drivers) await scrape(driver.node_id, `http://${driver.node_ip}/metrics`);
  });
  after(() => stopAllChildren());

  it('every metric a panel or variable queries is exposed by at least one node', () => {
    const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as Dashboard;
    const queried = new Set(dashboardQueries(dashboard).flatMap(metricNamesOf));
    assert.ok(queried.has('stampede_request_duration_seconds_bucket') && queried.has('stampede_drivers'), `names found: ${[...queried].join(', ')}`);
    const exposed = new Set([...scrapes.values()].flatMap((exposition) => [...exposedNames(exposition)]));
    assert.deepEqual([...queried].filter((name) => !exposed.has(name)), [], 'queried but exposed by no node');
  });

  it("the orchestrator's latency histogram of the test is cumulative and counts exactly its completed requests", () => {
    const orchestratorScrape = scrapes.get('orchestrator')!;
    const total = DRIVERS * REQUESTS_PER_DRIVER;
    assert.deepEqual([test.aggregate.sent, test.aggregate.completed, test.aggregate.error_count], [total, total, 0]);
    assert.equal(assertCumulativeHistogram(orchestratorScrape, 'stampede_request_duration_seconds', { test_id: test.test_id }), test.aggregate.completed);
    assert.equal(seriesOf(orchestratorScrape, 'stampede_requests_completed_total', { test_id: test.test_id })[0]?.value, total);
    assert.equal(seriesOf(orchestratorScrape, 'stampede_drivers', { status: 'alive' })[0]?.value, DRIVERS);
  });

  it("each driver's latency histogram of the test is cumulative and counts exactly its own requests", () => {
    for (const driver of drivers) {
      const labels = { node_id: driver.node_id, test_id: test.test_id };
      const driverScrape = scrapes.get(driver.node_id)!;
      assert.equal(assertCumulativeHistogram(driverScrape, 'stampede_driver_request_duration_seconds', labels), REQUESTS_PER_DRIVER);
      assert.equal(seriesOf(driverScrape, 'stampede_driver_requests_completed_total', labels)[0]?.value, REQUESTS_PER_DRIVER);
    }
  });

  it("the target's counters keep their names and count every request of the test", () => {
    const targetScrape = scrapes.get('target')!;
    assert.deepEqual(
      ['requests_received_total', 'responses_sent_total', 'in_flight'].map((name) => [name, seriesOf(targetScrape, name, {})[0]?.value]),
      [
        ['requests_received_total', DRIVERS * REQUESTS_PER_DRIVER],
        ['responses_sent_total', DRIVERS * REQUESTS_PER_DRIVER],
        ['in_flight', 0],
      ],
    );
  });
});
