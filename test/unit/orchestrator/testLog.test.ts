import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { LruCache } from '../../../src/orchestrator/lruCache.js';
import { PlanLog } from '../../../src/orchestrator/planLog.js';
import { SummaryViews } from '../../../src/orchestrator/summaryViews.js';
import { FiguresCalculator } from '../../../src/orchestrator/testFigures.js';
import { TestLog, UNREAD_VERSION, type TestSummary } from '../../../src/orchestrator/testLog.js';
import { detailView, reportView } from '../../../src/orchestrator/testViews.js';
import type { MetricsMessage } from '../../../src/protocol/index.js';
import { createLatencyHistogram, encodeHistogram, recordMicros } from '../../../src/stats/latencyHistogram.js';
import { MetricsStore } from '../../../src/store/metricsStore.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();
const DRIVERS = ['a', 'b'];

const openStore = () => MetricsStore.open(join(mkdtempSync(join(tmpdir(), 'stampede-test-log-')), 'orchestrator.db'));

/** A cumulative report with a histogram of `count` samples, as a driver sends it. */
function report(testId: string, nodeId: string, seq: number, count: number, final: boolean): MetricsMessage {
  const histogram = createLatencyHistogram();
  for (let i = 0; i < count; i++) recordMicros(histogram, 800 + ((i * 37 + seq * 11 + nodeId.charCodeAt(0)) % 4_000));
  return {
    node_id: nodeId,
    test_id: testId,
    report_id: `${testId}-${nodeId}-${seq}`,
    metrics: { mean_latency: 2, median_latency: 2, min_latency: 1, max_latency: 5 },
    sent: count,
    completed: count,
    errors: count > 50 ? { timeout: 1 } : {},
    seq,
    elapsed_ms: seq * 1_000,
    histogram: encodeHistogram(histogram),
    ...(final ? { final: true, outcome: 'completed' as const } : {}),
  };
}

/** Test t<i>, created a minute after the one before: triggered, two reports per driver, finished unless `running`. */
function runTest(tests: TestLog, i: number, running = false): string {
  const testId = `t${String(i).padStart(2, '0')}`;
  const at = (offsetMs: number) => iso(T0 + i * 60_000 + offsetMs);
  tests.append(testId, { type: 'test_created', at: at(0), driver_ids: DRIVERS, config: { test_id: testId, test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 100 + i } });
  tests.append(testId, { type: 'test_triggered', at: at(10), start_at: T0 + i * 60_000 + 100, clock_offsets_ms: { a: 1, b: -2 } });
  for (const nodeId of DRIVERS) tests.append(testId, { type: 'report_received', at: at(1_000), report: report(testId, nodeId, 1, 40 + i, false) }, `report:${testId}-${nodeId}-1`);
  if (running) return testId;
  for (const nodeId of DRIVERS) tests.append(testId, { type: 'report_received', at: at(2_000), report: report(testId, nodeId, 2, 100 + i, true) }, `report:${testId}-${nodeId}-2`);
  tests.append(testId, { type: 'test_finished', at: at(2_100), state: i % 4 === 0 ? 'failed' : 'completed', reason: i % 4 === 0 ? 'a threshold' : undefined });
  return testId;
}

/** Every view REST gives of a test, as JSON: what must be the same however the projection was built. */
function viewsOf(tests: TestLog, testId: string, figures = new FiguresCalculator()): string {
  const test = tests.get(testId);
  assert.ok(test, `test ${testId} is known`);
  return JSON.stringify({ detail: detailView(test, figures), report: reportView(test, figures) });
}

/** Counts the store's reads of one test's events (the fold of a whole test). */
function countFolds(store: MetricsStore): string[] {
  const folded: string[] = [];
  const eventsFor = store.eventsFor.bind(store);
  store.eventsFor = (testId: string) => {
    folded.push(testId);
    return eventsFor(testId);
  };
  return folded;
}

