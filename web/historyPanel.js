import { byTestId, syncRows } from './dom.js';
import { createLinkEntry, fillLinkEntry } from './linkEntry.js';
import { formatCount, formatWhen } from './format.js';

/** A page of tests, newest first; each entry is a link to `#test=ID`, so the choice survives a reload. */
export class HistoryPanel {
  #tests = [];
  #selectedId = null;

  constructor(root) {
    this.list = byTestId(root, 'history');
  }

  show(tests) {
    this.#tests = tests;
    this.#render();
  }

  select(testId) {
    this.#selectedId = testId;
    this.#render();
  }

  #render() {
    syncRows(this.list, this.#tests, (t) => t.test_id, createEntry, (entry, test, index) => fillEntry(entry, test, index, this.#selectedId));
  }
}

export function testHash(testId) {
  return `#test=${encodeURIComponent(testId)}`;
}

const ENTRY_IDS = { name: 'history-id', meta: 'history-meta', state: 'history-state' };

function createEntry() {
  return createLinkEntry(ENTRY_IDS, 'history-id mono');
}

/** `TSUNAMI · 2×100`, or for a test of scenarios their names over the drivers. */
function loadText(config, drivers, perDriver) {
  if (config.scenarios) return `${Object.keys(config.scenarios).join(', ')} · ${drivers} driver${drivers === 1 ? '' : 's'}`;
  return `${config.test_type} · ${drivers}×${formatCount(perDriver)}`;
}

function fillEntry(entry, test, index, selectedId) {
  entry.setAttribute('data-testid', `history-row-${index}`);
  entry.setAttribute('data-test-id', test.test_id);
  const perDriver = test.config.message_count_per_driver;
  fillLinkEntry(entry, ENTRY_IDS, {
    href: testHash(test.test_id),
    current: test.test_id === selectedId,
    name: test.test_id,
    meta: `${loadText(test.config, test.driver_ids.length, perDriver)} · ${formatWhen(test.created_at, Date.now())}`,
    state: test.state,
  });
}
