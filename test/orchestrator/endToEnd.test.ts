import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KafkaBus } from '../../src/bus/index.js';
import { TOPICS, type MetricsMessage } from '../../src/protocol/index.js';
import { decodeHistogram, mergeHistograms } from '../../src/stats/latencyHistogram.js';
import { summarize } from '../../src/stats/summary.js';
import { connectTestBus, subscribeInbox, testBrokers } from '../helpers/kafka.js';
import { eventually, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, tempDir, type Child } from '../helpers/processes.js';

type Figures = { sent: number; completed: number; error_count: number; errors: Record<string, number>; error_samples: Record<string, string[]>; latency: Record<string, number | null>; approximate: boolean };
type TestView = { test_id: string; state: string; reason: string | null; driver_ids: string[]; aggregate: Figures; drivers: (Figures & { node_id: string; reports: number; final: boolean })[] };
type TargetCounts = { requests_received: number; responses_sent: number; in_flight: number };

const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);

describe('orchestrator with real drivers, target and Kafka', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let bus: KafkaBus;
  const drivers: { child: Child; nodeId: string }[] = [];

  before(async () => {
    target = await startTarget();
    orchestrator = await startOrchestratorProcess();
    bus = await connectTestBus('e2e-test');
  });
  after(async () => {
    await bus.close();
    await stopAllChildren();
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => stopChild(d.child.process)));
  });

  async function addDrivers(count: number, args: string[] = []) {
    const started = await Promise.all(Array.from({ length: count }, () => startDriverProcess(orchestrator.url, args)));
    drivers.push(...started);
    return started.map((d) => d.nodeId);
  }

  const targetCounts = () => getJson<TargetCounts>(`${target.url}/metrics?format=json`);
  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);

  async function runTest(body: Record<string, unknown>, timeoutMs = 60_000): Promise<TestView> {
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { target_url: `${target.url}/ping`, trigger: true, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return eventually(() => getTest(created.body.test_id), finished, timeoutMs, `test ${created.body.test_id} to finish`);
  }

  it('runs TSUNAMI and AVALANCHE tests whose counts agree exactly: drivers, target, orchestrator', async () => {
    const ids = await addDrivers(2);
    for (const body of [
      { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 150, drivers: ids },
      { test_type: 'AVALANCHE', message_count_per_driver: 3000, drivers: ids },
    ]) {
      const before = await targetCounts();
      const test = await runTest(body);
      assert.equal(test.state, 'completed', test.reason ?? '');
      const perDriver = body.message_count_per_driver;
      for (const d of test.drivers) {
        assert.equal(d.sent, perDriver, `${d.node_id} sent`);
        assert.equal(d.completed, perDriver, `${d.node_id} completed`);
        assert.equal(d.error_count, 0);
      }
      const afterCounts = await targetCounts();
      assert.equal(afterCounts.responses_sent - before.responses_sent, 2 * perDriver, 'the target answered exactly the requests sent');
      assert.equal(test.aggregate.completed, 2 * perDriver);
      assert.equal(test.aggregate.approximate, false);
      assert.ok((test.aggregate.latency.median ?? 0) > 0);
    }
  });

  it('refuses a port another orchestrator holds: one line naming the flag, exit 2, nothing left running', async () => {
    const second = startCli(['orchestrator', '--kafka', testBrokers().join(','), '--orchestrator', `127.0.0.1:${orchestrator.port}`, '--store', join(tempDir(), 'orchestrator.db')]);
    // Before the fix its timers kept the failed process alive, deaf to SIGTERM; 15 s is far past a start.
    const code = await Promise.race([second.exited, new Promise<string>((resolve) => setTimeout(() => resolve('still running after 15 s'), 15_000))]);
    assert.equal(code, 2);
    assert.match(second.stderr(), new RegExp(`--orchestrator 127\\.0\\.0\\.1:${orchestrator.port} is already in use`));
  });

  it('times out every request at timeout_ms and shows the error samples in the test view and the JSON report', async () => {
    const ids = await addDrivers(2);
    const test = await runTest({ test_type: 'TSUNAMI', test_message_delay: 20, message_count_per_driver: 10, drivers: ids, timeout_ms: 100, target_url: `${target.url}/ping?delay_ms=500` });
    assert.equal(test.state, 'completed', test.reason ?? '');
    assert.deepEqual(test.aggregate.errors, { timeout: 20 });
    const sample = ['no complete response within 100 ms'];
    assert.deepEqual(test.aggregate.error_samples, { timeout: sample });
    for (const d of test.drivers) assert.deepEqual(d.error_samples, { timeout: sample });
    const report = await getJson<TestView>(`${orchestrator.url}/api/tests/${test.test_id}/report?format=json`);
    assert.deepEqual(report.aggregate.error_samples, { timeout: sample });
  });

  it('takes a different driver set for each test: 2, then 3, then 2', async () => {
    const first = await addDrivers(3);
    const two = await runTest({ test_type: 'AVALANCHE', message_count_per_driver: 100, drivers: 2 });
    assert.equal(two.drivers.length, 2);
    const three = await runTest({ test_type: 'AVALANCHE', message_count_per_driver: 100 });
    assert.deepEqual([...three.driver_ids].sort(), [...first].sort());
    assert.equal(three.aggregate.completed, 300);
    await stopChild(drivers.pop()!.child.process);
    const again = await runTest({ test_type: 'AVALANCHE', message_count_per_driver: 100 });
    assert.equal(again.drivers.length, 2, 'the stopped driver is not chosen');
    assert.equal(again.state, 'completed');
  });

  it('cancels a running test on every driver: cancelled only once the final reports are in, counts still exact', async () => {
    const ids = await addDrivers(2);
    const before = await targetCounts();
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { target_url: `${target.url}/ping`, trigger: true, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 2_000, drivers: ids });
    const testId = created.body.test_id;
    await eventually(() => getTest(testId), (t) => t.drivers.every((d) => d.sent > 20), 15_000, 'both drivers under way');
    const cancel = await postJson<TestView>(`${orchestrator.url}/api/tests/${testId}/cancel`, {});
    assert.equal(cancel.status, 202);
    const test = await eventually(() => getTest(testId), finished, 15_000, 'the test to end');
    assert.equal(test.state, 'cancelled', test.reason ?? '');
    assert.ok(test.drivers.every((d) => d.final && d.sent < 2_000), 'every driver stopped early and sent its final report');
    const afterCounts = await targetCounts();
    assert.equal(afterCounts.responses_sent - before.responses_sent, test.aggregate.completed, 'the figures count every response the target sent');
    assert.equal((await postJson(`${orchestrator.url}/api/tests/${testId}/cancel`, {})).status, 409);
  });

  it('aggregates exactly: the overall median and p99 are those of all samples, not a mean of medians', async () => {
    const fastTarget = await startTarget(['--delay-ms', '2']);
    // Equal counts put the true median at the fast driver's slowest response (its cold start can take
    // 20 ms, a loaded machine 50), so the slow target must be far slower for the mean of medians to be
    // clearly off: at 200 ms the mean of medians is about 100, where only a fast response as slow as the
    // slow target's could meet it.
    const slowTarget = await startTarget(['--delay-ms', '200']);
    const [fast] = await addDrivers(1, ['--target', `${fastTarget.url}/ping`]);
    const [slow] = await addDrivers(1, ['--target', `${slowTarget.url}/ping`]);
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.metrics]);
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 120, drivers: [fast, slow], trigger: true });
    const test = await eventually(() => getTest(created.body.test_id), finished, 60_000, 'the test to finish');
    assert.equal(test.state, 'completed', test.reason ?? '');
    const finals = inbox.received.flatMap((d) => (d.topic === 'metrics' && d.message.test_id === test.test_id && d.message.final ? [d.message as MetricsMessage] : []));
    await close();
    assert.equal(finals.length, 2);
    const truth = summarize(mergeHistograms(finals.map((f) => decodeHistogram(f.histogram!))));
    assert.equal(test.aggregate.latency.median, truth.median);
    assert.equal(test.aggregate.latency.p99, truth.p99);
    const medians = test.drivers.map((d) => d.latency.median ?? 0);
    const meanOfMedians = medians.reduce((a, b) => a + b, 0) / medians.length;
    assert.ok((truth.p99 ?? 0) >= 100, `p99 ${truth.p99} reflects the slow driver`);
    assert.ok(Math.abs(meanOfMedians - (truth.median ?? 0)) > 5 || (truth.median ?? 0) >= 100, `mean of medians ${meanOfMedians} vs true median ${truth.median}`);
    assert.notEqual(test.aggregate.latency.median, meanOfMedians, 'the mean of medians would have been wrong');
  });

  it('marks a killed driver lost within 5 s and fails the test naming it, keeping the other figures', async () => {
    const [victim, survivor] = await addDrivers(2);
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { target_url: `${target.url}/ping`, test_type: 'TSUNAMI', test_message_delay: 20, message_count_per_driver: 400, drivers: [victim, survivor], trigger: true });
    const testId = created.body.test_id;
    await eventually(() => getTest(testId), (t) => t.drivers.every((d) => d.sent > 10), 15_000, 'both drivers under way');
    const victimProcess = drivers.find((d) => d.nodeId === victim)!.child.process;
    const killedAt = Date.now();
    victimProcess.kill('SIGKILL');
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => list.some((d) => d.node_id === victim && d.status === 'lost'), 6_000, 'the killed driver marked lost');
    assert.ok(Date.now() - killedAt < 5_500, 'lost within 5 s');
    const test = await eventually(() => getTest(testId), finished, 10_000, 'the test to end');
    assert.equal(test.state, 'failed');
    assert.match(test.reason ?? '', new RegExp(`driver ${victim} lost`));
    const kept = test.drivers.find((d) => d.node_id === survivor);
    assert.ok(kept && kept.sent > 10 && kept.reports > 0, 'the survivor figures are kept');
  });

  it('survives an orchestrator restart mid-test: the test completes and every report counts once', async () => {
    const ids = await addDrivers(2);
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.metrics]);
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { target_url: `${target.url}/ping`, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 300, drivers: ids, trigger: true });
    const testId = created.body.test_id;
    await eventually(() => getTest(testId), (t) => t.aggregate.sent > 50, 15_000, 'the test under way');
    await stopChild(orchestrator.child.process, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 1_500));
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    const test = await eventually(() => getTest(testId), finished, 60_000, 'the test to finish after the restart');
    assert.equal(test.state, 'completed', test.reason ?? '');
    assert.equal(test.aggregate.completed, 600);
    const published = new Set(inbox.received.flatMap((d) => (d.topic === 'metrics' && d.message.test_id === testId ? [d.message.report_id] : [])));
    await close();
    const counted = test.drivers.reduce((sum, d) => sum + d.reports, 0);
    assert.equal(counted, published.size, 'each published report counted exactly once');
  });

  it('shows every finished test the same after a restart, though it folds them from the store only when asked', async () => {
    const listed = () => getJson<TestView[]>(`${orchestrator.url}/api/tests?limit=1000`);
    const viewsOf = (tests: TestView[]) =>
      Promise.all(tests.map(async ({ test_id }) => ({ detail: await getTest(test_id), report: await getJson(`${orchestrator.url}/api/tests/${test_id}/report?format=json`) })));
    const list = await listed();
    assert.ok(list.length >= 6 && list.every(finished), `the tests of this file, all finished (${list.map((t) => t.state).join(', ')})`);
    const before = await viewsOf(list);
    await stopChild(orchestrator.child.process);
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    assert.deepEqual(await listed(), list, 'the list, figures and all');
    assert.deepEqual(await viewsOf(list), before, 'each test and its report');
  });
});
