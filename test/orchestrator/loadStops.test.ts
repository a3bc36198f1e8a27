import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, afterEach, before, describe, it } from 'node:test';
import type { KafkaBus, Subscription } from '../../src/bus/index.js';
import { TOPICS, type ControlMessage, type HeartbeatMessage, type MetricsMessage } from '../../src/protocol/index.js';
import { connectTestBus } from '../helpers/kafka.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, type Child } from '../helpers/processes.js';

type TestView = { test_id: string; state: string; reason: string | null; finished_at: string | null };
type Heard<T> = { atMs: number; message: T };

const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);

describe('load stops when its test stops, whatever ends it (real broker, orchestrator, drivers, target)', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string };
  let bus: KafkaBus;
  let subscription: Subscription;
  const heartbeats: Heard<HeartbeatMessage>[] = [];
  const drivers: { child: Child; nodeId: string }[] = [];

  before(async () => {
    // Slow answers keep requests in flight: a driver that goes on loading shows in the target's count.
    target = await startTarget(['--delay-ms', '200']);
    orchestrator = await startOrchestratorProcess();
    bus = await connectTestBus('load-stops-test');
    subscription = await bus.subscribe({
      topics: [TOPICS.heartbeat],
      onMessage: (delivery) => void heartbeats.push({ atMs: Date.now(), message: delivery.message }),
    });
  });
  after(async () => {
    await subscription.close();
    await bus.close();
    await stopAllChildren();
  });
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => stopChild(d.child.process)));
  });

  async function addDrivers(count: number): Promise<string[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startDriverProcess(orchestrator.url)));
    drivers.push(...started);
    const ids = started.map((d) => d.nodeId);
    await eventually(() => getJson<{ node_id: string; state: string | null }[]>(`${orchestrator.url}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.state === 'idle')), 15_000, 'drivers idle');
    return ids;
  }

  const requestsReceived = async () => (await getJson<{ requests_received: number }>(`${target.url}/metrics?format=json`)).requests_received;
  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);
  const untilFinished = (id: string) => eventually(() => getTest(id), finished, 60_000, `test ${id} to finish`);

  async function startTest(driverIds: string[], extra: Record<string, unknown> = {}): Promise<string> {
    // 10,000 requests 5 ms apart would take 50 s per driver: only a stop ends these tests early.
    const body = { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 10_000, target_url: `${target.url}/ping`, drivers: driverIds, trigger: true, ...extra };
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.test_id;
  }

  /** The state each driver gives in its first heartbeat heard at or after `sinceMs`. */
  async function heartbeatStatesSince(nodeIds: string[], sinceMs: number): Promise<Record<string, string | undefined>> {
    const states: Record<string, string | undefined> = {};
    for (const nodeId of nodeIds) {
      const heard = await eventually(async () => heartbeats.find((h) => h.message.node_id === nodeId && h.atMs >= sinceMs), (h) => h !== undefined, 5_000, `a heartbeat of ${nodeId}`);
      states[nodeId] = heard!.message.state;
    }
    return states;
  }

  /** Waits until `atMs` (wall clock), then returns the target's count then and one second later. */
  async function targetCountsFrom(atMs: number): Promise<[number, number]> {
    await sleep(Math.max(0, atMs - Date.now()));
    const first = await requestsReceived();
    await sleep(1_000);
    return [first, await requestsReceived()];
  }

  it('max_duration_s: 2 — 1.5 s after the verdict the target sees no new request and every driver heartbeats idle', async () => {
    const ids = await addDrivers(2);
    const test = await untilFinished(await startTest(ids, { max_duration_s: 2 }));
    assert.equal(test.state, 'failed');
    assert.match(test.reason ?? '', /max_duration_s/);
    const verdictAtMs = Date.parse(test.finished_at!);
    const [atVerdictPlus1500, secondLater] = await targetCountsFrom(verdictAtMs + 1_500);
    assert.equal(secondLater, atVerdictPlus1500, 'the target still received requests after the test ended');
    assert.deepEqual(await heartbeatStatesSince(ids, verdictAtMs + 1_500), Object.fromEntries(ids.map((id) => [id, 'idle'])));
  });

  it('a driver SIGKILLed mid-test: the other stops within 2 s of the verdict; a busy driver is refused meanwhile', async () => {
    const [victim, survivor] = await addDrivers(2);
    const testId = await startTest([victim!, survivor!]);
    await eventually(() => getJson<{ node_id: string; state: string | null }[]>(`${orchestrator.url}/api/drivers`), (list) => list.filter((d) => d.state === 'running').length === 2, 10_000, 'both drivers running');

    const refused = await postJson<{ field: string; message: string }>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: 10, target_url: `${target.url}/ping`, drivers: [survivor], trigger: true });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.equal(refused.body.field, 'drivers');
    assert.equal(refused.body.message, `drivers busy with another test: ${survivor} (${testId})`);

    drivers.find((d) => d.nodeId === victim)!.child.process.kill('SIGKILL');
    const test = await untilFinished(testId);
    assert.equal(test.state, 'failed');
    assert.match(test.reason ?? '', new RegExp(`driver ${victim} lost`));
    const verdictAtMs = Date.parse(test.finished_at!);
    const [atVerdictPlus2000, secondLater] = await targetCountsFrom(verdictAtMs + 2_000);
    assert.equal(secondLater, atVerdictPlus2000, 'the surviving driver still loaded the target 2 s after the verdict');
    assert.deepEqual(await heartbeatStatesSince([survivor!], verdictAtMs + 2_000), { [survivor!]: 'idle' });
  });
});

describe('CANCEL_TEST until acknowledged, and busy drivers refused (drivers simulated on Kafka)', () => {
  let orchestrator: { child: Child; url: string };
  let bus: KafkaBus;
  let subscription: Subscription;
  const cancels: Heard<ControlMessage>[] = [];
  const activity = new Map<string, Pick<HeartbeatMessage, 'state' | 'test_id'>>();
  let beating: NodeJS.Timeout | undefined;

  before(async () => {
    orchestrator = await startOrchestratorProcess();
    bus = await connectTestBus('cancel-repeat-test');
    subscription = await bus.subscribe({
      topics: [TOPICS.control],
      onMessage: (delivery) => {
        if (delivery.message.message_type === 'CANCEL_TEST') cancels.push({ atMs: Date.now(), message: delivery.message });
      },
    });
    const beat = () => {
      for (const [nodeId, state] of activity) void bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString(), ...state }, nodeId);
    };
    beating = setInterval(beat, 300);
  });
  after(async () => {
    clearInterval(beating);
    await subscription.close();
    await bus.close();
    await stopAllChildren();
  });

  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);
  const report = (nodeId: string, testId: string, outcome: MetricsMessage['outcome']): MetricsMessage => ({
    node_id: nodeId,
    test_id: testId,
    report_id: `${nodeId}-${testId}-final`,
    metrics: { mean_latency: 0, median_latency: 0, min_latency: 0, max_latency: 0 },
    sent: 0,
    completed: 0,
    final: true,
    outcome,
    ...(outcome === 'rejected' ? { reason: 'cannot run it' } : {}),
  });
  const cancelsOf = (testId: string) => cancels.filter((c) => c.message.test_id === testId);

  async function aliveDrivers(ids: string[]): Promise<void> {
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 10_000, 'simulated drivers alive');
  }

  it('repeats CANCEL_TEST every 2 s to a driver still running a failed test until its final report, and accepts a cancel meanwhile', async () => {
    activity.set('sim-rejecting', { state: 'idle', test_id: null });
    activity.set('sim-running', { state: 'idle', test_id: null });
    await aliveDrivers(['sim-rejecting', 'sim-running']);
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: 10, target_url: 'http://127.0.0.1:9/ping', drivers: ['sim-rejecting', 'sim-running'], trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const testId = created.body.test_id;
    activity.set('sim-running', { state: 'running', test_id: testId });
    await sleep(400);
    await bus.publish(TOPICS.metrics, report('sim-rejecting', testId, 'rejected'), 'sim-rejecting');
    const test = await eventually(() => getTest(testId), finished, 10_000, 'the rejected test to fail');
    assert.equal(test.state, 'failed');

    await eventually(async () => cancelsOf(testId).length, (n) => n >= 3, 10_000, 'CANCEL_TEST sent at the verdict and repeated');
    const [first, second, third] = cancelsOf(testId);
    assert.ok(second!.atMs - first!.atMs >= 1_500 && third!.atMs - second!.atMs >= 1_500, `repeated every 2 s, not more often: ${cancelsOf(testId).map((c) => c.atMs - first!.atMs).join(', ')} ms`);

    const accepted = await postJson<TestView>(`${orchestrator.url}/api/tests/${testId}/cancel`, {});
    assert.equal(accepted.status, 202, JSON.stringify(accepted.body));
    assert.equal(accepted.body.state, 'failed', 'the verdict stands');

    await bus.publish(TOPICS.metrics, report('sim-running', testId, 'cancelled'), 'sim-running');
    await eventually(async () => (await getJson<{ drivers: { node_id: string; final: boolean }[] }>(`${orchestrator.url}/api/tests/${testId}`)).drivers.find((d) => d.node_id === 'sim-running')?.final, (f) => f === true, 10_000, 'the final report counted');
    const acknowledgedAtMs = Date.now();
    await sleep(3_000);
    assert.deepEqual(cancelsOf(testId).filter((c) => c.atMs > acknowledgedAtMs + 500), [], 'no CANCEL_TEST after the final report');
    const refused = await postJson<{ message: string }>(`${orchestrator.url}/api/tests/${testId}/cancel`, {});
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, /already failed and no driver still runs it/);
    activity.clear();
  });

  it('refuses a test naming a driver whose heartbeat says it runs another test', async () => {
    activity.set('sim-busy', { state: 'running', test_id: 'test-of-another-orchestrator' });
    activity.set('sim-free', { state: 'idle', test_id: null });
    await aliveDrivers(['sim-busy', 'sim-free']);
    await eventually(() => getJson<{ node_id: string; state: string | null }[]>(`${orchestrator.url}/api/drivers`), (list) => list.some((d) => d.node_id === 'sim-busy' && d.state === 'running'), 10_000, 'sim-busy running');
    const body = { test_type: 'AVALANCHE', message_count_per_driver: 10, target_url: 'http://127.0.0.1:9/ping' };
    const refused = await postJson<{ field: string; message: string }>(`${orchestrator.url}/api/tests`, { ...body, drivers: ['sim-free', 'sim-busy'] });
    assert.equal(refused.status, 409, JSON.stringify(refused.body));
    assert.deepEqual(refused.body, { error: 'Conflict', field: 'drivers', message: 'drivers busy with another test: sim-busy (test-of-another-orchestrator)' });
    const tests = await getJson<TestView[]>(`${orchestrator.url}/api/tests`);
    assert.equal(tests.filter((t) => t.state === 'created').length, 0, 'nothing was accepted');
    activity.clear();
  });
});
