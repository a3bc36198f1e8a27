import { createTestBody, plannedConfig, type PlanSpec } from '../api/index.js';
import type { Logger } from '../log/logger.js';
import { newPlanId, type TestData } from '../protocol/index.js';
import { neededCapability, selectDrivers } from './driverSelection.js';
import { decidePlan, type PlanAction, type PlanContext } from './planDecision.js';
import type { PlanLog } from './planLog.js';
import type { PlanProjection } from './planProjection.js';
import { ControlError, type RuntimeController } from './runtimeController.js';
import type { FiguresCalculator } from './testFigures.js';
import { isFinished } from './testProjection.js';

const TICK_INTERVAL_MS = 250;
/** A plan's decisions in one go, at most: a loop that never settles must not hold the event loop. */
const MAX_ACTIONS_PER_TURN = 50;

/**
 * Runs plans: on every change of a test and every tick it asks `decidePlan` what each running plan
 * does next and does it (start the next test, cancel it, record an attempt's verdict, retry, finish),
 * each change an event in the plan log. Decisions read only the logs, so after a restart the replayed
 * plans simply go on.
 */
export class PlanRunner {
  readonly plans: PlanLog;
  #timer: NodeJS.Timeout | undefined;
  #working = false;
  #again = false;
  readonly #startRefused = new Map<string, { sinceMs: number; reason: string }>();
  #unsubscribe: (() => void) | undefined;

  constructor(
    private readonly controller: RuntimeController,
    private readonly figures: FiguresCalculator,
    private readonly log: Logger,
    /** Each data source's row count (the uploaded files'), kept with a test that reads data. */
    private readonly dataRows: (data: TestData | undefined) => Record<string, number> | undefined = () => undefined,
  ) {
    this.plans = controller.plans;
  }

  start(): void {
    const onTest = () => this.kick();
    this.controller.on('test', onTest);
    this.#unsubscribe = () => this.controller.off('test', onTest);
    this.#timer = setInterval(() => this.kick(), TICK_INTERVAL_MS);
    this.kick();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
  }

  createPlan(spec: PlanSpec): PlanProjection {
    const planId = newPlanId();
    this.plans.append(planId, { type: 'plan_created', at: new Date().toISOString(), plan_id: planId, spec });
    this.log.info({ plan_id: planId, name: spec.name, tests: spec.tests.length }, 'plan created');
    this.kick();
    return this.mustGet(planId);
  }

  /** Cancels the running test on its drivers and the rest of the plan. */
  cancelPlan(planId: string, reason = 'cancelled by request'): PlanProjection {
    const plan = this.mustGet(planId);
    if (plan.state === 'finished') throw new ControlError('conflict', `plan ${planId} is already finished (${plan.verdict ?? 'no verdict'})`);
    if (!plan.cancel_requested_at) this.plans.append(planId, { type: 'plan_cancel_requested', at: new Date().toISOString(), reason });
    this.log.info({ plan_id: planId, reason }, 'plan cancel requested');
    this.kick();
    return plan;
  }

  mustGet(planId: string): PlanProjection {
    const plan = this.plans.get(planId);
    if (!plan) throw new ControlError('not_found', this.controller.notFound('plan', planId));
    return plan;
  }

  /** Runs the decisions now, or once more after the current turn when one is under way. */
  kick(): void {
    if (this.#working) {
      this.#again = true;
      return;
    }
    this.#working = true;
    void this.work()
      .catch((error: unknown) => this.log.error({ err: error }, 'plan runner failed; it tries again on the next tick'))
      .finally(() => {
        this.#working = false;
      });
  }

