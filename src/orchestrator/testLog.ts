import type { MetricsStore } from '../store/metricsStore.js';
import { TEST_EVENT_TYPES } from '../api/index.js';
import type { TestEvent } from './testEvents.js';
import { applyTestEvent, createProjection, type TestProjection } from './testProjection.js';

/** A log folded from the store's events of the types it owns (tests, plans). */
export type FoldedLog = { owns(type: string): boolean; fold(id: string, event: never): void };

/**
 * One pass over the append-only table, in order: each event goes to the log that owns its type, so
 * tests and plans are rebuilt by the same replay. Returns how many events were replayed.
 */
export function replayEventLog(store: MetricsStore, logs: readonly FoldedLog[]): number {
  const events = store.allEvents();
  for (const stored of events) {
    const log = logs.find((candidate) => candidate.owns(stored.type));
    (log?.fold as ((id: string, event: unknown) => void) | undefined)?.call(log, stored.testId, stored.payload);
  }
  return events.length;
}

export type TestChangeListener = (test: TestProjection, event: TestEvent) => void;

/**
 * The event-sourced record of every test: events are appended to the store first, then folded into
 * the in-memory projection with the same function a replay uses, so a restarted orchestrator and
 * a running one agree on every test's state.
 */
export class TestLog {
  readonly #tests = new Map<string, TestProjection>();
  readonly #listeners = new Set<TestChangeListener>();

  constructor(private readonly store: MetricsStore) {}

  /** Rebuilds every test from the store; returns how many events were replayed. */
  replay(): number {
    return replayEventLog(this.store, [this]);
  }

  owns(type: string): boolean {
    return (TEST_EVENT_TYPES as readonly string[]).includes(type);
  }

  /** Folds a stored event during the replay. */
  fold(testId: string, event: TestEvent): void {
    this.apply(testId, event);
  }

  /** Appends an event; false when its dedupe key was seen before (a redelivered report). */
  append(testId: string, event: TestEvent, dedupeKey?: string): boolean {
    if (event.type !== 'test_created' && !this.#tests.has(testId)) return false;
    const seq = this.store.append({ testId, type: event.type, payload: event, at: new Date(event.at), ...(dedupeKey === undefined ? {} : { dedupeKey }) });
    if (seq === null) return false;
    const test = this.apply(testId, event);
    if (test) for (const listener of this.#listeners) listener(test, event);
    return true;
  }

  get(testId: string): TestProjection | undefined {
    return this.#tests.get(testId);
  }

  has(testId: string): boolean {
    return this.#tests.has(testId);
  }

  /** Newest first. */
  list(): TestProjection[] {
    return [...this.#tests.values()].sort((a, b) => (a.created_at < b.created_at ? 1 : a.created_at > b.created_at ? -1 : b.test_id.localeCompare(a.test_id)));
  }

  /** Drops removed tests from memory (retention.ts removes their events from the store). */
  forget(testIds: readonly string[]): void {
    for (const id of testIds) this.#tests.delete(id);
  }

  eventsOf(testId: string): TestEvent[] {
    return this.store.eventsFor(testId).map((stored) => stored.payload as TestEvent);
  }

  onChange(listener: TestChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  private apply(testId: string, event: TestEvent): TestProjection | undefined {
    if (event.type === 'test_created') {
      const test = createProjection(event);
      this.#tests.set(testId, test);
      return test;
    }
    const test = this.#tests.get(testId);
    if (test) applyTestEvent(test, event);
    return test;
  }
}
