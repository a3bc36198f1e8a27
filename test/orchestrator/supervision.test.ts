import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KAFKA_RETRY_BACKOFF } from '../../src/bus/index.js';
import { DriverRegistry, TEST_FAILS_AFTER_SILENT_MS } from '../../src/orchestrator/driverRegistry.js';
import { SILENT_AFTER_MS } from '../../src/orchestrator/runtimeController.js';
import { applyTestEvent, createProjection } from '../../src/orchestrator/testProjection.js';
import { superviseTest } from '../../src/orchestrator/testSupervisor.js';
import type { MetricsMessage } from '../../src/protocol/index.js';

const T0 = Date.parse('2026-11-24T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function runningTest() {
  const test = createProjection({ type: 'test_created', at: iso(T0), driver_ids: ['a', 'b'], config: { test_id: 't', test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5 } });
  applyTestEvent(test, { type: 'test_triggered', at: iso(T0) });
  return test;
}

function finalReport(nodeId: string, outcome: MetricsMessage['outcome'] = 'completed'): MetricsMessage {
  return { node_id: nodeId, test_id: 't', report_id: `${nodeId}-f`, metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 }, final: true, outcome, seq: 3 };
}

function registryWith(nowMs: number) {
  const registry = new DriverRegistry();
  for (const id of ['a', 'b']) registry.onHeartbeat({ node_id: id, heartbeat: 'YES', timestamp: iso(nowMs) }, nowMs);
  return registry;
}

const context = (registry: DriverRegistry, nowMs: number) => ({ nowMs, hearingSinceMs: T0 - 60_000, driver: (id: string) => registry.get(id), silentForMs: (id: string) => registry.silentForMs(id, nowMs), failAfterSilentMs: TEST_FAILS_AFTER_SILENT_MS, lostAfterMs: 3_000, silentAfterMs: 15_000 });