  private async work(): Promise<void> {
    do {
      this.#again = false;
      for (const plan of this.plans.running()) await this.advance(plan);
    } while (this.#again);
  }

  private async advance(plan: PlanProjection): Promise<void> {
    for (let i = 0; i < MAX_ACTIONS_PER_TURN; i++) {
      const action = decidePlan(plan, this.context(plan.plan_id));
      if (!action || !(await this.execute(plan, action))) return;
    }
  }

  private context(planId: string): PlanContext {
    return {
      nowMs: Date.now(),
      startedAtMs: this.controller.startedAtMs,
      startRefused: this.#startRefused.get(planId),
      test: (testId) => {
        const test = this.controller.tests.get(testId);
        if (!test) return undefined;
        return { state: test.state, reason: test.reason, created_at: test.created_at, cancel_requested_at: test.cancel_requested_at, figures: this.figures.figuresFor(test).aggregate };
      },
    };
  }

  /** Does one decision; false when nothing changed (waiting for drivers), so the turn ends. */
  private async execute(plan: PlanProjection, action: PlanAction): Promise<boolean> {
    const planId = plan.plan_id;
    const at = new Date().toISOString();
    switch (action.kind) {
      case 'start_test':
        return this.startTest(plan, action.step, action.attempt);
      case 'give_up_start':
        this.#startRefused.delete(planId);
        this.plans.append(planId, { type: 'plan_test_started', at, step: action.step, attempt: action.attempt, test_id: null });
        this.plans.append(planId, { type: 'plan_attempt_finished', at, step: action.step, attempt: action.attempt, state: null, verdict: 'failed', thresholds: [], reason: action.reason, interrupted: false });
        return true;
      case 'cancel_test':
        await this.controller.cancelTest(action.test_id, action.reason);
        return false;
      case 'finish_attempt': {
        const { kind: _kind, test_id: testId, ...finished } = action;
        if (finished.interrupted && testId !== null) await this.cancelLeftover(testId, finished.reason ?? 'interrupted');
        this.plans.append(planId, { type: 'plan_attempt_finished', at, ...finished });
        this.log.info({ plan_id: planId, test: plan.spec.tests[action.step]?.name, attempt: action.attempt, test_id: testId, verdict: action.verdict, reason: action.reason }, 'plan attempt finished');
        return true;
      }
      case 'retry':
        this.plans.append(planId, { type: 'plan_test_retried', at, step: action.step, attempt: action.attempt, reason: action.reason });
        this.log.info({ plan_id: planId, test: plan.spec.tests[action.step]?.name, attempt: action.attempt, reason: action.reason }, 'plan test retried');
        return true;
      case 'finish_plan':
        this.plans.append(planId, { type: 'plan_finished', at, verdict: action.verdict, reason: action.reason });
        this.log.info({ plan_id: planId, verdict: action.verdict, reason: action.reason }, 'plan finished');
        return true;
    }
  }

  /** Creates and triggers the step's test on the drivers it asks for; drivers not yet free are waited for (START_PATIENCE_MS). */
  private async startTest(plan: PlanProjection, step: number, attempt: number): Promise<boolean> {
    const spec = plan.spec.tests[step];
    if (!spec) return false;
    const { drivers, trigger: _trigger, find_capacity, ...config } = createTestBody.parse(spec.body);
    let driverIds: string[];
    try {
      driverIds = selectDrivers(this.controller.drivers.available(), drivers, this.controller.busyDrivers(), neededCapability(config));
    } catch (error) {
      if (!(error instanceof ControlError)) throw error;
      if (!this.#startRefused.has(plan.plan_id)) this.#startRefused.set(plan.plan_id, { sinceMs: Date.now(), reason: error.message });
      return false;
    }
    this.#startRefused.delete(plan.plan_id);
    const test = await this.controller.createTest(plannedConfig({ ...config, find_capacity }, driverIds.length), driverIds, this.dataRows(config.data), find_capacity);
    this.plans.append(plan.plan_id, { type: 'plan_test_started', at: new Date().toISOString(), step, attempt, test_id: test.test_id });
    this.log.info({ plan_id: plan.plan_id, test: spec.name, attempt, test_id: test.test_id }, 'plan test started');
    try {
      await this.controller.triggerTest(test.test_id);
    } catch (error) {
      // The test stays created: cancelling it ends the attempt as cancelled, and the plan's retries decide.
      this.log.warn({ err: error, plan_id: plan.plan_id, test_id: test.test_id }, 'plan test could not be triggered; cancelling it');
      await this.controller.cancelTest(test.test_id, `could not be triggered: ${(error as Error).message}`);
    }
    return true;
  }

  private async cancelLeftover(testId: string, reason: string): Promise<void> {
    const test = this.controller.tests.get(testId);
    if (test && !isFinished(test)) await this.controller.cancelTest(testId, reason);
  }
}
