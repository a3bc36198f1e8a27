import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KafkaBus } from '../../src/bus/index.js';
import { newTestId, type MetricsMessage, type TestConfigMessage } from '../../src/protocol/index.js';
import { decodeHistogram } from '../../src/stats/latencyHistogram.js';
import { MetricsStore } from '../../src/store/metricsStore.js';
import { startTargetServer, type TargetServer } from '../../src/target/targetServer.js';
import { startDriverProcess, type DriverProcess } from '../helpers/driverProcess.js';
import { getJson } from '../helpers/processes.js';
import { connectTestBus, subscribeInbox, testBrokers, type Inbox } from '../helpers/kafka.js';

const nodeId = `driver-it-${randomBytes(4).toString('hex')}`;
const storeDir = mkdtempSync(join(tmpdir(), 'stampede-driver-it-'));
const storeFile = join(storeDir, 'driver.db');

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('driver node (child process, real Kafka, real target)', () => {
  let bus: KafkaBus;
  let target: TargetServer;
  let driver: DriverProcess;
  let inbox: Inbox<'register' | 'heartbeat' | 'metrics'>;
  let closeInbox: () => Promise<void>;

  const mine = <T extends { node_id: string }>(message: T) => message.node_id === nodeId;
  const reportsFor = (testId: string): MetricsMessage[] =>
    inbox.received.flatMap((d) => (d.topic === 'metrics' && mine(d.message) && d.message.test_id === testId ? [d.message] : []));
  const finalsFor = (testId: string) => reportsFor(testId).filter((m) => m.final === true);
  const waitForFinal = async (testId: string, timeoutMs = 15_000): Promise<MetricsMessage> => {
    const found = await inbox.waitFor((d) => d.topic === 'metrics' && mine(d.message) && d.message.test_id === testId && d.message.final === true, timeoutMs, `the final report of ${testId}`);
    return found.message as MetricsMessage;
  };
  const configure = async (overrides: Partial<TestConfigMessage>): Promise<string> => {
    const config: TestConfigMessage = {
      test_id: newTestId(),
      test_type: 'AVALANCHE',
      test_message_delay: 0,
      message_count_per_driver: 50,
      target_url: `${target.url}/ping`,
      driver_ids: [nodeId],
      ...overrides,
    };
    await bus.publish('test_config', config);
    return config.test_id;
  };
  const trigger = (testId: string) => bus.publish('trigger', { test_id: testId, trigger: 'YES' });
  /** What the target itself says it answered, as an operator would read it. */
  const responsesSent = async () => (await getJson<{ responses_sent: number }>(`${target.url}/metrics?format=json`)).responses_sent;
  /** The driver's own /metrics, at the node_IP it registered. */
  const driverMetrics = async (): Promise<string> => {
    const registered = await inbox.waitFor((d) => d.topic === 'register' && mine(d.message), 10_000, 'the register message');
    return registered.topic === 'register' ? (await fetch(`http://${registered.message.node_IP}/metrics`)).text() : '';
  };

  before(async () => {
    testBrokers();
    bus = await connectTestBus(`driver-node-test-${randomBytes(3).toString('hex')}`);
    ({ inbox, close: closeInbox } = await subscribeInbox(bus, ['register', 'heartbeat', 'metrics']));
    target = await startTargetServer({ host: '127.0.0.1', port: 0 });
    driver = await startDriverProcess(['--kafka', testBrokers().join(','), '--orchestrator', '127.0.0.1:7070', '--store', storeFile, '--id', nodeId]);
  });

  after(async () => {
    await driver?.kill();
    await closeInbox?.();
    await bus?.close();
    await target?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('answers a test_config it cannot read (a bad requests entry) with a rejected final report naming the field', async () => {
    const bad = { url: `${target.url}/ping`, headers: { 'bad name': 'x' } };
    const testId = await configure({ requests: [{ url: `${target.url}/ping` }, bad] } as unknown as Partial<TestConfigMessage>);
    const before = await responsesSent();
    await trigger(testId);
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'rejected');
    assert.equal(final.reason, 'invalid test_config: requests[1].headers.bad name: is not a valid header name');
    assert.equal(await responsesSent(), before, 'no request sent');
  });

  it('registers with the address of its status server, which answers /health and /metrics', async () => {
    const registered = await inbox.waitFor((d) => d.topic === 'register' && mine(d.message), 10_000, 'the register message');
    assert.equal(registered.topic, 'register');
    if (registered.topic !== 'register') return;
    assert.equal(registered.message.message_type, 'DRIVER_NODE_REGISTER');
    const health = await fetch(`http://${registered.message.node_IP}/health`);
    assert.equal(health.status, 200);
    const body = (await health.json()) as { node_id: string; reports_pending: number };
    assert.equal(body.node_id, nodeId);
    assert.equal(body.reports_pending, 0, 'an empty outbox');
    const metrics = await (await fetch(`http://${registered.message.node_IP}/metrics`)).text();
    assert.match(metrics, /^stampede_driver_running\{node_id="[^"]+"\} 0$/m);
    assert.match(metrics, /^stampede_driver_reports_pending\{node_id="[^"]+"\} 0$/m);
    assert.match(metrics, /^process_cpu_seconds_total \d/m, "prom-client's default process metrics");
  });

  it('heartbeats about once a second while idle', async () => {
    const count = () => inbox.received.filter((d) => d.topic === 'heartbeat' && mine(d.message)).length;
    const before = count();
    await sleep(3_200);
    const beats = count() - before;
    assert.ok(beats >= 2 && beats <= 5, `${beats} heartbeats in 3.2 s`);
    const last = inbox.received.filter((d) => d.topic === 'heartbeat' && mine(d.message)).at(-1);
    assert.ok(last?.topic === 'heartbeat' && last.message.state === 'idle' && last.message.heartbeat === 'YES');
  });

  it('runs a triggered TSUNAMI test: exactly N requests, periodic reports, exactly one final report', async () => {
    const before = target.counters().responses_sent;
    const testId = await configure({ test_type: 'TSUNAMI', test_message_delay: 25, message_count_per_driver: 60 });
    await trigger(testId);
    const final = await waitForFinal(testId);
    await sleep(1_000);

    assert.equal(target.counters().responses_sent - before, 60);
    assert.equal(finalsFor(testId).length, 1);
    assert.equal(final.outcome, 'completed');
    assert.equal(final.sent, 60);
    assert.equal(final.completed, 60);
    assert.equal(final.in_flight, 0);
    assert.deepEqual(final.errors, {});
    assert.ok(final.metrics.min_latency > 0 && final.metrics.min_latency <= final.metrics.median_latency);
    assert.ok(final.metrics.median_latency <= final.metrics.max_latency);
    assert.equal(decodeHistogram(final.histogram ?? '').totalCount, 60);
    assert.equal(decodeHistogram(final.service_histogram ?? '').totalCount, 60);
    const metrics = await driverMetrics();
    const series = `{node_id="${nodeId}",test_id="${testId}"}`;
    for (const name of ['stampede_driver_requests_sent_total', 'stampede_driver_requests_completed_total', 'stampede_driver_request_duration_seconds_count']) {
      assert.ok(metrics.split('\n').includes(`${name}${series} 60`), `${name}${series} 60 on the driver's /metrics`);
    }

    const reports = reportsFor(testId);
    assert.ok(reports.length >= 3, `${reports.length} reports for a ~1.5 s test`);
    const seqs = reports.map((r) => r.seq ?? 0).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1));
    assert.equal(new Set(reports.map((r) => r.report_id)).size, reports.length);
    const running = inbox.received.some((d) => d.topic === 'heartbeat' && mine(d.message) && d.message.state === 'running' && d.message.test_id === testId);
    assert.ok(running, 'no heartbeat said running with the test id');
  });

  it('survives garbage on test_config and trigger, and still runs a good test afterwards', async () => {
    for (const raw of ['not json', '{"test_id": 5}', '[]', '{"test_id":"x","test_type":"BOGUS","test_message_delay":0,"message_count_per_driver":1}', '{"test_id":"y","test_type":"AVALANCHE","test_message_delay":0,"message_count_per_driver":-3}']) {
      await bus.publishRaw('test_config', raw);
    }
    for (const raw of ['\u0000\u0001', 'null', '{"test_id":"x","trigger":"NO"}', '{"trigger":"YES"}']) await bus.publishRaw('trigger', raw);
    await bus.publishRaw('control', '{"message_type":"EXPLODE"}');
    await trigger('test-that-nobody-configured');

    const before = target.counters().responses_sent;
    const testId = await configure({ message_count_per_driver: 200, concurrency: 8 });
    await trigger(testId);
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'completed');
    assert.equal(final.completed, 200);
    assert.equal(target.counters().responses_sent - before, 200);
  });

  it('ignores a test for other drivers and a repeated trigger', async () => {
    const otherTest = await configure({ driver_ids: ['some-other-driver'] });
    await trigger(otherTest);
    const testId = await configure({ message_count_per_driver: 20 });
    await trigger(testId);
    await waitForFinal(testId);
    await trigger(testId);
    await sleep(1_500);
    assert.equal(reportsFor(otherTest).length, 0);
    assert.equal(finalsFor(testId).length, 1);
  });

  it('rejects a test it has no target for, with the reason', async () => {
    const testId = await configure({ target_url: undefined });
    await trigger(testId);
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'rejected');
    assert.match(final.reason ?? '', /no target URL/);
  });

  it('runs a test whose trigger overtook its config', async () => {
    const testId = newTestId();
    await trigger(testId);
    await sleep(300);
    await configure({ test_id: testId, message_count_per_driver: 30 });
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'completed');
    assert.equal(final.completed, 30);
  });

  it('answers a cancel that overtook the trigger with a cancelled final report, and the trigger after it sends nothing', async () => {
    const before = await responsesSent();
    const testId = await configure({ message_count_per_driver: 30 });
    await sleep(300);
    await bus.publish('control', { message_type: 'CANCEL_TEST', test_id: testId, reason: 'cancelled by request' });
    const final = await waitForFinal(testId);
    assert.deepEqual({ outcome: final.outcome, reason: final.reason, sent: final.sent }, { outcome: 'cancelled', reason: 'cancelled by request', sent: 0 });
    await trigger(testId);
    await sleep(1_000);
    assert.equal((await responsesSent()) - before, 0);
    assert.equal(finalsFor(testId).length, 1);
  });

  it('keeps a cancel that overtook the test config: once the config comes, a cancelled final report, and the trigger sends nothing', async () => {
    const before = await responsesSent();
    const testId = newTestId();
    await bus.publish('control', { message_type: 'CANCEL_TEST', test_id: testId, reason: 'cancelled by request' });
    await sleep(300);
    await configure({ test_id: testId, message_count_per_driver: 30 });
    await trigger(testId);
    const final = await waitForFinal(testId);
    assert.deepEqual({ outcome: final.outcome, reason: final.reason, sent: final.sent }, { outcome: 'cancelled', reason: 'cancelled by request', sent: 0 });
    await sleep(1_000);
    assert.equal((await responsesSent()) - before, 0);
    assert.equal(finalsFor(testId).length, 1);
  });

  it('rejects a trigger while busy, leaving the running test unharmed', async () => {
    const longTest = await configure({ test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 150 });
    const busyTest = await configure({ message_count_per_driver: 10 });
    await trigger(longTest);
    await inbox.waitFor((d) => d.topic === 'metrics' && mine(d.message) && d.message.test_id === longTest, 10_000, 'a first report');
    await trigger(busyTest);
    const rejected = await waitForFinal(busyTest);
    assert.equal(rejected.outcome, 'rejected');
    assert.match(rejected.reason ?? '', /busy/);
    const final = await waitForFinal(longTest);
    assert.equal(final.outcome, 'completed');
    assert.equal(final.completed, 150);
  });

  it('re-registers on REGISTER_REQUEST', async () => {
    const registrations = () => inbox.received.filter((d) => d.topic === 'register' && mine(d.message)).length;
    const before = registrations();
    await bus.publish('control', { message_type: 'REGISTER_REQUEST' });
    await inbox.waitFor(() => registrations() > before, 10_000, 'a second register message');
  });

  it('sends the warm-up first and keeps it out of every figure', async () => {
    const before = await responsesSent();
    const testId = await configure({ test_type: 'TSUNAMI', test_message_delay: 20, message_count_per_driver: 50, warmup_count_per_driver: 30 });
    await trigger(testId);
    const final = await waitForFinal(testId);
    assert.equal((await responsesSent()) - before, 80, 'the target answered the warm-up and the workload');
    assert.equal(final.phase, 'workload');
    assert.equal(final.warmup_completed, 30);
    assert.equal(final.sent, 50);
    assert.equal(final.completed, 50);
    assert.equal(decodeHistogram(final.histogram ?? '').totalCount, 50);
    // 50 starts 20 ms apart take about 1 s; counted from the warm-up's start it would be about 1.6 s.
    assert.ok((final.elapsed_ms ?? 0) < 1_450, `elapsed_ms ${final.elapsed_ms} counts the workload only`);
    const reports = reportsFor(testId).sort((a, b) => (a.seq ?? 0) - (b.seq ?? 0));
    const warmupReports = reports.filter((r) => r.phase === 'warmup');
    assert.ok(warmupReports.length > 0, 'reports kept coming during the warm-up');
    assert.equal(reports[0]?.phase, 'warmup', 'the warm-up is reported before the workload');
    assert.ok(warmupReports.every((r) => r.sent === 0 && r.completed === 0 && r.elapsed_ms === 0), 'no warm-up request counted as sent, no warm-up time counted');
  });

  it('cancels during the warm-up: no workload request is sent', async () => {
    const before = target.counters().responses_sent;
    const testId = await configure({ test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 100, warmup_count_per_driver: 5_000 });
    await trigger(testId);
    await inbox.waitFor((d) => d.topic === 'metrics' && mine(d.message) && d.message.test_id === testId, 10_000, 'a first report');
    await bus.publish('control', { message_type: 'CANCEL_TEST', test_id: testId, reason: 'too long' });
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'cancelled');
    assert.equal(final.phase, 'warmup');
    assert.equal(final.sent, 0);
    assert.equal(target.counters().responses_sent - before, final.warmup_completed);
  });

  it('cancels a long test: outcome cancelled, every sent request accounted for', async () => {
    const testId = await configure({ test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 10_000 });
    await trigger(testId);
    await inbox.waitFor((d) => d.topic === 'metrics' && mine(d.message) && d.message.test_id === testId, 10_000, 'a first report');
    await bus.publish('control', { message_type: 'CANCEL_TEST', test_id: testId, reason: 'enough' });
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'cancelled');
    assert.equal(final.reason, 'enough');
    assert.ok((final.sent ?? 0) < 10_000 && (final.sent ?? 0) > 0);
    assert.equal(final.completed, final.sent);
  });

  it('on SIGTERM mid-test publishes an aborted final report, deregisters and exits 0', async () => {
    const testId = await configure({ test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 10_000 });
    await trigger(testId);
    await inbox.waitFor((d) => d.topic === 'metrics' && mine(d.message) && d.message.test_id === testId, 10_000, 'a first report');
    driver.child.kill('SIGTERM');
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'aborted');
    await inbox.waitFor((d) => d.topic === 'register' && mine(d.message) && d.message.message_type === 'DRIVER_NODE_DEREGISTER', 10_000, 'the deregister message');
    assert.equal(await driver.exited, 0, driver.logs());

    const store = MetricsStore.open(storeFile);
    try {
      const outbox = store.outbox.counts();
      assert.equal(outbox.pending, 0, 'everything the driver stored was acknowledged before it exited');
      assert.ok(outbox.acknowledged >= finalsFor(testId).length);
    } finally {
      store.close();
    }
  });
});
