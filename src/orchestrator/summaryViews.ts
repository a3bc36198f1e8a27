import { PAGE_LIMITS, type TestSummaryView } from '../api/index.js';
import { LruCache } from './lruCache.js';
import type { FiguresCalculator } from './testFigures.js';
import type { TestLog, TestSummary } from './testLog.js';
import { isFinished } from './testProjection.js';
import { summaryView } from './testViews.js';

/**
 * The tests as lists show them (GET /api/tests, the dashboard's live list). A finished test's view changes
 * only with its version (a late report), so it is built once from its projection, folded from the store if
 * it has left memory, and kept: a page read again costs no fold. Up to the largest page is kept.
 */
export class SummaryViews {
  readonly #finished = new LruCache<string, { version: number; view: TestSummaryView }>(PAGE_LIMITS.max);

  constructor(
    private readonly tests: TestLog,
    private readonly figures: FiguresCalculator,
  ) {}

  /** In the order given; a test whose events are no longer in the store is left out. */
  viewsOf(summaries: readonly TestSummary[]): TestSummaryView[] {
    return summaries.flatMap((summary) => {
      const view = this.viewOf(summary);
      return view ? [view] : [];
    });
  }

  private viewOf(summary: TestSummary): TestSummaryView | undefined {
    const cached = isFinished(summary) ? this.#finished.get(summary.test_id) : undefined;
    if (cached?.version === summary.version) return cached.view;
    const test = this.tests.peek(summary.test_id);
    if (!test) return undefined;
    const view = summaryView(test, this.figures);
    if (isFinished(test)) this.#finished.set(test.test_id, { version: test.version, view });
    return view;
  }
}
