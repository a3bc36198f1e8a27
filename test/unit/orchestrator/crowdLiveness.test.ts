import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DriverRegistry, LOST_AFTER_MS, LOST_AFTER_RESUME_MS, mayJudgeSilence } from '../../../src/orchestrator/driverRegistry.js';

const T0 = Date.parse('2026-12-02T10:00:00Z');
const ids = Array.from({ length: 100 }, (_, i) => `d${String(i).padStart(3, '0')}`);

function heartbeat(registry: DriverRegistry, nodeId: string, nowMs: number): void {
  registry.onHeartbeat({ node_id: nodeId, heartbeat: 'YES', timestamp: new Date(nowMs).toISOString() }, nowMs);
}

/** Every driver heartbeats once a second from T0 to `untilMs` (or until its `silentFrom`), as the orchestrator reads them. */
function crowd(untilMs: number, silentFrom: Record<string, number> = {}, nodeIds: readonly string[] = ids): DriverRegistry {
  const registry = new DriverRegistry();
  for (let t = T0; t <= untilMs; t += 1_000) for (const id of nodeIds) if (t < (silentFrom[id] ?? Infinity)) heartbeat(registry, id, t);
  return registry;
}

describe('liveness of a crowd of drivers, judged against what the orchestrator could read', () => {
  it('blames nobody when every heartbeat arrives late together (the consumer fell behind), and says so', () => {
    const registry = crowd(T0 + 10_000);
    // Nothing read for 6 s: the orchestrator's consumer is behind, not 100 drivers gone.
    assert.deepEqual(registry.sweep(T0 + 16_000), []);
    assert.deepEqual(registry.crowdSilence, { silent: 100, of: 100, sinceMs: T0 + 16_000 });
    // The backlog arrives: everyone is heard again, and the silence is over.
    for (const id of ids) heartbeat(registry, id, T0 + 16_500);
    assert.deepEqual(registry.sweep(T0 + 16_600), []);
    assert.equal(registry.crowdSilence, undefined);
    assert.equal(registry.available().length, 100);
  });

  it('still finds the one driver that went silent while the others are read, after 3 s', () => {
    const registry = crowd(T0 + 8_000, { d042: T0 + 4_500 });
    // d042's last heartbeat was read at T0+4000.
    assert.deepEqual(registry.sweep(T0 + 6_900), []);
    assert.deepEqual(registry.sweep(T0 + 7_100), [{ node_id: 'd042', status: 'lost' }]);
    assert.equal(registry.crowdSilence, undefined);
  });

  it('loses a crowd that stays silent for five liveness windows (the bus delivers, nobody talks)', () => {
    const registry = crowd(T0 + 2_000);
    assert.deepEqual(registry.sweep(T0 + 16_900), []);
    assert.equal(registry.sweep(T0 + 17_100).length, 100);
  });

  it('treats most of the crowd falling behind the rest in one sweep as a crowd silence, not 60 failures', () => {
    const silentFrom = Object.fromEntries(ids.slice(0, 60).map((id) => [id, T0 + 3_500]));
    const registry = crowd(T0 + 8_000, silentFrom);
    assert.deepEqual(registry.sweep(T0 + 8_100), []);
    assert.deepEqual(registry.crowdSilence, { silent: 60, of: 100, sinceMs: T0 + 8_100 });
  });

  describe('with two drivers', () => {
    const pair = (untilMs: number, silentFrom: Record<string, number> = {}) => crowd(untilMs, silentFrom, ['a', 'b']);

    it('blames neither when both fall silent at the same moment (a broker failing over), and says so', () => {
      const registry = pair(T0 + 4_000);
      assert.deepEqual(registry.sweep(T0 + 9_000), []);
      assert.deepEqual(registry.crowdSilence, { silent: 2, of: 2, sinceMs: T0 + 9_000 });
      heartbeat(registry, 'a', T0 + 9_500);
      heartbeat(registry, 'b', T0 + 9_600);
      assert.deepEqual(registry.sweep(T0 + 9_700), []);
      assert.equal(registry.crowdSilence, undefined);
    });

    it('loses the one that fell silent while the other is heard, after 3 s', () => {
      const registry = pair(T0 + 8_000, { b: T0 + 4_500 });
      assert.deepEqual(registry.sweep(T0 + 6_900), []);
      assert.deepEqual(registry.sweep(T0 + 7_100), [{ node_id: 'b', status: 'lost' }]);
      assert.equal(registry.crowdSilence, undefined);
    });

    it('loses both once their silence lasts five liveness windows', () => {
      const registry = pair(T0 + 4_000);
      assert.deepEqual(registry.sweep(T0 + 18_900), []);
      assert.deepEqual(registry.sweep(T0 + 19_100).map((change) => change.node_id), ['a', 'b']);
    });
  });

  it('loses a lone driver after 3 s of silence: nobody else could say whether the bus delivers', () => {
    const registry = new DriverRegistry();
    heartbeat(registry, 'solo', T0);
    assert.deepEqual(registry.sweep(T0 + 2_900), []);
    assert.deepEqual(registry.sweep(T0 + 3_100), [{ node_id: 'solo', status: 'lost' }]);
    assert.equal(registry.crowdSilence, undefined);
  });
});

describe('when silent drivers may be judged lost', () => {
  it('never while Kafka cannot be read; one liveness window after the first read; three after Kafka comes back', () => {
    assert.equal(mayJudgeSilence(T0 + 60_000, undefined, T0), false);
    // At start: the first reading began at T0.
    assert.equal(mayJudgeSilence(T0 + LOST_AFTER_MS, T0, T0), false);
    assert.equal(mayJudgeSilence(T0 + LOST_AFTER_MS + 1, T0, T0), true);
    assert.equal(mayJudgeSilence(T0 + LOST_AFTER_MS + 1, T0, undefined), true);
    // After a failover: reading began again at T0 + 20 s; a driver's heartbeats may still be held up.
    const resumed = T0 + 20_000;
    assert.equal(mayJudgeSilence(resumed + LOST_AFTER_MS + 500, resumed, T0), false);
    assert.equal(mayJudgeSilence(resumed + LOST_AFTER_RESUME_MS, resumed, T0), false);
    assert.equal(mayJudgeSilence(resumed + LOST_AFTER_RESUME_MS + 1, resumed, T0), true);
  });
});
