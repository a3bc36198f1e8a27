import type { MetricsStore } from '../store/metricsStore.js';
import { isPlanEventType, PLAN_EVENT_TYPES, type PlanEvent } from './planEvents.js';
import { applyPlanEvent, createPlanProjection, type PlanProjection } from './planProjection.js';
import { ProjectionMemory } from './projectionMemory.js';

/** Finished plans kept in full after they were last read: two of the dashboard's pages of plans. */
export const FINISHED_PLANS_KEPT = 100;

/** A test a plan started, with the name the plan file gives it. */
export type PlanTest = { test_id: string; name: string };

/** What the log keeps of every plan: enough to list, page and filter plans, and tests by plan. */
export type PlanSummary = Pick<PlanProjection, 'plan_id' | 'state' | 'created_at' | 'finished_at' | 'version'> & { tests: PlanTest[] };

export type PlanChangeListener = (plan: PlanProjection, event: PlanEvent) => void;

/**
 * The event-sourced record of every plan, in the same store table as the tests' events: an event is
 * appended first, then folded with the function a replay uses, so a restarted orchestrator rebuilds
 * each plan exactly. Memory holds the plans still running and a summary of each finished one.
 */
export class PlanLog {
  readonly #memory: ProjectionMemory<PlanProjection, PlanSummary>;
  readonly #listeners = new Set<PlanChangeListener>();

  constructor(
    private readonly store: MetricsStore,
    finishedKept = FINISHED_PLANS_KEPT,
  ) {
    this.#memory = new ProjectionMemory<PlanProjection, PlanSummary>(
      { summarize: planSummaryOf, keyOf: (plan) => ({ at: plan.created_at, id: plan.plan_id }), isFinished: isFinishedPlan, load: (id) => this.fold(id) },
      finishedKept,
    );
  }

  /**
   * Rebuilds every plan from the store at a start. A plan's events are few and small (no figures), so
   * all are folded; the finished ones are then kept as summaries alone. Returns how many plans there are.
   */
  replay(): number {
    const plans = new Map<string, PlanProjection>();
    for (const { testId: planId, payload } of this.store.eventsOfTypes(PLAN_EVENT_TYPES)) foldInto(plans, planId, payload as PlanEvent);
    // Newest first: each then goes at the end of the newest-first list, not at its front (a copy of the list per plan).
    for (const [planId, plan] of [...plans].reverse()) {
      if (isFinishedPlan(plan)) this.#memory.keepSummary(planId, planSummaryOf(plan));
      else this.#memory.keep(planId, plan);
    }
    return plans.size;
  }

  append(planId: string, event: PlanEvent): void {
    const known = event.type === 'plan_created' ? undefined : this.#memory.get(planId);
    if (event.type !== 'plan_created' && !known) throw new Error(`no plan with id ${planId} for its ${event.type} event`);
    this.store.append({ testId: planId, type: event.type, payload: event, at: new Date(event.at) });
    const plan = event.type === 'plan_created' ? createPlanProjection(event) : known!;
    if (event.type !== 'plan_created') applyPlanEvent(plan, event);
    this.#memory.keep(planId, plan);
    for (const listener of this.#listeners) listener(plan, event);
  }

  /** Drops removed plans from memory (retention.ts removes their events from the store). */
  forget(planIds: readonly string[]): void {
    this.#memory.forget(planIds);
  }

  /** The full projection; a finished plan not read lately is folded from the store. */
  get(planId: string): PlanProjection | undefined {
    return this.#memory.get(planId);
  }

  /** Every plan's summary, newest first. */
  list(): readonly PlanSummary[] {
    return this.#memory.newestFirst();
  }

  /** The plans still running, in full. */
  running(): PlanProjection[] {
    return this.#memory.unfinished();
  }

  eventsOf(planId: string): PlanEvent[] {
    return this.store.eventsFor(planId).map((stored) => stored.payload as PlanEvent);
  }

  onChange(listener: PlanChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private fold(planId: string): PlanProjection | undefined {
    const plans = new Map<string, PlanProjection>();
    for (const { type, payload } of this.store.eventsFor(planId)) if (isPlanEventType(type)) foldInto(plans, planId, payload as PlanEvent);
    return plans.get(planId);
  }
}

/** One event into the plans being rebuilt, as `append` folds it. */
function foldInto(plans: Map<string, PlanProjection>, planId: string, event: PlanEvent): void {
  if (event.type === 'plan_created') plans.set(planId, createPlanProjection(event));
  else {
    const plan = plans.get(planId);
    if (plan) applyPlanEvent(plan, event);
  }
}

function isFinishedPlan(plan: Pick<PlanProjection, 'state'>): boolean {
  return plan.state === 'finished';
}

function planSummaryOf(plan: PlanProjection): PlanSummary {
  return {
    plan_id: plan.plan_id,
    state: plan.state,
    created_at: plan.created_at,
    finished_at: plan.finished_at,
    version: plan.version,
    tests: plan.steps.flatMap((step, i) => step.attempts.flatMap((attempt) => (attempt.test_id === null ? [] : [{ test_id: attempt.test_id, name: plan.spec.tests[i]?.name ?? '' }]))),
  };
}
