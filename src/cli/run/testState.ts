import type { TestSummaryView } from '../../api/index.js';

const FINISHED_STATES: ReadonlySet<string> = new Set(['completed', 'failed', 'cancelled']);

/** A finished test's figures no longer change: the drivers' final reports are in (or given up on). */
export function isFinished(test: Pick<TestSummaryView, 'state'>): boolean {
  return FINISHED_STATES.has(test.state);
}
