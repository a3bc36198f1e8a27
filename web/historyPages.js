import { fetchPage } from './api.js';

/**
 * A history the API gives a page at a time, newest first (GET /api/tests, /api/plans). Older follows the
 * cursor the API names in its Link header; Newer steps back along the pages read. A page after a cursor
 * keeps its items while newer ones arrive, so reading the shown page again takes new items in only on
 * the newest page and never moves the reader elsewhere.
 */
export class HistoryPages {
  /** The paths of the pages read, from the newest on: the last is the page shown. */
  #trail = [];
  #next = null;
  #reading = false;
  #readAgain = false;

  /** `limit`: items per page, or null for the API's own; `onPage(response, {page, hasOlder})` after each read. */
  constructor(path, limit, onPage) {
    this.path = path;
    this.limit = limit;
    this.onPage = onPage;
  }

  /** The newest page of the items that match `filters` (query parameters; empty ones are left out). */
  search(filters) {
    const query = new URLSearchParams(Object.entries({ limit: this.limit, ...filters }).filter(([, value]) => value));
    this.#trail = [query.size > 0 ? `${this.path}?${query}` : this.path];
    this.#moved();
  }

  older() {
    if (this.#next === null) return;
    this.#trail.push(this.#next);
    this.#moved();
  }

  newer() {
    if (this.#trail.length < 2) return;
    this.#trail.pop();
    this.#moved();
  }

  newest() {
    if (this.#trail.length < 2) return;
    this.#trail.length = 1;
    this.#moved();
  }

  /** Reads the shown page again; asked while a read is under way, it reads once more after it. */
  async reload() {
    if (this.#trail.length === 0) return;
    if (this.#reading) {
      this.#readAgain = true;
      return;
    }
    this.#reading = true;
    try {
      do {
        this.#readAgain = false;
        const path = this.#trail.at(-1);
        const response = await fetchPage(path);
        // The reader moved while this page was on its way: the move asked for its own read.
        if (path !== this.#trail.at(-1)) continue;
        this.#next = response.ok ? response.next : null;
        this.onPage(response, { page: this.#trail.length, hasOlder: this.#next !== null });
      } while (this.#readAgain);
    } finally {
      this.#reading = false;
    }
  }

  /** Until the new page is read, Older has no cursor to follow: a second click must not skip a page. */
  #moved() {
    this.#next = null;
    void this.reload();
  }
}