describe('supervision', () => {
  it('completes when every chosen driver sent its final report', () => {
    const test = runningTest();
    const registry = registryWith(T0 + 1000);
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 900), report: finalReport('a') });
    assert.equal(superviseTest(test, context(registry, T0 + 1000)), undefined);
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 950), report: finalReport('b') });
    assert.deepEqual(superviseTest(test, context(registry, T0 + 1000)), { state: 'completed' });
  });

  it('fails, naming the driver, when one lost mid-test stays unheard past the failover window', () => {
    const test = runningTest();
    const registry = registryWith(T0);
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 500), report: finalReport('a') });
    registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(T0 + 3500) }, T0 + 3500);
    registry.sweep(T0 + 3500);
    assert.equal(registry.get('b')?.status, 'lost', 'found lost within 4 s');
    assert.equal(superviseTest(test, context(registry, T0 + 3500)), undefined, 'its heartbeats may be held up by a failover');
    const at = T0 + TEST_FAILS_AFTER_SILENT_MS + 100;
    registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(at) }, at);
    registry.sweep(at);
    const verdict = superviseTest(test, context(registry, at));
    assert.equal(verdict?.state, 'failed');
    assert.match(verdict?.reason ?? '', /driver b lost/);
  });

  it('does not fail a test for a driver shown lost whose heartbeats come through again (a partition failing over)', () => {
    const test = runningTest();
    const registry = registryWith(T0);
    registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(T0 + 3500) }, T0 + 3500);
    registry.sweep(T0 + 3500);
    assert.equal(registry.get('b')?.status, 'lost');
    assert.equal(superviseTest(test, context(registry, T0 + 3500)), undefined);
    // Its heartbeat of 2 s ago comes through at 6 s; a report of its own would do as well.
    registry.onHeartbeat({ node_id: 'b', heartbeat: 'YES', timestamp: iso(T0 + 4000) }, T0 + 6000);
    assert.equal(registry.get('b')?.status, 'alive');
    assert.equal(superviseTest(test, context(registry, T0 + 6000)), undefined, 'the test goes on');
    registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(T0 + 9500) }, T0 + 9500);
    registry.sweep(T0 + 9500);
    assert.equal(registry.get('b')?.status, 'lost');
    assert.equal(registry.onActivity('b', T0 + 9600)?.status, 'alive', 'a report brings a driver shown lost back');
  });

  it('turns a cancel into cancelled once the finals are in, or when a driver dies instead of answering', () => {
    const test = runningTest();
    const registry = registryWith(T0);
    applyTestEvent(test, { type: 'cancel_requested', at: iso(T0 + 100), reason: 'cancelled by request' });
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 300), report: finalReport('a', 'cancelled') });
    assert.equal(superviseTest(test, context(registry, T0 + 400)), undefined, 'still waiting for b');
    const at = T0 + TEST_FAILS_AFTER_SILENT_MS + 100;
    registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(at) }, at);
    registry.sweep(at);
    const verdict = superviseTest(test, context(registry, at));
    assert.equal(verdict?.state, 'cancelled');
    assert.match(verdict?.reason ?? '', /driver b lost/);
    const answered = runningTest();
    applyTestEvent(answered, { type: 'cancel_requested', at: iso(T0 + 100), reason: 'cancelled by request' });
    for (const id of ['a', 'b']) applyTestEvent(answered, { type: 'report_received', at: iso(T0 + 300), report: finalReport(id, 'cancelled') });
    assert.equal(superviseTest(answered, context(registryWith(T0 + 400), T0 + 400))?.state, 'cancelled');
  });

  it('fails when a driver falls silent while its heartbeats go on', () => {
    const test = runningTest();
    const now = T0 + 16_000;
    const verdict = superviseTest(test, context(registryWith(now), now));
    assert.match(verdict?.reason ?? '', /driver a never reported for 15 s/);
  });

  it('after a broker outage counts silence from when it hears Kafka again, long enough for the drivers to empty their outboxes', () => {
    const test = runningTest();
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 1_000), report: { ...finalReport('a'), final: false, outcome: undefined, seq: 1 } });
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 1_000), report: { ...finalReport('b'), final: false, outcome: undefined, seq: 1 } });
    const heardAgainAt = T0 + 61_000;
    // A driver's publisher retries at most the backoff cap after the broker is back; give it that twice over.
    const outboxEmptiedBy = heardAgainAt + 2 * KAFKA_RETRY_BACKOFF.maxDelayMs;
    assert.ok(SILENT_AFTER_MS > 2 * KAFKA_RETRY_BACKOFF.maxDelayMs, `silence limit ${SILENT_AFTER_MS} ms vs backoff cap ${KAFKA_RETRY_BACKOFF.maxDelayMs} ms`);
    const judge = (nowMs: number) => superviseTest(test, { ...context(registryWith(nowMs), nowMs), hearingSinceMs: heardAgainAt, silentAfterMs: SILENT_AFTER_MS });
    assert.equal(judge(outboxEmptiedBy), undefined, 'no verdict while the outboxes may still be emptying');
    assert.match(judge(heardAgainAt + SILENT_AFTER_MS + 1)?.reason ?? '', /driver a sent no report for 15 s/);
  });

  it('fails when a driver rejected the test, with its reason', () => {
    const test = runningTest();
    applyTestEvent(test, { type: 'report_received', at: iso(T0), report: { ...finalReport('a', 'rejected'), reason: 'busy with test x' } });
    applyTestEvent(test, { type: 'report_received', at: iso(T0), report: finalReport('b') });
    const verdict = superviseTest(test, context(registryWith(T0 + 100), T0 + 100));
    assert.deepEqual(verdict, { state: 'failed', reason: 'driver a rejected the test: busy with test x' });
  });

  it('fails at once when one driver rejects, without waiting for the others to finish', () => {
    const test = runningTest();
    applyTestEvent(test, { type: 'report_received', at: iso(T0), report: { ...finalReport('a', 'rejected'), reason: 'busy with test x' } });
    const verdict = superviseTest(test, context(registryWith(T0 + 100), T0 + 100));
    assert.deepEqual(verdict, { state: 'failed', reason: 'driver a rejected the test: busy with test x' });
  });

  it('ends a test past its max duration', () => {
    const test = createProjection({ type: 'test_created', at: iso(T0), driver_ids: ['a'], max_duration_s: 2, config: { test_id: 't', test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5 } });
    applyTestEvent(test, { type: 'test_triggered', at: iso(T0) });
    applyTestEvent(test, { type: 'report_received', at: iso(T0 + 2400), report: { ...finalReport('a'), final: false } });
    const verdict = superviseTest(test, context(registryWith(T0 + 2500), T0 + 2500));
    assert.match(verdict?.reason ?? '', /exceeded max_duration_s/);
  });

  it('marks a deregistered driver left, never lost, fails its running test, and removes only drivers that are not alive', () => {
    const registry = registryWith(T0);
    assert.deepEqual(registry.onRegister({ node_id: 'a', node_IP: '127.0.0.1:1', message_type: 'DRIVER_NODE_DEREGISTER' }, T0 + 100), { node_id: 'a', status: 'left' });
    assert.deepEqual(registry.sweep(T0 + 10_000), [{ node_id: 'b', status: 'lost' }]);
    assert.equal(registry.get('a')?.status, 'left');
    assert.deepEqual(registry.available(), []);
    assert.match(superviseTest(runningTest(), context(registry, T0 + 200))?.reason ?? '', /driver a left \(deregistered\)/);
    assert.equal(registry.remove('a'), 'removed');
    assert.equal(registry.remove('a'), 'unknown');
    registry.onHeartbeat({ node_id: 'b', heartbeat: 'YES', timestamp: iso(T0 + 11_000) }, T0 + 11_000);
    assert.equal(registry.remove('b'), 'alive');
    assert.deepEqual(registry.list().map((d) => d.node_id), ['b']);
  });

  it('marks a driver silent for 3 s while another is heard lost, and alive again when heartbeats return', () => {
    const registry = registryWith(T0);
    registry.onHeartbeat({ node_id: 'b', heartbeat: 'YES', timestamp: iso(T0 + 2_500) }, T0 + 2_500);
    assert.deepEqual(registry.sweep(T0 + 2_999), []);
    assert.deepEqual(registry.sweep(T0 + 3_001), [{ node_id: 'a', status: 'lost' }]);
    const back = registry.onHeartbeat({ node_id: 'a', heartbeat: 'YES', timestamp: iso(T0 + 4000) }, T0 + 4000);
    assert.deepEqual(back, { node_id: 'a', status: 'alive' });
    assert.deepEqual(registry.available().map((d) => d.node_id), ['a', 'b']);
  });
});
