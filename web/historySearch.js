import { byTestId, setText } from './dom.js';
import { clearFieldErrors, showFieldError, withoutFieldPrefix } from './fieldErrors.js';
import { HistoryPages } from './historyPages.js';

/**
 * A paged history's search form and page buttons, the tests' or the plans', each element's data-testid
 * starting with `prefix`: the form (`-search`), whose fields are named after the API's query parameters;
 * Older, Newer and Newest; the page number; and what an empty page says. Times are typed in the browser's
 * zone and sent in UTC. What the API refuses (400) is said beside the field it names.
 */
export class HistorySearch {
  #filters = {};

  /** `onItems(items)` shows a page's items; `noun` names them in messages ("tests"). */
  constructor(root, { prefix, path, limit, noun, onItems }) {
    this.form = byTestId(root, `${prefix}-search`);
    this.filterCount = byTestId(root, `${prefix}-filter-count`);
    this.empty = byTestId(root, `${prefix}-empty`);
    this.noMatch = byTestId(root, `${prefix}-no-match`);
    this.message = byTestId(root, `${prefix}-message`);
    this.pager = byTestId(root, `${prefix}-pages`);
    this.pageNumber = byTestId(root, `${prefix}-page`);
    this.buttons = { older: byTestId(root, `${prefix}-older`), newer: byTestId(root, `${prefix}-newer`), newest: byTestId(root, `${prefix}-newest`) };
    this.noun = noun;
    this.onItems = onItems;
    this.pages = new HistoryPages(path, limit, (response, place) => this.#show(response, place));
    this.form.addEventListener('submit', (event) => {
      event.preventDefault();
      this.search();
    });
    byTestId(this.form, `${prefix}-clear`).addEventListener('click', () => {
      this.form.reset();
      this.search();
    });
    for (const [move, button] of Object.entries(this.buttons)) button.addEventListener('click', () => this.pages[move]());
  }

  /** The newest page of what the form asks for. */
  search() {
    clearFieldErrors(this.form);
    setText(this.message, '');
    const { filters, problems } = filtersOf(this.form);
    for (const { field, message } of problems) showFieldError(this.form, field, message);
    if (problems.length > 0) return;
    this.#filters = filters;
    const count = Object.keys(filters).length;
    setText(this.filterCount, count === 0 ? '' : `${count} filter${count === 1 ? '' : 's'}`);
    this.pages.search(filters);
  }

  /** The shown page read again: the newest takes in new items, an older one keeps its place. */
  reload() {
    void this.pages.reload();
  }

  #show(response, { page, hasOlder }) {
    // A history of one page needs no buttons.
    this.pager.hidden = page === 1 && !hasOlder;
    setText(this.pageNumber, `Page ${page}`);
    this.buttons.older.setAttribute('aria-disabled', String(!hasOlder));
    for (const button of [this.buttons.newer, this.buttons.newest]) button.setAttribute('aria-disabled', String(page === 1));
    if (response.ok) {
      setText(this.message, '');
      this.#showEmpty(response.body.length === 0, page);
      this.onItems(response.body);
      return;
    }
    if (response.status !== 400) {
      // The page shown stays: a reader's place outlives an orchestrator restart.
      setText(this.message, response.body?.message ?? `could not read the ${this.noun} (HTTP ${response.status})`);
      return;
    }
    this.#showEmpty(false, page);
    this.onItems([]);
    this.#showRefusal(response.body ?? {});
  }

  /** Nothing at all yet, or nothing that matches: two different things to say. */
  #showEmpty(empty, page) {
    const searching = Object.keys(this.#filters).length > 0;
    this.empty.hidden = !empty || searching || page > 1;
    this.noMatch.hidden = !empty || !this.empty.hidden;
    setText(this.noMatch, searching ? `No ${this.noun} match this search.` : `No older ${this.noun}.`);
  }

  #showRefusal(body) {
    const problems = body.errors ?? [{ field: body.field, message: body.message }];
    const elsewhere = problems.filter(({ field, message }) => !showFieldError(this.form, field, withoutFieldPrefix(message ?? 'invalid', String(field))));
    setText(this.message, elsewhere.map((p) => p.message ?? 'invalid').join('; '));
  }
}

/** The form's filled-in fields as query parameters; a time the browser could not read is a problem of its field. */
function filtersOf(form) {
  const filters = {};
  const problems = [];
  for (const field of form.elements) {
    if (!field.name) continue;
    if (field.type === 'datetime-local' && field.validity.badInput) problems.push({ field: field.name, message: 'is not a whole date and time' });
    else if (field.value.trim() !== '') filters[field.name] = field.type === 'datetime-local' ? new Date(field.value).toISOString() : field.value.trim();
  }
  return { filters, problems };
}
