import type { MetricsStore } from '../store/metricsStore.js';
import { isPlanEventType, type PlanEvent } from './planEvents.js';
import { applyPlanEvent, createPlanProjection, type PlanProjection } from './planProjection.js';

export type PlanChangeListener = (plan: PlanProjection, event: PlanEvent) => void;

/**
 * The event-sourced record of every plan, in the same store table as the tests' events: an event is
 * appended first, then folded with the function the replay uses (replayEventLog), so a restarted
 * orchestrator rebuilds each plan exactly.
 */
export class PlanLog {
  readonly #plans = new Map<string, PlanProjection>();
  readonly #listeners = new Set<PlanChangeListener>();

  constructor(private readonly store: MetricsStore) {}

  owns(type: string): boolean {
    return isPlanEventType(type);
  }

  /** Folds a stored event during the replay. */
  fold(planId: string, event: PlanEvent): void {
    this.apply(planId, event);
  }

  append(planId: string, event: PlanEvent): void {
    if (event.type !== 'plan_created' && !this.#plans.has(planId)) throw new Error(`no plan with id ${planId} for its ${event.type} event`);
    this.store.append({ testId: planId, type: event.type, payload: event, at: new Date(event.at) });
    const plan = this.apply(planId, event);
    if (plan) for (const listener of this.#listeners) listener(plan, event);
  }

  /** Drops removed plans from memory (retention.ts removes their events from the store). */
  forget(planIds: readonly string[]): void {
    for (const id of planIds) this.#plans.delete(id);
  }

  get(planId: string): PlanProjection | undefined {
    return this.#plans.get(planId);
  }

  /** Newest first. */
  list(): PlanProjection[] {
    return [...this.#plans.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.plan_id.localeCompare(a.plan_id)));
  }

  eventsOf(planId: string): PlanEvent[] {
    return this.store.eventsFor(planId).map((stored) => stored.payload as PlanEvent);
  }

  onChange(listener: PlanChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private apply(planId: string, event: PlanEvent): PlanProjection | undefined {
    if (event.type === 'plan_created') {
      const plan = createPlanProjection(event);
      this.#plans.set(planId, plan);
      return plan;
    }
    const plan = this.#plans.get(planId);
    if (plan) applyPlanEvent(plan, event);
    return plan;
  }
}
