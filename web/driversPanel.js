import { byTestId, el, setCell, setText, syncRows } from './dom.js';
import { DASH, formatAge, formatCount, formatRate } from './format.js';

const CELLS = [
  ['driver', 'driver'],
  ['status', 'status'],
  ['heartbeat', 'heartbeat'],
  ['current-test', 'current test'],
  ['sent', 'sent'],
  ['completed', 'completed'],
  ['errors', 'errors'],
  ['rate', 'rate'],
];
const NUMERIC = new Set(['sent', 'completed', 'errors', 'rate']);

/** Every driver the orchestrator knows, with its live figures in the shown test. */
export class DriversPanel {
  #drivers = [];

  constructor(root) {
    this.body = byTestId(root, 'drivers-body');
    this.empty = byTestId(root, 'drivers-empty');
    this.summary = byTestId(root, 'drivers-summary');
  }

  /** `figuresOf(nodeId)` gives `{sent, completed, errors, rate}` in the shown test, or null. */
  show(drivers, figuresOf) {
    this.#drivers = drivers;
    this.empty.hidden = drivers.length > 0;
    const alive = drivers.filter((d) => d.status === 'alive').length;
    setText(this.summary, drivers.length === 0 ? '' : `${alive} alive · ${drivers.length - alive} lost`);
    syncRows(this.body, drivers, (d) => d.node_id, createRow, (row, driver, index) => fillRow(row, driver, index, figuresOf(driver.node_id)));
    this.tick(Date.now());
  }

  /** Heartbeat ages move with the clock, not with the stream. */
  tick(nowMs) {
    const byId = new Map(this.#drivers.map((d) => [d.node_id, d]));
    for (const row of this.body.children) {
      const driver = byId.get(row.dataset.key);
      if (driver) setCell(byTestId(row, 'heartbeat'), formatAge(driver.last_heartbeat, nowMs), driver.last_heartbeat);
    }
  }
}

function createRow() {
  const row = el('tr', {}, ...CELLS.map(([name, label]) => el('td', { 'data-testid': name, 'data-label': label, className: NUMERIC.has(name) ? 'num' : undefined })));
  byTestId(row, 'driver').append(el('span', { className: 'driver-id', 'data-testid': 'node-id' }), el('span', { className: 'driver-address', 'data-testid': 'address' }));
  return row;
}

function fillRow(row, driver, index, figures) {
  row.setAttribute('data-testid', `driver-row-${index}`);
  row.setAttribute('data-node-id', driver.node_id);
  row.className = `status-${driver.status === 'alive' ? 'alive' : 'lost'}`;
  const cell = (name) => byTestId(row, name);
  setCell(cell('node-id'), driver.node_id, driver.node_id);
  cell('node-id').title = driver.node_id;
  setCell(cell('address'), driver.node_ip ?? DASH, driver.node_ip);
  cell('address').title = driver.node_ip ?? '';
  fillStatus(cell('status'), driver);
  setCell(cell('current-test'), driver.current_test ?? DASH, driver.current_test);
  cell('current-test').title = driver.current_test ?? '';
  setCell(cell('sent'), figures ? formatCount(figures.sent) : '', figures?.sent);
  setCell(cell('completed'), figures ? formatCount(figures.completed) : '', figures?.completed);
  setCell(cell('errors'), figures ? formatCount(figures.errors) : '', figures?.errors);
  setCell(cell('rate'), figures ? formatRate(figures.rate) : '', figures?.rate);
}

/** The orchestrator's verdict (alive, lost, or left when it deregistered) and what the driver says it does. */
function fillStatus(cell, driver) {
  if (!cell.firstElementChild) cell.append(el('span', { 'data-testid': 'status-pill' }), el('span', { className: 'driver-state', 'data-testid': 'state' }));
  const [pill, state] = cell.children;
  pill.className = `pill pill-${driver.status === 'alive' ? 'alive' : 'lost'}`;
  setText(pill, driver.deregistered ? 'left' : driver.status);
  setText(state, driver.state ?? '');
  cell.setAttribute('data-value', driver.status);
}
