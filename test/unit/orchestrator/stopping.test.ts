import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { busyDrivers } from '../../../src/orchestrator/busyDrivers.js';
import { DriverRegistry } from '../../../src/orchestrator/driverRegistry.js';
import { selectDrivers } from '../../../src/orchestrator/driverSelection.js';
import { ControlError } from '../../../src/orchestrator/runtimeController.js';
import { applyTestEvent, createProjection, type TestProjection } from '../../../src/orchestrator/testProjection.js';
import { cancelDue, CANCEL_REPEAT_MS, driversStillLoading, isEnding, testsStillLoaded } from '../../../src/orchestrator/testStopping.js';
import type { HeartbeatMessage, MetricsMessage } from '../../../src/protocol/index.js';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

function runningTest(testId = 't', driverIds = ['a', 'b']): TestProjection {
  const test = createProjection({ type: 'test_created', at: iso(T0), driver_ids: driverIds, config: { test_id: testId, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5 } });
  applyTestEvent(test, { type: 'test_triggered', at: iso(T0) });
  return test;
}

function finalReport(nodeId: string, testId = 't'): MetricsMessage {
  return { node_id: nodeId, test_id: testId, report_id: `${nodeId}-${testId}-f`, metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 }, final: true, outcome: 'completed', seq: 2 };
}

function heartbeat(registry: DriverRegistry, nodeId: string, nowMs: number, activity: Pick<HeartbeatMessage, 'state' | 'test_id'> = {}): void {
  registry.onHeartbeat({ node_id: nodeId, heartbeat: 'YES', timestamp: iso(nowMs), ...activity }, nowMs);
}

/** The orchestrator's look-up of a test by id (a finished one read back from the store). */
const lookUp = (tests: TestProjection[]) => (testId: string) => tests.find((test) => test.test_id === testId);

const fail = (test: TestProjection) => applyTestEvent(test, { type: 'test_finished', at: iso(T0 + 2000), state: 'failed', reason: 'exceeded max_duration_s' });

describe('stopping the drivers of an ended test', () => {
  it('counts a test as ending once it has a verdict or a cancel was asked for', () => {
    const test = runningTest();
    assert.equal(isEnding(test), false);
    applyTestEvent(test, { type: 'cancel_requested', at: iso(T0 + 100), reason: 'by request' });
    assert.equal(isEnding(test), true);
    const failed = runningTest();
    fail(failed);
    assert.equal(isEnding(failed), true);
  });

  it('tells to stop the drivers without a final report that are alive and not known to do something else', () => {
    const registry = new DriverRegistry();
    const test = runningTest('t', ['running', 'done', 'lost', 'idle', 'elsewhere', 'spec-only', 'gone', 'never-seen']);
    heartbeat(registry, 'running', T0, { state: 'running', test_id: 't' });
    heartbeat(registry, 'done', T0, { state: 'running', test_id: 't' });
    applyTestEvent(test, { type: 'report_received', at: iso(T0), report: finalReport('done') });
    heartbeat(registry, 'lost', T0 - 10_000, { state: 'running', test_id: 't' });
    registry.sweep(T0);
    heartbeat(registry, 'idle', T0, { state: 'idle', test_id: null });
    heartbeat(registry, 'elsewhere', T0, { state: 'running', test_id: 'other' });
    heartbeat(registry, 'spec-only', T0);
    heartbeat(registry, 'gone', T0, { state: 'running', test_id: 't' });
    registry.onRegister({ node_id: 'gone', node_IP: '127.0.0.1:1', message_type: 'DRIVER_NODE_DEREGISTER' }, T0);
    assert.deepEqual(driversStillLoading(test, (id) => registry.get(id)), ['running', 'spec-only']);
  });

  it('finds ended tests a driver still says it runs, until its final report is in', () => {
    const registry = new DriverRegistry();
    const ended = runningTest('ended');
    const running = runningTest('live', ['c']);
    fail(ended);
    heartbeat(registry, 'a', T0, { state: 'running', test_id: 'ended' });
    heartbeat(registry, 'b', T0, { state: 'running', test_id: 'ended' });
    heartbeat(registry, 'c', T0, { state: 'running', test_id: 'live' });
    heartbeat(registry, 'd', T0, { state: 'running', test_id: 'unknown-to-us' });
    const tests = new Map([ended, running].map((t) => [t.test_id, t]));
    const loaded = () => testsStillLoaded(registry.list(), (id) => tests.get(id));
    assert.deepEqual([...loaded()], [['ended', ['a', 'b']]], 'a running test is not stopped, nor a test this orchestrator does not know');
    applyTestEvent(ended, { type: 'report_received', at: iso(T0 + 2100), report: finalReport('a', 'ended') });
    assert.deepEqual([...loaded()], [['ended', ['b']]], 'a final report is the acknowledgement, even before the idle heartbeat');
    heartbeat(registry, 'c', T0 + 3500, { state: 'running', test_id: 'live' });
    heartbeat(registry, 'd', T0 + 3500, { state: 'running', test_id: 'unknown-to-us' });
    registry.sweep(T0 + 4000);
    assert.deepEqual([...loaded()], [], 'a lost driver is not waited for');
  });

  it('repeats CANCEL_TEST every 2 s, not more often', () => {
    assert.equal(cancelDue(undefined, T0), true);
    assert.equal(cancelDue(T0, T0 + CANCEL_REPEAT_MS - 1), false);
    assert.equal(cancelDue(T0, T0 + CANCEL_REPEAT_MS), true);
  });
});

