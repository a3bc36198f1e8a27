import type { TestState } from '../api/index.js';
import { inTimeRange, pageOf, type Page } from './pages.js';
import type { PlanSummary } from './planLog.js';
import type { TestSummary } from './testLog.js';

/** What GET /api/tests takes: a page and its filters (all optional but the page's size). */
export type TestHistoryQuery = { limit: number; before?: string | undefined; state?: TestState | undefined; plan?: string | undefined; name?: string | undefined; since?: string | undefined; until?: string | undefined };

/**
 * A page of the tests, newest first, that match every filter given: a state, a plan (its id), a name (a
 * plan test's name, as the plan file gives it), created at or after `since` and before `until`.
 */
export function testHistoryPage(newestFirst: readonly TestSummary[], plans: readonly PlanSummary[], query: TestHistoryQuery): Page<TestSummary> {
  const inPlans = query.plan !== undefined || query.name !== undefined ? planTests(plans) : undefined;
  const matches = (test: TestSummary) => {
    if (query.state !== undefined && test.state !== query.state) return false;
    if (!inTimeRange(test.created_at, query)) return false;
    const planned = inPlans?.get(test.test_id);
    if (query.plan !== undefined && planned?.plan_id !== query.plan) return false;
    if (query.name !== undefined && planned?.name !== query.name) return false;
    return true;
  };
  return pageOf(newestFirst.filter(matches), (test) => ({ at: test.created_at, id: test.test_id }), query.limit, query.before);
}

/** Every attempt's test, with its plan and the plan test's name. */
function planTests(plans: readonly PlanSummary[]): Map<string, { plan_id: string; name: string }> {
  const byTest = new Map<string, { plan_id: string; name: string }>();
  for (const plan of plans) for (const { test_id, name } of plan.tests) byTest.set(test_id, { plan_id: plan.plan_id, name });
  return byTest;
}