describe('LRU cache', () => {
  it('drops the entry read longest ago once past its capacity', () => {
    const cache = new LruCache<string, number>(2);
    cache.set('a', 1);
    cache.set('b', 2);
    assert.equal(cache.get('a'), 1, 'reading a makes b the oldest');
    cache.set('c', 3);
    assert.equal(cache.get('b'), undefined);
    assert.equal(cache.get('a'), 1);
    assert.equal(cache.get('c'), 3);
    assert.equal(cache.size, 2);
    cache.set('a', 10);
    cache.set('d', 4);
    assert.deepEqual([cache.get('c'), cache.get('a'), cache.get('d')], [undefined, 10, 4], 'setting again counts as a use');
  });

  it('refuses a capacity below one', () => {
    assert.throws(() => new LruCache(0), /at least one entry, got capacity 0/);
  });
});

describe('the test log in memory: what runs in full, what ran as a summary', () => {
  it('keeps only tests not finished and the last finished ones read in full; an older one is folded again, its views the same', () => {
    const store = openStore();
    const tests = new TestLog(store, 2);
    const ids = Array.from({ length: 8 }, (_, i) => runTest(tests, i, i === 5));
    const before = new Map(ids.map((id) => [id, viewsOf(tests, id)]));
    const first = tests.get('t00');
    assert.deepEqual(tests.unfinished().map((t) => t.test_id), ['t05']);
    assert.deepEqual(tests.list().map((t) => t.test_id), [...ids].reverse(), 'every test listed, newest first');
    const folded = countFolds(store);
    for (const id of ids) assert.equal(viewsOf(tests, id), before.get(id), `${id}'s views`);
    assert.ok(folded.length >= 5, `finished tests read longer ago are folded from the store (${folded.join(', ')})`);
    assert.ok(!folded.includes('t05'), 'a running test is never folded again');
    folded.length = 0;
    tests.get('t07');
    assert.deepEqual(folded, [], 'the last read are held');
    assert.notEqual(tests.get('t00'), first, 'the first test left memory');
    store.close();
  });

  it('folds a late report into a finished test that left memory once, and its summary follows', () => {
    const store = openStore();
    const tests = new TestLog(store, 1);
    runTest(tests, 1);
    runTest(tests, 2);
    const version = tests.list().find((t) => t.test_id === 't01')!.version;
    const late = report('t01', 'a', 3, 500, true);
    assert.equal(tests.append('t01', { type: 'report_received', at: iso(T0 + 200_000), report: late }, `report:${late.report_id}`), true);
    assert.equal(tests.append('t01', { type: 'report_received', at: iso(T0 + 200_000), report: late }, `report:${late.report_id}`), false, 'a redelivery counts once');
    const summary = tests.list().find((t) => t.test_id === 't01')!;
    assert.equal(summary.version, version + 1);
    assert.equal(tests.get('t01')!.drivers.get('a')!.latest!.sent, 500);
    const refolded = new TestLog(store);
    refolded.replay();
    assert.equal(viewsOf(refolded, 't01'), viewsOf(tests, 't01'), 'the same as a fold of every stored event');
    store.close();
  });

  it('restarts from the summaries of finished tests, folding in full only those not finished, with every view the same', () => {
    const store = openStore();
    const tests = new TestLog(store);
    const ids = Array.from({ length: 12 }, (_, i) => runTest(tests, i, i === 3 || i === 9));
    tests.append('t12', { type: 'test_created', at: iso(T0 + 12 * 60_000), driver_ids: DRIVERS, config: { test_id: 't12', test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 10 } });
    const before = new Map(ids.concat('t12').map((id) => [id, viewsOf(tests, id)]));
    const folded = countFolds(store);
    const restarted = new TestLog(store);
    assert.deepEqual(restarted.replay(), { tests: 13, folded: 3 });
    assert.deepEqual(folded.sort(), ['t03', 't09', 't12'], 'only the tests not finished are folded at the restart');
    const withoutVersion = ({ version: _version, ...rest }: TestSummary) => rest;
    assert.deepEqual(restarted.list().map(withoutVersion), tests.list().map(withoutVersion), 'the same summaries: ids, states, times, newest first');
    assert.deepEqual(restarted.list().filter((t) => t.version === UNREAD_VERSION).length, 10, "a finished test's version is not read until it is folded");
    assert.deepEqual(restarted.unfinished().map((t) => t.test_id).sort(), ['t03', 't09', 't12']);
    for (const [id, views] of before) assert.equal(viewsOf(restarted, id), views, `${id}'s views after the restart`);
    assert.deepEqual(restarted.list(), tests.list(), 'once read, the same versions too');
    store.close();
  });

  it('lists tests as lists show them, building a finished test view once per version', () => {
    const store = openStore();
    const tests = new TestLog(store, 1);
    const figures = new FiguresCalculator();
    const summaries = new SummaryViews(tests, figures);
    for (let i = 0; i < 4; i++) runTest(tests, i, i === 2);
    const folded = countFolds(store);
    const first = summaries.viewsOf(tests.list());
    assert.deepEqual(first.map((v) => v.test_id), ['t03', 't02', 't01', 't00']);
    const foldsForFirstPage = folded.length;
    assert.deepEqual(summaries.viewsOf(tests.list()), first);
    assert.equal(folded.length, foldsForFirstPage, 'a page read again is not folded again');
    const late = report('t00', 'b', 3, 900, true);
    tests.append('t00', { type: 'report_received', at: iso(T0 + 300_000), report: late }, `report:${late.report_id}`);
    assert.equal(summaries.viewsOf(tests.list()).at(-1)!.aggregate.sent, tests.get('t00')!.drivers.get('a')!.latest!.sent! + 900, 'a new version is a new view');
    store.close();
  });

  it('reads a page of the list without pushing out of memory the finished test a reader has open', () => {
    const store = openStore();
    const tests = new TestLog(store, 1);
    for (let i = 0; i < 4; i++) runTest(tests, i, false);
    const restarted = new TestLog(store, 1);
    restarted.replay();
    const open = restarted.get('t00')!;
    const folded = countFolds(store);
    const views = new SummaryViews(restarted, new FiguresCalculator());
    const page = views.viewsOf(restarted.list());
    assert.deepEqual(folded.sort(), ['t01', 't02', 't03'], 'the page folds the tests it had not read, not the open one');
    assert.deepEqual(views.viewsOf(restarted.list()), page);
    assert.deepEqual(folded.sort(), ['t01', 't02', 't03'], 'read again, the page folds nothing: the versions a restart left unread are known now');
    assert.equal(restarted.get('t00'), open, 'the open test is still the one in memory: not folded again');
    assert.deepEqual(folded.sort(), ['t01', 't02', 't03']);
    store.close();
  });
});

