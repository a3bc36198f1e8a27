import type { AttemptVerdict } from '../api/index.js';
import { evaluateThresholds, judgesErrors, parseThresholds, type ThresholdFigures, type ThresholdResult } from '../api/thresholds.js';
import type { PlanVerdict } from './planEvents.js';
import type { PlanProjection, StepProjection } from './planProjection.js';
import type { TestState } from './testEvents.js';

/** What a plan's decisions read of one of its tests. */
export type PlanTestFacts = { state: TestState; reason: string | undefined; created_at: string; cancel_requested_at: string | undefined; figures: ThresholdFigures };

export type PlanContext = {
  nowMs: number;
  /** when this orchestrator started: a test of a plan still `created` from before was interrupted by the restart */
  startedAtMs: number;
  test: (testId: string) => PlanTestFacts | undefined;
  /** since when, and why, the next test of this plan could not start (no idle driver), if it could not */
  startRefused: { sinceMs: number; reason: string } | undefined;
};

/** How long a test waits for its drivers (busy with the previous test's tail, or not registered yet after a restart). */
export const START_PATIENCE_MS = 30_000;

export type AttemptOutcome = { state: TestState | null; verdict: AttemptVerdict; thresholds: ThresholdResult[]; reason?: string | undefined; interrupted: boolean };

export type PlanAction =
  | { kind: 'start_test'; step: number; attempt: number }
  | { kind: 'give_up_start'; step: number; attempt: number; reason: string }
  | { kind: 'cancel_test'; test_id: string; reason: string }
  | ({ kind: 'finish_attempt'; step: number; attempt: number; test_id: string | null } & AttemptOutcome)
  | { kind: 'retry'; step: number; attempt: number; reason: string }
  | { kind: 'finish_plan'; verdict: PlanVerdict; reason?: string | undefined };

/**
 * The plan runner's next step, from the plan and its tests as they are now; undefined while it waits
 * (a test running) or once the plan is over. Pure: time and the tests are passed in, so every rule
 * (retries, continue_on_failure, cancel, an attempt cut by a restart) is tested without a clock or Kafka.
 */
export function decidePlan(plan: PlanProjection, context: PlanContext): PlanAction | undefined {
  if (plan.state === 'finished') return undefined;
  const running = plan.steps.findIndex((step) => step.state === 'running');
  if (running !== -1) return decideRunning(plan, running, context);
  if (plan.cancel_requested_at) return { kind: 'finish_plan', verdict: 'cancelled', reason: plan.cancel_reason };
  for (const [index, step] of plan.steps.entries()) {
    if (step.state === 'pending') return startOrGiveUp(index, step, context);
    if (step.state === 'passed' || step.state === 'not_run' || step.state === 'running') continue;
    const spec = plan.spec.tests[index];
    const last = step.attempts.at(-1);
    if (!spec || !last) continue;
    const counted = step.attempts.filter((a) => !a.interrupted).length;
    if (last.interrupted) return { kind: 'retry', step: index, attempt: last.attempt + 1, reason: `attempt ${last.attempt} was interrupted: ${last.reason ?? 'the orchestrator restarted'}` };
    if (counted <= spec.retries) return { kind: 'retry', step: index, attempt: last.attempt + 1, reason: `attempt ${last.attempt} ${describeVerdict(last.verdict)}${last.reason ? `: ${last.reason}` : ''}` };
    if (spec.continue_on_failure) continue;
    return { kind: 'finish_plan', verdict: planVerdict(plan.steps), reason: `test "${spec.name}" ${describeVerdict(step.state)} after ${step.attempts.length} attempt${step.attempts.length === 1 ? '' : 's'}; the rest of the plan is not run` };
  }
  return { kind: 'finish_plan', verdict: planVerdict(plan.steps) };
}

function startOrGiveUp(step: number, state: StepProjection, context: PlanContext): PlanAction {
  const attempt = (state.attempts.at(-1)?.attempt ?? 0) + 1;
  const refused = context.startRefused;
  if (refused && context.nowMs - refused.sinceMs >= START_PATIENCE_MS) return { kind: 'give_up_start', step, attempt, reason: `could not start within ${START_PATIENCE_MS / 1000} s: ${refused.reason}` };
  return { kind: 'start_test', step, attempt };
}

function decideRunning(plan: PlanProjection, index: number, context: PlanContext): PlanAction | undefined {
  const step = plan.steps[index];
  const attempt = step?.attempts.at(-1);
  const spec = plan.spec.tests[index];
  if (!step || !attempt || !spec) return undefined;
  const base = { kind: 'finish_attempt' as const, step: index, attempt: attempt.attempt, test_id: attempt.test_id };
  const test = attempt.test_id === null ? undefined : context.test(attempt.test_id);
  if (!test) return { ...base, state: null, verdict: 'failed', thresholds: [], reason: `the orchestrator restarted before test ${attempt.test_id} was recorded`, interrupted: true };
  if (test.state === 'created' && Date.parse(test.created_at) < context.startedAtMs) {
    return { ...base, state: test.state, verdict: 'failed', thresholds: [], reason: `the orchestrator restarted before test ${attempt.test_id} was triggered`, interrupted: true };
  }
  if (test.state === 'created' || test.state === 'running') {
    if (plan.cancel_requested_at && !test.cancel_requested_at && attempt.test_id !== null) return { kind: 'cancel_test', test_id: attempt.test_id, reason: `plan ${plan.plan_id} cancelled${plan.cancel_reason ? `: ${plan.cancel_reason}` : ''}` };
    return undefined;
  }
  return { ...base, ...attemptOutcome(test, spec.thresholds) };
}

/**
 * A finished test's verdict, as `stampede run` gives it: failed or cancelled whatever the thresholds say;
 * failed when every request failed and no threshold judges errors; else its thresholds, evaluated here.
 */
export function attemptOutcome(test: PlanTestFacts, expressions: readonly string[]): AttemptOutcome {
  const base = { state: test.state, interrupted: false };
  if (test.state === 'cancelled' || test.state === 'failed') return { ...base, verdict: test.state, thresholds: [], reason: test.reason };
  const thresholds = parseThresholds(expressions);
  const results = evaluateThresholds(thresholds, test.figures);
  const { completed, error_count } = test.figures;
  if (completed > 0 && error_count >= completed && !judgesErrors(thresholds)) {
    return { ...base, verdict: 'failed', thresholds: results, reason: `every request failed (${error_count} of ${completed})` };
  }
  const missed = results.filter((r) => !r.ok);
  if (missed.length > 0) return { ...base, verdict: 'threshold_failed', thresholds: results, reason: `threshold failed: ${missed.map((r) => `${r.expression} (actual ${r.actual ?? 'none'})`).join(', ')}` };
  return { ...base, verdict: 'passed', thresholds: results };
}

/** A failed or cancelled test makes the plan failed; else a failed threshold makes it threshold_failed. */
export function planVerdict(steps: readonly StepProjection[]): PlanVerdict {
  const states = steps.map((s) => s.state);
  if (states.includes('failed') || states.includes('cancelled')) return 'failed';
  if (states.includes('threshold_failed')) return 'threshold_failed';
  return 'passed';
}

function describeVerdict(verdict: string | undefined): string {
  return verdict === 'threshold_failed' ? 'failed a threshold' : (verdict ?? 'ended');
}
