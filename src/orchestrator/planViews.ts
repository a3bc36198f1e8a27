import type { PlanView } from '../api/index.js';
import type { PlanProjection } from './planProjection.js';

/** A plan as the REST API and the dashboard show it (the shape is src/api's planView). */
export function planViewOf(plan: PlanProjection): PlanView {
  const current = plan.steps.findIndex((step) => step.state === 'running');
  return {
    plan_id: plan.plan_id,
    name: plan.spec.name,
    state: plan.state,
    verdict: plan.verdict ?? null,
    reason: plan.reason ?? null,
    created_at: plan.created_at,
    finished_at: plan.finished_at ?? null,
    cancel_requested_at: plan.cancel_requested_at ?? null,
    current_test: current === -1 ? null : current,
    tests: plan.spec.tests.map((spec, index) => {
      const step = plan.steps[index];
      return {
        name: spec.name,
        state: step?.state ?? 'pending',
        retries: spec.retries,
        continue_on_failure: spec.continue_on_failure,
        thresholds: spec.thresholds,
        config: spec.body as Record<string, unknown>,
        attempts: (step?.attempts ?? []).map((a) => ({
          attempt: a.attempt,
          test_id: a.test_id,
          started_at: a.started_at,
          finished_at: a.finished_at ?? null,
          state: a.state,
          verdict: a.verdict ?? null,
          reason: a.reason ?? null,
          thresholds: a.thresholds,
          interrupted: a.interrupted,
        })),
      };
    }),
  };
}
