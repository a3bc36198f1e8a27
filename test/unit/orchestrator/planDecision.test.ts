import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { PlanSpec } from '../../../src/api/index.js';
import { decidePlan, START_PATIENCE_MS, type PlanAction, type PlanContext, type PlanTestFacts } from '../../../src/orchestrator/planDecision.js';
import type { PlanEvent } from '../../../src/orchestrator/planEvents.js';
import { applyPlanEvent, createPlanProjection, type PlanProjection } from '../../../src/orchestrator/planProjection.js';

const T0 = Date.parse('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const body = { test_type: 'AVALANCHE' as const, message_count_per_driver: 5, target_url: 'http://127.0.0.1:1/' };
const figures = (p99: number) => ({ latency: { min: 1, max: p99, mean: 1, median: 1, mode: 1, p90: 1, p95: 1, p99 }, completed: 10, error_count: 0, rps: 100 });

function spec(tests: { name: string; retries?: number; continue_on_failure?: boolean; thresholds?: string[] }[]): PlanSpec {
  return { name: 'suite', tests: tests.map((t) => ({ name: t.name, retries: t.retries ?? 0, continue_on_failure: t.continue_on_failure ?? false, thresholds: t.thresholds ?? [], body })) };
}

/**
 * Runs a plan to its end as the runner does: each decision becomes its event; a started test
 * finishes at once as `outcome` says. Returns the events after plan_created.
 */
function simulate(plan: PlanProjection, outcome: (step: number, attempt: number) => Pick<PlanTestFacts, 'state' | 'figures'>, options: { cancelAtStep?: number } = {}): PlanEvent[] {
  const tests = new Map<string, PlanTestFacts>();
  const events: PlanEvent[] = [];
  const apply = (event: PlanEvent) => {
    applyPlanEvent(plan, event);
    events.push(event);
  };
  for (let i = 0; i < 100; i++) {
    const action = decidePlan(plan, { nowMs: T0 + 1000, startedAtMs: T0, startRefused: undefined, test: (id) => tests.get(id) });
    if (!action) return events;
    switch (action.kind) {
      case 'start_test': {
        const testId = `t${action.step}.${action.attempt}`;
        apply({ type: 'plan_test_started', at: at(i), step: action.step, attempt: action.attempt, test_id: testId });
        if (options.cancelAtStep === action.step) {
          tests.set(testId, { state: 'running', reason: undefined, created_at: at(i), cancel_requested_at: undefined, figures: figures(1) });
          apply({ type: 'plan_cancel_requested', at: at(i), reason: 'by test' });
        } else tests.set(testId, { reason: undefined, created_at: at(i), cancel_requested_at: undefined, ...outcome(action.step, action.attempt) });
        break;
      }
      case 'cancel_test':
        tests.set(action.test_id, { ...tests.get(action.test_id)!, state: 'cancelled', reason: action.reason, cancel_requested_at: at(i) });
        events.push({ type: 'plan_cancel_requested', at: 'cancel_test', reason: action.test_id });
        break;
      case 'finish_attempt': {
        const { kind: _k, test_id: _t, ...rest } = action;
        apply({ type: 'plan_attempt_finished', at: at(i), ...rest });
        break;
      }
      case 'retry':
        apply({ type: 'plan_test_retried', at: at(i), step: action.step, attempt: action.attempt, reason: action.reason });
        break;
      case 'finish_plan':
        apply({ type: 'plan_finished', at: at(i), verdict: action.verdict, reason: action.reason });
        break;
      case 'give_up_start':
        throw new Error('not expected here');
    }
  }
  throw new Error('the plan never settled');
}

const newPlan = (s: PlanSpec) => createPlanProjection({ type: 'plan_created', at: at(0), plan_id: 'plan-1', spec: s });
const passAll = () => ({ state: 'completed' as const, figures: figures(3) });
const summary = (plan: PlanProjection) => plan.steps.map((s) => `${s.state}:${s.attempts.map((a) => a.verdict ?? '…').join(',')}`);

describe('decidePlan (pure; no clock, no Kafka)', () => {
  it('runs the tests one after another and passes the plan when each passes its thresholds', () => {
    const plan = newPlan(spec([{ name: 'a', thresholds: ['p99<10'] }, { name: 'b' }]));
    simulate(plan, passAll);
    assert.equal(plan.verdict, 'passed');
    assert.deepEqual(summary(plan), ['passed:passed', 'passed:passed']);
    assert.deepEqual(plan.steps[0]?.attempts[0]?.thresholds, [{ expression: 'p99<10', ok: true, actual: 3 }]);
  });

  it('retries a test failing a threshold `retries` times, then stops the plan: the rest is not run, the verdict threshold_failed', () => {
    const plan = newPlan(spec([{ name: 'a' }, { name: 'b', retries: 2, thresholds: ['p99<1'] }, { name: 'c' }]));
    const events = simulate(plan, passAll);
    assert.deepEqual(summary(plan), ['passed:passed', 'threshold_failed:threshold_failed,threshold_failed,threshold_failed', 'not_run:']);
    assert.equal(plan.verdict, 'threshold_failed');
    assert.match(plan.reason ?? '', /test "b" failed a threshold after 3 attempts/);
    assert.equal(events.filter((e) => e.type === 'plan_test_retried').length, 2);
  });

  it('goes on past a test that still fails when it says continue_on_failure; a failed test makes the plan failed', () => {
    const plan = newPlan(spec([{ name: 'a', retries: 1, continue_on_failure: true }, { name: 'b', thresholds: ['p99<1'], continue_on_failure: true }, { name: 'c' }]));
    simulate(plan, (step) => (step === 0 ? { state: 'failed', figures: figures(3) } : passAll()));
    assert.deepEqual(summary(plan), ['failed:failed,failed', 'threshold_failed:threshold_failed', 'passed:passed']);
    assert.equal(plan.verdict, 'failed');
  });

  it('stops retrying once an attempt passes', () => {
    const plan = newPlan(spec([{ name: 'a', retries: 5, thresholds: ['p99<5'] }]));
    simulate(plan, (_step, attempt) => ({ state: 'completed', figures: figures(attempt < 3 ? 9 : 2) }));
    assert.deepEqual(summary(plan), ['passed:threshold_failed,threshold_failed,passed']);
    assert.equal(plan.verdict, 'passed');
  });

  it('a test whose every request failed fails, unless a threshold judges the errors', () => {
    const allFailed = { state: 'completed' as const, figures: { ...figures(1), error_count: 10 } };
    const failing = newPlan(spec([{ name: 'a' }]));
    simulate(failing, () => allFailed);
    assert.equal(failing.verdict, 'failed');
    const accepted = newPlan(spec([{ name: 'a', thresholds: ['errors<=100%'] }]));
    simulate(accepted, () => allFailed);
    assert.equal(accepted.verdict, 'passed');
  });

  it('a cancelled plan cancels its running test and leaves the rest unstarted', () => {
    const plan = newPlan(spec([{ name: 'a' }, { name: 'b', retries: 3 }, { name: 'c' }]));
    const events = simulate(plan, passAll, { cancelAtStep: 1 });
    assert.deepEqual(events.filter((e) => e.at === 'cancel_test').map((e) => (e as { reason: string }).reason), ['t1.1']);
    assert.deepEqual(summary(plan), ['passed:passed', 'cancelled:cancelled', 'not_run:']);
    assert.equal(plan.verdict, 'cancelled');
  });

  it('after a restart: an attempt whose test was never triggered (or never recorded) is failed as interrupted and retried without using a retry', () => {
    const plan = newPlan(spec([{ name: 'a' }]));
    applyPlanEvent(plan, { type: 'plan_test_started', at: at(1), step: 0, attempt: 1, test_id: 'before-restart' });
    const context = (test: PlanTestFacts | undefined): PlanContext => ({ nowMs: T0 + 60_000, startedAtMs: T0 + 30_000, startRefused: undefined, test: () => test });
    const created: PlanTestFacts = { state: 'created', reason: undefined, created_at: at(1), cancel_requested_at: undefined, figures: figures(1) };
    const action = decidePlan(plan, context(created)) as Extract<PlanAction, { kind: 'finish_attempt' }>;
    assert.equal(action.kind, 'finish_attempt');
    assert.equal(action.interrupted, true);
    assert.match(action.reason ?? '', /restarted before test before-restart was triggered/);
    assert.match((decidePlan(plan, context(undefined)) as { reason: string }).reason, /before test before-restart was recorded/);
    const { kind: _k, test_id: _t, ...rest } = action;
    applyPlanEvent(plan, { type: 'plan_attempt_finished', at: at(2), ...rest });
    assert.deepEqual(decidePlan(plan, context(created)), { kind: 'retry', step: 0, attempt: 2, reason: 'attempt 1 was interrupted: the orchestrator restarted before test before-restart was triggered' });
    // A test still running after the restart is waited for, as any running test.
    const running = newPlan(spec([{ name: 'a' }]));
    applyPlanEvent(running, { type: 'plan_test_started', at: at(1), step: 0, attempt: 1, test_id: 'still-running' });
    assert.equal(decidePlan(running, context({ ...created, state: 'running' })), undefined);
  });

  it('waits START_PATIENCE_MS for drivers, then fails the attempt with the reason', () => {
    const plan = newPlan(spec([{ name: 'a' }]));
    const context = (nowMs: number): PlanContext => ({ nowMs, startedAtMs: T0, startRefused: { sinceMs: T0, reason: 'no live drivers' }, test: () => undefined });
    assert.deepEqual(decidePlan(plan, context(T0 + START_PATIENCE_MS - 1)), { kind: 'start_test', step: 0, attempt: 1 });
    assert.deepEqual(decidePlan(plan, context(T0 + START_PATIENCE_MS)), { kind: 'give_up_start', step: 0, attempt: 1, reason: 'could not start within 30 s: no live drivers' });
  });
});
