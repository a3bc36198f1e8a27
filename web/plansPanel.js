import { createLinkEntry, fillLinkEntry } from './linkEntry.js';
import { byTestId, el, setText, syncRows } from './dom.js';
import { formatWhen } from './format.js';
import { testHash } from './historyPanel.js';

export function planHash(planId) {
  return `#plan=${encodeURIComponent(planId)}`;
}

/** The plan named in the URL, if any. */
export function planFromHash() {
  const match = /^#plan=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

/** What a plan shows as its state: its verdict once it has one. */
function planState(plan) {
  return plan.verdict ?? plan.state;
}

/**
 * A page of plans (links to `#plan=ID`) and the chosen plan's view, read by its id (it may be on no page
 * shown): each test of the plan with its state and every attempt, each attempt a link to its test
 * (`#test=ID`) with its verdict and reason. The plans of the page are also the choices of the tests'
 * search by plan.
 */
export class PlansPanel {
  #plans = [];

  /** `cancel(planId)` and `read(planId)` answer as the REST calls of api.js. */
  constructor(root, { cancel, read }) {
    this.list = byTestId(root, 'plans');
    this.choices = byTestId(root, 'plan-choices');
    this.view = byTestId(root, 'plan-view');
    this.steps = byTestId(root, 'plan-steps');
    this.message = byTestId(root, 'plan-message');
    this.read = read;
    this.selectedId = null;
    byTestId(root, 'plan-cancel-button').addEventListener('click', async () => {
      setText(this.message, '');
      const response = await cancel(this.selectedId);
      if (!response.ok) setText(this.message, response.body?.message ?? `request failed (HTTP ${response.status})`);
      void this.refresh();
    });
  }

  select(planId) {
    this.selectedId = planId;
    this.#renderList();
    void this.refresh();
  }

  show(plans) {
    this.#plans = plans;
    this.#renderList();
    syncRows(this.choices, plans, (p) => p.plan_id, () => el('option'), fillChoice);
  }

  /** The chosen plan read again; an orchestrator out of reach leaves the view as it was. */
  async refresh() {
    const planId = this.selectedId;
    if (!planId) {
      this.view.hidden = true;
      return;
    }
    const response = await this.read(planId);
    if (planId !== this.selectedId) return;
    if (response.ok) this.showPlan(response.body);
    if (response.ok || response.status === 404) this.view.hidden = !response.ok;
  }

  #renderList() {
    syncRows(this.list, this.#plans, (p) => p.plan_id, createEntry, (entry, plan, index) => fillEntry(entry, plan, index, this.selectedId));
  }

  showPlan(plan) {
    setText(byTestId(this.view, 'plan-name'), plan.name);
    setText(byTestId(this.view, 'plan-id'), plan.plan_id);
    const state = byTestId(this.view, 'plan-state');
    setText(state, planState(plan));
    state.setAttribute('data-state', planState(plan));
    const reason = byTestId(this.view, 'plan-reason');
    reason.hidden = !plan.reason;
    setText(reason, plan.reason ?? '');
    byTestId(this.view, 'plan-cancel-button').hidden = plan.state === 'finished';
    syncRows(this.steps, plan.tests, (t) => t.name, createStep, fillStep);
  }
}

const ENTRY_IDS = { name: 'plan-entry-name', meta: 'plan-entry-meta', state: 'plan-entry-state' };

function createEntry() {
  return createLinkEntry(ENTRY_IDS);
}

function fillEntry(entry, plan, index, selectedId) {
  entry.setAttribute('data-testid', `plan-row-${index}`);
  entry.setAttribute('data-plan-id', plan.plan_id);
  const done = plan.tests.filter((t) => t.state !== 'pending' && t.state !== 'running' && t.state !== 'not_run').length;
  fillLinkEntry(entry, ENTRY_IDS, {
    href: planHash(plan.plan_id),
    current: plan.plan_id === selectedId,
    name: plan.name,
    meta: `${done}/${plan.tests.length} tests · ${formatWhen(plan.created_at, Date.now())}`,
    state: planState(plan),
  });
}

function fillChoice(option, plan) {
  option.value = plan.plan_id;
  option.label = plan.name;
}

function createStep() {
  return el(
    'tr',
    {},
    el('th', { scope: 'row', 'data-testid': 'step-name', 'data-label': 'Test' }),
    el('td', { 'data-label': 'State' }, el('span', { className: 'state', 'data-testid': 'step-state' })),
    el('td', { 'data-label': 'Retries', className: 'num', 'data-testid': 'step-retries' }),
    el('td', { 'data-label': 'Thresholds', className: 'mono', 'data-testid': 'step-thresholds' }),
    el('td', { 'data-label': 'Attempts' }, el('ol', { className: 'attempts', 'data-testid': 'step-attempts' })),
  );
}

function fillStep(row, test, index) {
  row.setAttribute('data-testid', `plan-step-${index}`);
  setText(byTestId(row, 'step-name'), test.name);
  const state = byTestId(row, 'step-state');
  setText(state, test.state);
  state.setAttribute('data-state', test.state);
  setText(byTestId(row, 'step-retries'), `${test.retries}${test.continue_on_failure ? ', continues on failure' : ''}`);
  setText(byTestId(row, 'step-thresholds'), test.thresholds.join(', ') || '—');
  syncRows(byTestId(row, 'step-attempts'), test.attempts, (a) => String(a.attempt), createAttempt, fillAttempt);
}

function createAttempt() {
  return el(
    'li',
    {},
    el('a', { 'data-testid': 'attempt-link', className: 'mono' }),
    ' ',
    el('span', { className: 'state', 'data-testid': 'attempt-verdict' }),
    ' ',
    el('span', { className: 'muted', 'data-testid': 'attempt-reason' }),
  );
}

function fillAttempt(item, attempt, index) {
  item.setAttribute('data-testid', `attempt-${index}`);
  const link = byTestId(item, 'attempt-link');
  setText(link, `#${attempt.attempt} ${attempt.test_id ?? '(no test)'}`);
  if (attempt.test_id) link.setAttribute('href', testHash(attempt.test_id));
  else link.removeAttribute('href');
  const verdict = attempt.verdict ?? 'running';
  const state = byTestId(item, 'attempt-verdict');
  setText(state, verdict);
  state.setAttribute('data-state', verdict);
  setText(byTestId(item, 'attempt-reason'), attempt.reason ?? '');
}
