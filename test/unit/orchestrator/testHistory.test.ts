import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CursorError, newerFirst } from '../../../src/orchestrator/pages.js';
import { testHistoryPage } from '../../../src/orchestrator/testHistory.js';
import { applyTestEvent, createProjection, type TestProjection } from '../../../src/orchestrator/testProjection.js';
import type { PlanSummary } from '../../../src/orchestrator/planLog.js';

const T0 = Date.parse('2026-12-01T00:00:00Z');

function test(i: number, state: 'created' | 'completed' = 'completed'): TestProjection {
  const at = new Date(T0 + i * 60_000).toISOString();
  const projection = createProjection({ type: 'test_created', at, driver_ids: ['a'], config: { test_id: `t${String(i).padStart(2, '0')}`, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5 } });
  if (state === 'completed') {
    applyTestEvent(projection, { type: 'test_triggered', at });
    applyTestEvent(projection, { type: 'test_finished', at, state: 'completed' });
  }
  return projection;
}

/** Twelve tests a minute apart, newest first; every third one never triggered. */
const TESTS = Array.from({ length: 12 }, (_, i) => test(i, i % 3 === 0 ? 'created' : 'completed')).sort((a, b) => newerFirst({ at: a.created_at, id: a.test_id }, { at: b.created_at, id: b.test_id }));
const PLAN: PlanSummary = { plan_id: 'plan-1', state: 'finished', created_at: new Date(T0).toISOString(), finished_at: new Date(T0 + 8 * 60_000).toISOString(), version: 8, tests: [{ test_id: 't04', name: 'smoke' }, { test_id: 't05', name: 'smoke' }, { test_id: 't07', name: 'soak' }] };

describe('test history in pages (GET /api/tests)', () => {
  it('pages newest first, each page after the cursor of the one before, until the last has no next', () => {
    const seen: string[] = [];
    let before: string | undefined;
    for (let pages = 0; pages < 10; pages++) {
      const page = testHistoryPage(TESTS, [], { limit: 5, before });
      seen.push(...page.items.map((t) => t.test_id));
      if (page.next === null) break;
      before = page.next;
    }
    assert.deepEqual(seen, TESTS.map((t) => t.test_id));
    assert.equal(seen[0], 't11');
  });

  it('a page stays right while newer tests arrive above it', () => {
    const first = testHistoryPage(TESTS, [], { limit: 4 });
    const withNewer = [test(20), ...TESTS];
    const second = testHistoryPage(withNewer, [], { limit: 4, before: first.next! });
    assert.deepEqual(second.items.map((t) => t.test_id), ['t07', 't06', 't05', 't04']);
  });

  it('filters by state, by plan and plan test name, and by time', () => {
    assert.deepEqual(testHistoryPage(TESTS, [], { limit: 50, state: 'created' }).items.map((t) => t.test_id), ['t09', 't06', 't03', 't00']);
    assert.deepEqual(testHistoryPage(TESTS, [PLAN], { limit: 50, plan: 'plan-1' }).items.map((t) => t.test_id), ['t07', 't05', 't04']);
    assert.deepEqual(testHistoryPage(TESTS, [PLAN], { limit: 50, name: 'smoke' }).items.map((t) => t.test_id), ['t05', 't04']);
    const since = new Date(T0 + 8 * 60_000).toISOString();
    const until = new Date(T0 + 10 * 60_000).toISOString();
    assert.deepEqual(testHistoryPage(TESTS, [], { limit: 50, since, until }).items.map((t) => t.test_id), ['t09', 't08']);
  });

  it('refuses a cursor it did not give', () => {
    assert.throws(() => testHistoryPage(TESTS, [], { limit: 5, before: 'not-a-cursor' }), CursorError);
    assert.throws(() => testHistoryPage(TESTS, [], { limit: 5, before: Buffer.from('[1,2]').toString('base64url') }), CursorError);
  });
});
