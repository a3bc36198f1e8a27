import { byTestId, el, setCell, setText, syncRows } from './dom.js';
import { DASH, formatAge, formatDateTime } from './format.js';
import { testHash } from './historyPanel.js';

const CELLS = [
  ['driver', 'driver'],
  ['status', 'status'],
  ['heartbeat', 'heartbeat'],
  ['current-test', 'current test'],
  ['actions', ''],
];

/**
 * Every driver the orchestrator knows, each with the test it says it runs (from its own heartbeats,
 * whatever test the page shows). A driver that left or was lost can be removed from the list.
 */
export class DriversPanel {
  #drivers = [];

  /** `onRemove(nodeId)` asks the orchestrator to forget the driver; it resolves to the API's answer. */
  constructor(root, onRemove) {
    this.body = byTestId(root, 'drivers-body');
    this.empty = byTestId(root, 'drivers-empty');
    this.summary = byTestId(root, 'drivers-summary');
    this.message = byTestId(root, 'drivers-message');
    this.onRemove = onRemove;
  }

  show(drivers) {
    this.#drivers = drivers;
    this.empty.hidden = drivers.length > 0;
    setText(this.summary, summaryOf(drivers));
    syncRows(this.body, drivers, (d) => d.node_id, () => this.#createRow(), fillRow);
    this.tick(Date.now());
  }

  /** Heartbeat ages move with the clock, not with the stream. */
  tick(nowMs) {
    const byId = new Map(this.#drivers.map((d) => [d.node_id, d]));
    for (const row of this.body.children) {
      const driver = byId.get(row.dataset.key);
      if (!driver) continue;
      const cell = byTestId(row, 'heartbeat');
      setCell(cell, formatAge(driver.last_heartbeat, nowMs), driver.last_heartbeat);
      cell.title = driver.last_heartbeat ? formatDateTime(driver.last_heartbeat) : '';
    }
  }

  #createRow() {
    const row = el('tr', {}, ...CELLS.map(([name, label]) => el('td', { 'data-testid': name, 'data-label': label || undefined })));
    byTestId(row, 'driver').append(el('span', { className: 'driver-id', 'data-testid': 'node-id' }), el('span', { className: 'driver-address', 'data-testid': 'address' }));
    byTestId(row, 'current-test').append(el('a', { className: 'mono wrap', 'data-testid': 'current-test-link' }));
    const remove = el('button', { type: 'button', className: 'small', 'data-testid': 'remove-driver', text: 'Remove' });
    remove.addEventListener('click', () => this.#remove(row.dataset.key, remove));
    byTestId(row, 'actions').append(remove);
    return row;
  }

  async #remove(nodeId, button) {
    button.disabled = true;
    const response = await this.onRemove(nodeId);
    setText(this.message, response.ok ? '' : (response.body?.message ?? `removing ${nodeId} failed (HTTP ${response.status})`));
    button.disabled = false;
  }
}

/** Left drivers said goodbye: they are neither alive nor lost, so they are counted apart. */
function summaryOf(drivers) {
  if (drivers.length === 0) return '';
  const count = (status) => drivers.filter((d) => d.status === status).length;
  const parts = [`${count('alive')} alive`, `${count('lost')} lost`];
  if (count('left') > 0) parts.push(`${count('left')} left`);
  return parts.join(' · ');
}

function fillRow(row, driver, index) {
  row.setAttribute('data-testid', `driver-row-${index}`);
  row.setAttribute('data-node-id', driver.node_id);
  row.className = `status-${driver.status}`;
  const cell = (name) => byTestId(row, name);
  setCell(cell('node-id'), driver.node_id, driver.node_id);
  setCell(cell('address'), driver.node_ip ?? DASH, driver.node_ip);
  fillStatus(cell('status'), driver);
  fillCurrentTest(cell('current-test'), driver.current_test);
  cell('remove-driver').hidden = driver.status === 'alive';
  cell('remove-driver').title = `forget ${driver.node_id} (it is ${driver.status})`;
}

function fillCurrentTest(cell, testId) {
  const link = cell.firstElementChild;
  cell.setAttribute('data-value', testId ?? '');
  setText(link, testId ?? DASH);
  if (testId) link.setAttribute('href', testHash(testId));
  else link.removeAttribute('href');
}

/** The orchestrator's verdict (alive, lost, or left when it deregistered) and what the driver says it does. */
function fillStatus(cell, driver) {
  if (!cell.firstElementChild) cell.append(el('span', { 'data-testid': 'status-pill' }), el('span', { className: 'driver-state', 'data-testid': 'state' }));
  const [pill, state] = cell.children;
  pill.className = `pill pill-${driver.status}`;
  setText(pill, driver.status);
  setText(state, driver.state ?? '');
  cell.setAttribute('data-value', driver.status);
}