describe('the plan log in memory', () => {
  it('keeps finished plans as summaries with their tests, folds one again when asked, and restarts the same', () => {
    const store = openStore();
    const plans = new PlanLog(store);
    const spec = { name: 'nightly', tests: [{ name: 'smoke', body: {}, retries: 0, continue_on_failure: false, thresholds: [] }] } as never;
    for (let i = 0; i < 3; i++) {
      const planId = `p${i}`;
      plans.append(planId, { type: 'plan_created', at: iso(T0 + i * 1000), plan_id: planId, spec });
      plans.append(planId, { type: 'plan_test_started', at: iso(T0 + i * 1000 + 1), step: 0, attempt: 1, test_id: `t${i}` });
      if (i !== 1) plans.append(planId, { type: 'plan_finished', at: iso(T0 + i * 1000 + 2), verdict: 'passed' });
    }
    assert.deepEqual(plans.running().map((p) => p.plan_id), ['p1']);
    assert.deepEqual(plans.list().map((p) => [p.plan_id, p.state, p.tests]), [
      ['p2', 'finished', [{ test_id: 't2', name: 'smoke' }]],
      ['p1', 'running', [{ test_id: 't1', name: 'smoke' }]],
      ['p0', 'finished', [{ test_id: 't0', name: 'smoke' }]],
    ]);
    const restarted = new PlanLog(store, 1);
    assert.equal(restarted.replay(), 3);
    assert.deepEqual(restarted.list(), plans.list());
    const folded = countFolds(store);
    assert.deepEqual(restarted.get('p0'), plans.get('p0'));
    assert.deepEqual(folded, ['p0'], 'a finished plan past the ones kept is folded from the store');
    store.close();
  });
});
