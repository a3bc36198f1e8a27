import type { AttemptVerdict, PlanSpec } from '../api/index.js';
import type { ThresholdResult } from '../api/thresholds.js';
import type { PlanEvent, PlanVerdict } from './planEvents.js';
import type { TestState } from './testEvents.js';

export type AttemptProjection = {
  attempt: number;
  test_id: string | null;
  started_at: string;
  finished_at: string | undefined;
  state: TestState | null;
  verdict: AttemptVerdict | undefined;
  reason: string | undefined;
  thresholds: ThresholdResult[];
  interrupted: boolean;
};

export type StepState = 'pending' | 'running' | AttemptVerdict | 'not_run';

export type StepProjection = { state: StepState; attempts: AttemptProjection[] };

/** A plan as its events describe it. Built only by `applyPlanEvent`, so a replay gives the same. */
export type PlanProjection = {
  plan_id: string;
  spec: PlanSpec;
  state: 'running' | 'finished';
  verdict: PlanVerdict | undefined;
  reason: string | undefined;
  created_at: string;
  finished_at: string | undefined;
  cancel_requested_at: string | undefined;
  cancel_reason: string | undefined;
  steps: StepProjection[];
  version: number;
};

export function createPlanProjection(event: Extract<PlanEvent, { type: 'plan_created' }>): PlanProjection {
  return {
    plan_id: event.plan_id,
    spec: event.spec,
    state: 'running',
    verdict: undefined,
    reason: undefined,
    created_at: event.at,
    finished_at: undefined,
    cancel_requested_at: undefined,
    cancel_reason: undefined,
    steps: event.spec.tests.map(() => ({ state: 'pending', attempts: [] })),
    version: 1,
  };
}

/** Applies one event; one that does not fit the plan's state (a step it does not have) is ignored, never thrown. */
export function applyPlanEvent(plan: PlanProjection, event: PlanEvent): void {
  plan.version += 1;
  switch (event.type) {
    case 'plan_created':
      return;
    case 'plan_test_started': {
      const step = plan.steps[event.step];
      if (!step) return;
      step.state = 'running';
      step.attempts.push({ attempt: event.attempt, test_id: event.test_id, started_at: event.at, finished_at: undefined, state: null, verdict: undefined, reason: undefined, thresholds: [], interrupted: false });
      return;
    }
    case 'plan_attempt_finished': {
      const step = plan.steps[event.step];
      const attempt = step?.attempts.find((a) => a.attempt === event.attempt);
      if (!step || !attempt) return;
      Object.assign(attempt, { finished_at: event.at, state: event.state, verdict: event.verdict, reason: event.reason, thresholds: event.thresholds, interrupted: event.interrupted });
      step.state = event.verdict;
      return;
    }
    case 'plan_test_retried': {
      const step = plan.steps[event.step];
      if (step) step.state = 'pending';
      return;
    }
    case 'plan_cancel_requested':
      plan.cancel_requested_at ??= event.at;
      plan.cancel_reason ??= event.reason;
      return;
    case 'plan_finished':
      if (plan.state === 'finished') return;
      plan.state = 'finished';
      plan.verdict = event.verdict;
      plan.reason = event.reason;
      plan.finished_at = event.at;
      for (const step of plan.steps) if (step.state === 'pending' || step.state === 'running') step.state = 'not_run';
      return;
  }
}

/** The step running now, if any. */
export function runningStep(plan: PlanProjection): number | undefined {
  const index = plan.steps.findIndex((step) => step.state === 'running');
  return index === -1 ? undefined : index;
}
