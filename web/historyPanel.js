import { byTestId, el, setText, syncRows } from './dom.js';
import { formatCount, formatWhen } from './format.js';

/** Every test, newest first; each entry is a link to `#test=ID`, so the choice survives a reload. */
export class HistoryPanel {
  constructor(root) {
    this.list = byTestId(root, 'history');
    this.empty = byTestId(root, 'history-empty');
  }

  show(tests, selectedId) {
    this.empty.hidden = tests.length > 0;
    syncRows(this.list, tests, (t) => t.test_id, createEntry, (entry, test, index) => fillEntry(entry, test, index, selectedId));
  }
}

export function testHash(testId) {
  return `#test=${encodeURIComponent(testId)}`;
}

function createEntry() {
  return el(
    'li',
    {},
    el(
      'a',
      { className: 'history-link' },
      el('span', { className: 'history-id mono', 'data-testid': 'history-id' }),
      el('span', { className: 'history-meta', 'data-testid': 'history-meta' }),
      el('span', { className: 'state', 'data-testid': 'history-state' }),
    ),
  );
}

function fillEntry(entry, test, index, selectedId) {
  entry.setAttribute('data-testid', `history-row-${index}`);
  entry.setAttribute('data-test-id', test.test_id);
  const link = entry.firstElementChild;
  link.setAttribute('href', testHash(test.test_id));
  if (test.test_id === selectedId) link.setAttribute('aria-current', 'true');
  else link.removeAttribute('aria-current');
  setText(byTestId(entry, 'history-id'), test.test_id);
  const state = byTestId(entry, 'history-state');
  setText(state, test.state);
  state.setAttribute('data-state', test.state);
  const perDriver = test.config.message_count_per_driver;
  setText(byTestId(entry, 'history-meta'), `${test.config.test_type} · ${test.driver_ids.length}×${formatCount(perDriver)} · ${formatWhen(test.created_at, Date.now())}`);
}
