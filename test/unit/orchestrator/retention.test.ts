import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createLogger } from '../../../src/log/logger.js';
import { PlanLog, type PlanSummary } from '../../../src/orchestrator/planLog.js';
import { Retention, retentionVictims } from '../../../src/orchestrator/retention.js';
import { TestLog } from '../../../src/orchestrator/testLog.js';
import { MetricsStore } from '../../../src/store/metricsStore.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-09-01T00:00:00Z');
const iso = (ms: number) => new Date(ms).toISOString();

/** Tests t0…t9 finished a day apart (t9 newest); t5 still running. */
function filledLog(store: MetricsStore): TestLog {
  const tests = new TestLog(store);
  for (let i = 0; i < 10; i++) {
    const id = `t${i}`;
    tests.append(id, { type: 'test_created', at: iso(T0 + i * DAY), driver_ids: ['a'], config: { test_id: id, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5 } });
    tests.append(id, { type: 'test_triggered', at: iso(T0 + i * DAY) });
    if (i !== 5) tests.append(id, { type: 'test_finished', at: iso(T0 + i * DAY + 1000), state: 'completed' });
  }
  return tests;
}

const openStore = () => MetricsStore.open(join(mkdtempSync(join(tmpdir(), 'stampede-retention-')), 'orchestrator.db'));

describe('retention (--retain, --retain-tests)', () => {
  it('chooses finished tests past the age or past the newest N, never a running one nor one of a running plan', () => {
    const store = openStore();
    const tests = filledLog(store).list();
    const now = T0 + 10 * DAY;
    assert.deepEqual(retentionVictims(tests, [], { maxAgeMs: 4.5 * DAY }, now).tests.sort(), ['t0', 't1', 't2', 't3', 't4']);
    assert.deepEqual(retentionVictims(tests, [], { keep: 3 }, now).tests.sort(), ['t0', 't1', 't2', 't3', 't4', 't6']);
    const runningPlan: PlanSummary = { plan_id: 'p', state: 'running', created_at: iso(T0), finished_at: undefined, version: 2, tests: [{ test_id: 't0', name: 'smoke' }] };
    assert.ok(!retentionVictims(tests, [runningPlan], { keep: 1 }, now).tests.includes('t0'), 'a running plan still reads its tests');
    assert.deepEqual(retentionVictims(tests, [runningPlan], { keep: 1 }, now).plans, [], 'a running plan stays');
    store.close();
  });

  it('removes them from memory and from the store, and says why to whoever asks for one, with an injected clock', () => {
    const store = openStore();
    const tests = filledLog(store);
    const retention = new Retention(tests, new PlanLog(store), store, { maxAgeMs: 90 * DAY, keep: 4 }, createLogger('test'));
    assert.deepEqual(retention.sweep(T0 + 10 * DAY), { tests: 5, plans: 0 });
    assert.deepEqual(tests.list().map((t) => t.test_id), ['t9', 't8', 't7', 't6', 't5']);
    assert.deepEqual(store.eventsFor('t0'), [], 'its events are gone');
    assert.match(store.removalNote('t0') ?? '', /^removed by retention \(--retain 90d, --retain-tests 4\) at 2026-09-11T00:00:00.000Z$/);
    assert.equal(store.removalNote('t9'), undefined);
    assert.deepEqual(retention.sweep(T0 + 10 * DAY), { tests: 0, plans: 0 }, 'nothing more the second time');
    // 90 days on, the age removes the rest but the running one.
    assert.deepEqual(retention.sweep(T0 + 100 * DAY), { tests: 4, plans: 0 });
    assert.deepEqual(tests.list().map((t) => t.test_id), ['t5']);
    // A restart replays only what is left.
    const replayed = new TestLog(store);
    replayed.replay();
    assert.deepEqual(replayed.list().map((t) => t.test_id), ['t5']);
    store.close();
  });
});
