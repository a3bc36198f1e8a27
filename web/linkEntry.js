import { byTestId, el, setText } from './dom.js';

/**
 * A list entry that links to one test or plan: its name, a line of detail and its state. `ids` are the
 * data-testid of the three parts, so each list keeps its own.
 */
export function createLinkEntry(ids, nameClass = 'history-id') {
  return el(
    'li',
    {},
    el(
      'a',
      { className: 'history-link' },
      el('span', { className: nameClass, 'data-testid': ids.name }),
      el('span', { className: 'history-meta', 'data-testid': ids.meta }),
      el('span', { className: 'state', 'data-testid': ids.state }),
    ),
  );
}

export function fillLinkEntry(entry, ids, { href, current, name, meta, state }) {
  const link = entry.firstElementChild;
  link.setAttribute('href', href);
  if (current) link.setAttribute('aria-current', 'true');
  else link.removeAttribute('aria-current');
  setText(byTestId(entry, ids.name), name);
  const badge = byTestId(entry, ids.state);
  setText(badge, state);
  badge.setAttribute('data-state', state);
  setText(byTestId(entry, ids.meta), meta);
}
