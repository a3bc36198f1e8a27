import { LruCache } from './lruCache.js';
import { newerFirst, type PageKey } from './pages.js';

/** How a log's projections are summed up, ordered and read back from the store. */
export type MemoryRules<P, S> = {
  summarize(projection: P): S;
  keyOf(summary: S): PageKey;
  isFinished(summary: S): boolean;
  /** Rebuilds one from its own events in the store; undefined when it has none there. */
  load(id: string): P | undefined;
};

/**
 * What an event-sourced log holds in memory, bounded by what runs rather than by what ran: the full
 * projection of everything not finished, a small summary of everything (enough to list, page, filter and
 * count), and the finished projections read last (an LRU). A finished one asked for again is rebuilt
 * from its events, which the store keeps anyway.
 */
export class ProjectionMemory<P, S> {
  readonly #unfinished = new Map<string, P>();
  readonly #finished: LruCache<string, P>;
  readonly #summaries = new Map<string, S>();
  #newestFirst: S[] = [];

  constructor(
    private readonly rules: MemoryRules<P, S>,
    finishedKept: number,
  ) {
    this.#finished = new LruCache(finishedKept);
  }

  /** Records a projection as it is now: after it was created, or after an event was folded into it. */
  keep(id: string, projection: P): void {
    const summary = this.rules.summarize(projection);
    this.remember(id, summary);
    if (this.rules.isFinished(summary)) {
      this.#unfinished.delete(id);
      this.#finished.set(id, projection);
    } else {
      this.#unfinished.set(id, projection);
    }
  }

  /** A finished one known by its summary alone (as a restart finds it): its projection is read when asked for. */
  keepSummary(id: string, summary: S): void {
    this.remember(id, summary);
  }

  /** The full projection: in memory, or rebuilt from the store for a finished one read longer ago. */
  get(id: string): P | undefined {
    const { held, loaded } = this.find(id);
    if (loaded !== undefined) this.keep(id, loaded);
    return held ?? loaded;
  }

  /**
   * As `get`, but one rebuilt from the store is not kept: a page of a list reads each of its tests once,
   * and keeping them would push out of the LRU the ones readers have open.
   */
  peek(id: string): P | undefined {
    const { held, loaded } = this.find(id);
    // The summary learns what only a fold knows (a restart leaves the version unread).
    if (loaded !== undefined) this.remember(id, this.rules.summarize(loaded));
    return held ?? loaded;
  }

  has(id: string): boolean {
    return this.#summaries.has(id);
  }

  /** Every summary, newest first; kept up to date in place as events are folded. */
  newestFirst(): readonly S[] {
    return this.#newestFirst;
  }

  unfinished(): P[] {
    return [...this.#unfinished.values()];
  }

  forget(ids: readonly string[]): void {
    if (ids.length === 0) return;
    for (const id of ids) {
      this.#unfinished.delete(id);
      this.#finished.delete(id);
      this.#summaries.delete(id);
    }
    this.#newestFirst = this.#newestFirst.filter((summary) => this.#summaries.has(this.rules.keyOf(summary).id));
  }

  /** In memory (`held`), or rebuilt from the store (`loaded`) when only its summary is; neither for an unknown id. */
  private find(id: string): { held?: P; loaded?: P } {
    const held = this.#unfinished.get(id) ?? this.#finished.get(id);
    if (held !== undefined) return { held };
    if (!this.#summaries.has(id)) return {};
    const loaded = this.rules.load(id);
    return loaded === undefined ? {} : { loaded };
  }

  private remember(id: string, summary: S): void {
    const known = this.#summaries.get(id);
    if (known !== undefined) {
      Object.assign(known as object, summary);
      return;
    }
    this.#summaries.set(id, summary);
    this.#newestFirst.splice(this.insertionIndex(this.rules.keyOf(summary)), 0, summary);
  }

  /** Where a new key goes in the newest-first order: usually at the front, so that is tried first. */
  private insertionIndex(key: PageKey): number {
    const list = this.#newestFirst;
    const olderThanNew = (index: number) => newerFirst(this.rules.keyOf(list[index]!), key) > 0;
    if (list.length === 0 || olderThanNew(0)) return 0;
    let low = 1;
    let high = list.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (olderThanNew(middle)) high = middle;
      else low = middle + 1;
    }
    return low;
  }
}
