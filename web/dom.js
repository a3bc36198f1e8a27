// Every string that came from Kafka or a driver reaches the page through these helpers, which
// only ever use textContent and setAttribute: data is never parsed as HTML.

/** Creates an element; `props` are attributes (className/text handled apart), children are nodes or text. */
export function el(tag, props = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(props)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'className') node.className = value;
    else if (name === 'text') node.textContent = String(value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  for (const child of children) {
    if (child === undefined || child === null) continue;
    node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  }
  return node;
}

/** Sets text only when it changed, so selections and layout are not disturbed by no-op updates. */
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) node.textContent = value;
}

/** A cell showing `text`, carrying the raw value in data-value so tests need not parse formatting. */
export function setCell(node, text, rawValue) {
  setText(node, text);
  const raw = rawValue === null || rawValue === undefined ? '' : String(rawValue);
  if (node.getAttribute('data-value') !== raw) node.setAttribute('data-value', raw);
}

export function byTestId(root, id) {
  return root.querySelector(`[data-testid="${id}"]`);
}

/**
 * Keeps one row per item in `tbody`, reusing existing rows by key so that rows do not flicker or
 * lose hover state when an update arrives; `update` fills a row from its item every time.
 */
export function syncRows(tbody, items, keyOf, create, update) {
  const existing = new Map();
  for (const row of tbody.children) existing.set(row.dataset.key, row);
  items.forEach((item, index) => {
    const key = keyOf(item);
    let row = existing.get(key);
    if (row) existing.delete(key);
    else {
      row = create(item);
      row.dataset.key = key;
    }
    update(row, item, index);
    if (tbody.children[index] !== row) tbody.insertBefore(row, tbody.children[index] ?? null);
  });
  for (const stale of existing.values()) stale.remove();
}

const CLIPPABLE = 'td, th, dd, .tile-value, .history-meta';

/**
 * Ids and URLs wrap; the few figures that must stay on one line may end in an ellipsis, and then
 * carry their full text as a tooltip. A tooltip the page set for another reason is left alone.
 */
export function titleClipped(root) {
  for (const node of root.querySelectorAll(CLIPPABLE)) {
    const clipped = node.scrollWidth > node.clientWidth + 1;
    const ours = node.hasAttribute('data-clip-title');
    if (clipped && (ours || !node.title)) {
      if (node.title !== node.textContent) node.title = node.textContent;
      node.setAttribute('data-clip-title', '');
    } else if (!clipped && ours) {
      node.removeAttribute('title');
      node.removeAttribute('data-clip-title');
    }
  }
}
