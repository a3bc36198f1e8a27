import type { TestState } from '../api/index.js';
import { inTimeRange, pageOf, type Page } from './pages.js';
import type { PlanProjection } from './planProjection.js';
import type { TestProjection } from './testProjection.js';

/** What GET /api/tests takes: a page and its filters (all optional but the page's size). */
export type TestHistoryQuery = { limit: number; before?: string | undefined; state?: TestState | undefined; plan?: string | undefined; name?: string | undefined; since?: string | undefined; until?: string | undefined };

/**
 * A page of the tests, newest first, that match every filter given: a state, a plan (its id), a name (a
 * plan test's name, as the plan file gives it), created at or after `since` and before `until`.
 */
export function testHistoryPage(newestFirst: readonly TestProjection[], plans: readonly PlanProjection[], query: TestHistoryQuery): Page<TestProjection> {
  const inPlans = query.plan !== undefined || query.name !== undefined ? planTests(plans) : undefined;
  const matches = (test: TestProjection) => {
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
function planTests(plans: readonly PlanProjection[]): Map<string, { plan_id: string; name: string }> {
  const byTest = new Map<string, { plan_id: string; name: string }>();
  for (const plan of plans) {
    plan.steps.forEach((step, i) => {
      for (const attempt of step.attempts) if (attempt.test_id) byTest.set(attempt.test_id, { plan_id: plan.plan_id, name: plan.spec.tests[i]?.name ?? '' });
    });
  }
  return byTest;
}
