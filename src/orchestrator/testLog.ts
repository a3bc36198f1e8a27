import type { MetricsStore } from '../store/metricsStore.js';
import { ProjectionMemory } from './projectionMemory.js';
import { isTestEventType, type TestEvent } from './testEvents.js';
import { applyTestEvent, createProjection, isFinished, type TestProjection } from './testProjection.js';

/**
 * Finished tests whose full projection (figures, timelines, histograms: about 0.16 MB for a small test)
 * stays in memory after it was last read; an older one is folded again from its events when asked for.
 */
export const FINISHED_TESTS_KEPT = 32;

/**
 * What the log keeps of every test, finished or not: enough to list, page, filter and count it. A
 * projection is one. `version` is the projection's, or UNREAD_VERSION for a finished test a restart has
 * not folded yet.
 */
export type TestSummary = Pick<TestProjection, 'test_id' | 'state' | 'created_at' | 'finished_at' | 'version'>;

/**
 * A finished test's version before its first fold after a restart: counting each test's events would
 * read every stored report. No projection has it (they start at 1), so no view cached by version matches
 * it, and the fold that builds the view puts the real version in the summary.
 */
export const UNREAD_VERSION = 0;

/** The events a finished test's summary is read from at a restart; its reports are read only when it is asked for. */
const SUMMARY_EVENTS = ['test_created', 'test_finished'] as const satisfies readonly TestEvent['type'][];

export type TestChangeListener = (test: TestProjection, event: TestEvent) => void;

/**
 * The event-sourced record of every test: events are appended to the store first, then folded into
 * the in-memory projection with the same function a replay uses, so a restarted orchestrator and
 * a running one agree on every test's state. Memory holds the tests not finished and a summary of
 * each finished one (projectionMemory.ts).
 */
export class TestLog {
  readonly #memory: ProjectionMemory<TestProjection, TestSummary>;
  readonly #listeners = new Set<TestChangeListener>();

  constructor(
    private readonly store: MetricsStore,
    finishedKept = FINISHED_TESTS_KEPT,
  ) {
    this.#memory = new ProjectionMemory<TestProjection, TestSummary>({ summarize: summaryOf, keyOf: (test) => ({ at: test.created_at, id: test.test_id }), isFinished, load: (id) => this.fold(id) }, finishedKept);
  }

  /**
   * Rebuilds the log from the store at a start: a finished test from its test_created and test_finished
   * events alone (its summary, its version unread), a test not finished from all of its events.
   */
  replay(): { tests: number; folded: number } {
    const summaries = new Map<string, TestSummary>();
    for (const { testId, payload } of this.store.eventsOfTypes(SUMMARY_EVENTS)) {
      const event = payload as TestEvent;
      const summary = summaries.get(testId);
      if (event.type === 'test_created') {
        summaries.set(testId, { test_id: testId, state: 'created', created_at: event.at, finished_at: undefined, version: UNREAD_VERSION });
      } else if (event.type === 'test_finished' && summary && !isFinished(summary)) {
        // As applyTestEvent: the first verdict stands.
        summary.state = event.state;
        summary.finished_at = event.at;
      }
    }
    let folded = 0;
    // Newest first: each then goes at the end of the newest-first list, not at its front (a copy of the list per test).
    for (const [testId, summary] of [...summaries].reverse()) {
      if (isFinished(summary)) {
        this.#memory.keepSummary(testId, summary);
        continue;
      }
      const test = this.fold(testId);
      if (test) this.#memory.keep(testId, test);
      folded += 1;
    }
    return { tests: summaries.size, folded };
  }

  /** Appends an event; false when its dedupe key was seen before (a redelivered report), or its test is unknown. */
  append(testId: string, event: TestEvent, dedupeKey?: string): boolean {
    // A finished test read longer ago is rebuilt before its new event (a late report) is stored, so it is folded once.
    const known = event.type === 'test_created' ? undefined : this.#memory.get(testId);
    if (event.type !== 'test_created' && !known) return false;
    const seq = this.store.append({ testId, type: event.type, payload: event, at: new Date(event.at), ...(dedupeKey === undefined ? {} : { dedupeKey }) });
    if (seq === null) return false;
    const test = event.type === 'test_created' ? createProjection(event) : known!;
    if (event.type !== 'test_created') applyTestEvent(test, event);
    this.#memory.keep(testId, test);
    for (const listener of this.#listeners) listener(test, event);
    return true;
  }

  /** The full projection; a finished test not read lately is folded from the store. */
  get(testId: string): TestProjection | undefined {
    return this.#memory.get(testId);
  }

  /** As `get`, without keeping a test folded from the store: for lists, which read each test once. */
  peek(testId: string): TestProjection | undefined {
    return this.#memory.peek(testId);
  }

  has(testId: string): boolean {
    return this.#memory.has(testId);
  }

  /** Every test's summary, newest first. */
  list(): readonly TestSummary[] {
    return this.#memory.newestFirst();
  }

  /** The tests not finished (created or running), in full. */
  unfinished(): TestProjection[] {
    return this.#memory.unfinished();
  }

  /** Drops removed tests from memory (retention.ts removes their events from the store). */
  forget(testIds: readonly string[]): void {
    this.#memory.forget(testIds);
  }

  eventsOf(testId: string): TestEvent[] {
    return this.store.eventsFor(testId).map((stored) => stored.payload as TestEvent);
  }

  onChange(listener: TestChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** A test rebuilt from its own events by the function the live log folds with; undefined without its test_created. */
  private fold(testId: string): TestProjection | undefined {
    let test: TestProjection | undefined;
    for (const { type, payload } of this.store.eventsFor(testId)) {
      if (!isTestEventType(type)) continue;
      const event = payload as TestEvent;
      if (event.type === 'test_created') test = createProjection(event);
      else if (test) applyTestEvent(test, event);
    }
    return test;
  }
}

function summaryOf(test: TestProjection): TestSummary {
  return { test_id: test.test_id, state: test.state, created_at: test.created_at, finished_at: test.finished_at, version: test.version };
}