describe('refusing drivers busy with another test', () => {
  const alive = (registry: DriverRegistry) => registry.available();

  function setUp() {
    const registry = new DriverRegistry();
    for (const id of ['a', 'b', 'c', 'd']) heartbeat(registry, id, T0, { state: 'idle', test_id: null });
    heartbeat(registry, 'c', T0, { state: 'running', test_id: 'elsewhere' });
    const mine = runningTest('mine', ['a']);
    return { registry, tests: [mine], mine };
  }

  it('knows busy drivers from its running tests and from heartbeats, not from stale ones', () => {
    const { registry, tests, mine } = setUp();
    assert.deepEqual([...busyDrivers(registry.list(), tests, lookUp(tests))], [['a', 'mine'], ['c', 'elsewhere']]);
    const old = runningTest('old', ['d']);
    applyTestEvent(old, { type: 'report_received', at: iso(T0), report: finalReport('d', 'old') });
    applyTestEvent(old, { type: 'test_finished', at: iso(T0), state: 'completed' });
    heartbeat(registry, 'd', T0, { state: 'running', test_id: 'old' });
    applyTestEvent(mine, { type: 'report_received', at: iso(T0), report: finalReport('a', 'mine') });
    assert.deepEqual([...busyDrivers(registry.list(), tests, lookUp([...tests, old]))], [['c', 'elsewhere']], 'a final report outranks a heartbeat not yet updated');
  });

  it('answers a named busy driver with a conflict naming it and its test', () => {
    const { registry, tests } = setUp();
    const busy = busyDrivers(registry.list(), tests, lookUp(tests));
    assert.deepEqual(selectDrivers(alive(registry), ['b', 'd'], busy), ['b', 'd']);
    assert.throws(
      () => selectDrivers(alive(registry), ['a', 'b', 'c'], busy),
      (error: unknown) => error instanceof ControlError && error.code === 'conflict' && error.field === 'drivers' && error.message === 'drivers busy with another test: a (mine), c (elsewhere)',
    );
  });

  it('picks idle drivers for a count or for every driver, and says who is busy when too few are idle', () => {
    const { registry, tests } = setUp();
    const busy = busyDrivers(registry.list(), tests, lookUp(tests));
    assert.deepEqual(selectDrivers(alive(registry), undefined, busy), ['b', 'd']);
    assert.deepEqual(selectDrivers(alive(registry), 2, busy), ['b', 'd']);
    assert.throws(() => selectDrivers(alive(registry), 3, busy), /asked for 3 drivers but only 2 alive and idle: b, d; busy with another test: a \(mine\), c \(elsewhere\)/);
    const allBusy = new Map([['a', 'x'], ['b', 'x'], ['c', 'y'], ['d', 'y']]);
    assert.throws(() => selectDrivers(alive(registry), undefined, allBusy), /every live driver is busy with another test: a \(x\), b \(x\), c \(y\), d \(y\)/);
  });
});
