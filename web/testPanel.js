import { byTestId, el, setCell, setText, syncRows } from './dom.js';
import { driverWarnings } from './lateStartWarning.js';
import { DASH, formatCount, formatDateTime, formatDuration, formatMs, formatPercent, formatRate } from './format.js';

const LATENCY_KEYS = ['min', 'mean', 'median', 'mode', 'p90', 'p95', 'p99', 'max'];
/** Ordered from fast to slow, the way the bars are read. */
const DISTRIBUTION_KEYS = ['min', 'mode', 'median', 'mean', 'p90', 'p95', 'p99', 'max'];
const FINISHED = new Set(['completed', 'failed', 'cancelled']);
const ERROR_SAMPLES_SHOWN = 3;

export function isFinished(test) {
  return FINISHED.has(test.state);
}

/** A test of scenarios (user journeys): its figures are per step, with groups, iterations, checks and VUs. */
export function isScenarioTest(test) {
  return test.config?.scenarios !== null && test.config?.scenarios !== undefined;
}

/** The shown test: state, configuration, progress, figures, latency distribution and errors. */
export class TestPanel {
  constructor(root) {
    this.root = root;
    this.find = (id) => byTestId(root, id);
  }

  showNothing() {
    this.find('test-empty').hidden = false;
    this.find('test-detail').hidden = true;
  }

  /** `rateOf(driverFigures)` gives the driver's completed/s to show. */
  show(test, rateOf) {
    this.find('test-empty').hidden = true;
    this.find('test-detail').hidden = false;
    this.#showHeader(test);
    this.#showWarnings(test);
    this.#showConfig(test);
    this.#showTiles(test.aggregate);
    this.#showVus(test);
    syncRows(this.find('progress-body'), test.drivers, (d) => d.node_id, createProgressRow, (row, d, i) => fillProgressRow(row, d, i, test, rateOf(d)));
    // A test that ended before any request (drivers rejected it) has no figures: zeros would read as results.
    const nothingSent = isFinished(test) && test.aggregate.sent === 0;
    this.find('nothing-sent').hidden = !nothingSent;
    this.find('test-figures').hidden = nothingSent;
    this.#showLatency(test);
    this.#showRequests(test);
    this.#showScenarioFigures(test);
    this.#showDistribution(test.aggregate.latency);
    this.#showErrors(test.aggregate);
  }

  /** Per request name, as Locust's statistics tab; only for tests that name their requests. A scenario test's are its steps. */
  #showRequests(test) {
    const aggregate = test.aggregate;
    const requests = aggregate.requests ?? [];
    const steps = isScenarioTest(test);
    setText(this.find('requests-title'), steps ? 'Per step' : 'Requests');
    setText(this.find('requests-unit'), steps ? 'per step name, all drivers' : 'per name, all drivers');
    // A VU waits for each answer: a step's latency runs from its send, not from a schedule.
    setText(this.find('latency-note'), `All latencies in milliseconds, measured from each request's ${steps ? 'send (a VU waits for each answer)' : 'intended start'}.`);
    this.find('requests-figures').hidden = requests.length === 0;
    syncRows(this.find('requests-body'), requests, (r) => r.name, createRequestRow, fillRequestRow);
    const statuses = Object.entries(aggregate.status_counts ?? {});
    const line = this.find('status-counts');
    line.hidden = statuses.length === 0;
    setText(line, `Responses by status: ${statuses.map(([status, count]) => `${status} × ${formatCount(count)}`).join(', ')}`);
  }

  /** A scenario test's iterations, groups and checks; hidden for a plain test. */
  #showScenarioFigures(test) {
    const scenario = isScenarioTest(test);
    this.find('scenario-figures').hidden = !scenario;
    if (!scenario) return;
    this.#showIterations(test.aggregate.iterations);
    const groups = test.aggregate.groups ?? [];
    this.find('groups-figures').hidden = groups.length === 0;
    syncRows(this.find('groups-body'), groups, (g) => g.name, createGroupRow, fillGroupRow);
    this.#showChecks(test.aggregate.checks);
    const data = test.data ?? [];
    this.find('data-figures').hidden = data.length === 0;
    syncRows(this.find('data-body'), data, (d) => d.source, createDataRow, fillDataRow);
  }

  /** completed · failed (by reason) · dropped · p95 of the iteration duration; dashes before the first report. */
  #showIterations(iterations) {
    const it = iterations ?? null;
    setCell(this.find('iterations-completed'), formatCount(it?.completed), it?.completed);
    setCell(this.find('iterations-failed'), formatCount(it?.failed), it?.failed);
    const reasons = Object.entries(it?.failed_by_reason ?? {}).filter(([, count]) => count > 0);
    setText(this.find('iterations-failed-reasons'), reasons.length === 0 ? '' : ` (${reasons.map(([reason, count]) => `${reason} ${formatCount(count)}`).join(', ')})`);
    setCell(this.find('iterations-dropped'), formatCount(it?.dropped), it?.dropped);
    setCell(this.find('iterations-p95'), formatMs(it?.duration?.p95), it?.duration?.p95);
    this.find('iterations-failed').classList.toggle('bad', (it?.failed ?? 0) > 0);
    this.find('iterations-dropped').classList.toggle('bad', (it?.dropped ?? 0) > 0);
  }

  /** Every check over all drivers (the overall line first), then each one by name. */
  #showChecks(checks) {
    this.find('checks-empty').hidden = checks !== null && checks !== undefined;
    this.find('checks-table').hidden = checks === null || checks === undefined;
    fillCheckCells(this.find('checks-overall'), checks ?? { passes: 0, fails: 0 });
    syncRows(this.find('checks-body'), checks?.by_name ?? [], (c) => c.name, createCheckRow, fillCheckRow);
  }

  /** VUs running now, beside the other headline figures; only a scenario test has VUs. */
  #showVus(test) {
    const scenario = isScenarioTest(test);
    this.find('vus-tile').hidden = !scenario;
    this.find('tiles').classList.toggle('with-vus', scenario);
    const vus = scenario ? test.aggregate.vus : null;
    setCell(this.find('vus-now'), formatCount(vus), vus);
  }

  #showHeader(test) {
    setText(this.find('test-id'), test.test_id);
    const state = this.find('test-state');
    setText(state, test.state);
    state.setAttribute('data-state', test.state);
    const reason = this.find('test-reason');
    reason.hidden = !test.reason;
    reason.setAttribute('data-state', test.state);
    setText(reason, test.reason ? `Reason: ${test.reason}` : '');
    this.find('trigger-button').disabled = test.state !== 'created';
    this.find('cancel-button').disabled = isFinished(test);
    this.#showSteering(test);
    this.#showDownloads(test.test_id);
  }

  /** Pause/resume for a running test; the rate box for a running plain test (scenarios are steered per scenario, over REST). */
  #showSteering(test) {
    const running = test.state === 'running';
    const pause = this.find('pause-button');
    pause.disabled = !running;
    setText(pause, test.paused ? 'Resume' : 'Pause');
    const form = this.find('steer-form');
    form.hidden = Boolean(test.config.scenarios);
    for (const control of form.querySelectorAll('input, button')) control.disabled = !running;
  }

  /** The report as it stands (a running test's so far), saved under the test's id. */
  #showDownloads(testId) {
    for (const link of this.find('report-downloads').querySelectorAll('a[data-format]')) {
      const format = link.getAttribute('data-format');
      link.setAttribute('href', `/api/tests/${encodeURIComponent(testId)}/report?format=${format}`);
      link.setAttribute('download', `${testId}.${format}`);
    }
  }

  /** Drivers that fell behind their schedule (their latencies include the wait) or whose clock is off (so was their start). */
  #showWarnings(test) {
    const warnings = driverWarnings(test.drivers);
    const list = this.find('test-warnings');
    list.hidden = warnings.length === 0;
    syncRows(list, warnings, (w) => `${w.kind}:${w.node_id}`, (w) => el('li', { 'data-testid': `${w.kind}-warning` }), (item, w) => {
      item.setAttribute('data-node-id', w.node_id);
      setText(item, w.text);
    });
  }

  #showConfig(test) {
    const c = test.config;
    // A scenario test's load is its scenarios': the spec's fields on its wire say nothing a person needs.
    const load = isScenarioTest(test)
      ? [['Type', 'scenarios'], ['Scenarios', scenariosText(c.scenarios)]]
      : [
          ['Type', c.test_type],
          ['Delay', c.test_type === 'TSUNAMI' ? formatMs(c.test_message_delay) : DASH],
          ['Count per driver', formatCount(c.message_count_per_driver)],
          ['Throughput cap', c.throughput_per_driver ? `${formatRate(c.throughput_per_driver)} per driver` : 'none'],
          ['Warm-up per driver', c.warmup_count_per_driver ? `${formatCount(c.warmup_count_per_driver)} requests` : 'none'],
          ['Target', c.target_url ?? "each driver's own --target"],
        ];
    const items = [
      ...load,
      ['Drivers', String(test.driver_ids.length)],
      ['Created', formatDateTime(test.created_at)],
      ['Triggered', formatDateTime(test.triggered_at)],
      ['Finished', formatDateTime(test.finished_at)],
    ];
    const list = this.find('test-config');
    syncRows(list, items, ([term]) => term, createConfigItem, (item, [term, value]) => {
      setText(item.firstElementChild, term);
      setText(item.lastElementChild, value);
      item.lastElementChild.title = value;
    });
  }

  #showTiles(aggregate) {
    setCell(this.find('agg-sent'), formatCount(aggregate.sent), aggregate.sent);
    setCell(this.find('agg-completed'), formatCount(aggregate.completed), aggregate.completed);
    setCell(this.find('agg-errors'), formatCount(aggregate.error_count), aggregate.error_count);
    setCell(this.find('agg-in_flight'), formatCount(aggregate.in_flight), aggregate.in_flight);
    setCell(this.find('agg-rps'), formatRate(aggregate.rps), aggregate.rps);
    setCell(this.find('agg-elapsed'), formatDuration(aggregate.elapsed_ms), aggregate.elapsed_ms);
  }

  #showLatency(test) {
    for (const key of LATENCY_KEYS) setCell(this.find(`agg-${key}`), formatMs(test.aggregate.latency[key]), test.aggregate.latency[key]);
    this.find('approximate').hidden = !test.aggregate.approximate;
    syncRows(this.find('latency-drivers-body'), test.drivers, (d) => d.node_id, createLatencyRow, fillLatencyRow);
  }

  #showDistribution(latency) {
    const box = this.find('distribution');
    const slowest = Math.max(0, ...DISTRIBUTION_KEYS.map((k) => latency[k] ?? 0));
    const bars = DISTRIBUTION_KEYS.map((key) => ({ key, value: latency[key] }));
    syncRows(box, bars, (b) => b.key, createDistributionBar, (bar, { key, value }) => {
      bar.setAttribute('data-testid', `dist-${key}`);
      setText(bar.firstElementChild, key);
      bar.querySelector('.bar-fill').style.width = `${slowest > 0 && value !== null ? (value / slowest) * 100 : 0}%`;
      setCell(bar.lastElementChild, formatMs(value), value);
    });
  }

  #showErrors(aggregate) {
    const kinds = Object.entries(aggregate.errors).sort((a, b) => b[1] - a[1]);
    this.find('errors-empty').hidden = kinds.length > 0;
    this.find('errors-table').hidden = kinds.length === 0;
    const samples = aggregate.error_samples ?? {};
    syncRows(this.find('errors-body'), kinds, ([kind]) => kind, createErrorRow, (row, [kind, count], index) => {
      row.setAttribute('data-testid', `error-row-${index}`);
      setCell(byTestId(row, 'kind-name'), kind, kind);
      const messages = [...new Set(samples[kind] ?? [])].slice(0, ERROR_SAMPLES_SHOWN);
      syncRows(byTestId(row, 'error-samples'), messages, (m) => m, () => el('li', { 'data-testid': 'error-sample' }), (item, message) => setText(item, message));
      setCell(byTestId(row, 'count'), formatCount(count), count);
      setText(byTestId(row, 'share'), aggregate.completed > 0 ? formatPercent(count / aggregate.completed) : DASH);
    });
  }
}

function createConfigItem() {
  return el('div', { className: 'config-item' }, el('dt'), el('dd'));
}

function createProgressRow() {
  const bar = el('div', { className: 'bar', 'data-testid': 'progress-bar', role: 'progressbar', 'aria-valuemin': 0, 'aria-valuemax': 100 }, el('div', { className: 'bar-fill' }));
  return el(
    'tr',
    {},
    el('td', { 'data-testid': 'node-id', className: 'mono' }),
    el('td', { className: 'bar-cell' }, bar),
    el('td', { 'data-testid': 'sent', 'data-label': 'sent', className: 'num' }),
    el('td', { 'data-testid': 'completed', 'data-label': 'completed', className: 'num' }),
    el('td', { 'data-testid': 'errors', 'data-label': 'errors', className: 'num' }),
    el('td', { 'data-testid': 'rate', 'data-label': 'rate', className: 'num' }),
    el('td', { 'data-testid': 'outcome', 'data-label': 'outcome' }),
  );
}

function fillProgressRow(row, driver, index, test, rate) {
  row.setAttribute('data-testid', `test-driver-row-${index}`);
  row.setAttribute('data-node-id', driver.node_id);
  const cell = (name) => byTestId(row, name);
  setCell(cell('node-id'), driver.node_id, driver.node_id);
  cell('node-id').title = driver.node_id;
  const percent = Math.round(driver.progress * 100);
  const bar = cell('progress-bar');
  bar.setAttribute('aria-valuenow', String(percent));
  bar.title = `${percent} %`;
  bar.firstElementChild.style.width = `${percent}%`;
  bar.classList.toggle('bar-done', driver.progress >= 1);
  const planned = isScenarioTest(test) ? '' : ` / ${formatCount(test.config.message_count_per_driver)}`;
  setCell(cell('sent'), `${formatCount(driver.sent)}${planned}`, driver.sent);
  setCell(cell('completed'), formatCount(driver.completed), driver.completed);
  setCell(cell('errors'), formatCount(driver.error_count), driver.error_count);
  setCell(cell('rate'), formatRate(rate), rate);
  setCell(cell('outcome'), outcomeOf(driver, test), driver.outcome);
  cell('outcome').title = driver.reason ?? '';
}

function outcomeOf(driver, test) {
  if (driver.outcome) return driver.outcome;
  if (test.state === 'created') return 'waiting for trigger';
  if (driver.reports === 0) return isFinished(test) ? 'no report' : 'starting';
  if (driver.phase === 'warmup' && !isFinished(test)) return `warming up (${formatCount(driver.warmup_completed)} / ${formatCount(test.config.warmup_count_per_driver ?? 0)})`;
  return isFinished(test) ? 'no final report' : 'running';
}

function createLatencyRow() {
  return el('tr', {}, el('th', { scope: 'row', className: 'mono', 'data-testid': 'node-id' }), ...LATENCY_KEYS.map((key) => el('td', { className: 'num', 'data-testid': key, 'data-label': key })));
}

function fillLatencyRow(row, driver, index) {
  row.setAttribute('data-testid', `latency-row-${index}`);
  row.setAttribute('data-node-id', driver.node_id);
  const name = byTestId(row, 'node-id');
  setText(name, driver.approximate ? `${driver.node_id} (approx.)` : driver.node_id);
  name.title = driver.node_id;
  for (const key of LATENCY_KEYS) setCell(byTestId(row, key), formatMs(driver.latency[key]), driver.latency[key]);
}

const REQUEST_CELLS = ['name', 'method', 'requests', 'failures', 'median', 'p95', 'p99', 'max', 'rate'];

function createRequestRow() {
  return el('tr', {}, ...REQUEST_CELLS.map((key) => el('td', { 'data-testid': key, 'data-label': key, className: ['name', 'method'].includes(key) ? 'mono' : 'num' })));
}

function fillRequestRow(row, request, index) {
  row.setAttribute('data-testid', `request-row-${index}`);
  const cell = (name) => byTestId(row, name);
  setCell(cell('name'), request.name, request.name);
  cell('name').title = `${request.method} ${request.url}`;
  setCell(cell('method'), request.method, request.method);
  setCell(cell('requests'), formatCount(request.completed), request.completed);
  const failures = request.completed > 0 ? `${formatCount(request.error_count)} (${formatPercent(request.error_count / request.completed)})` : formatCount(request.error_count);
  setCell(cell('failures'), failures, request.error_count);
  for (const key of ['median', 'p95', 'p99', 'max']) setCell(cell(key), formatMs(request.latency[key]), request.latency[key]);
  setCell(cell('rate'), formatRate(request.rps), request.rps);
}

const GROUP_CELLS = ['name', 'requests', 'failures', 'median', 'p95', 'p99', 'max', 'rate'];

function createGroupRow() {
  return el('tr', {}, ...GROUP_CELLS.map((key) => el('td', { 'data-testid': key, 'data-label': key, className: key === 'name' ? 'mono' : 'num' })));
}

function fillGroupRow(row, group, index) {
  row.setAttribute('data-testid', `group-row-${index}`);
  const cell = (name) => byTestId(row, name);
  setCell(cell('name'), group.name, group.name);
  setCell(cell('requests'), formatCount(group.completed), group.completed);
  const failures = group.completed > 0 ? `${formatCount(group.error_count)} (${formatPercent(group.error_count / group.completed)})` : formatCount(group.error_count);
  setCell(cell('failures'), failures, group.error_count);
  for (const key of ['median', 'p95', 'p99', 'max']) setCell(cell(key), formatMs(group.latency[key]), group.latency[key]);
  setCell(cell('rate'), formatRate(group.rps), group.rps);
}

/** Passes over evaluations, as a percentage with 2 decimals: 99.5 % of checks is not "100 %". */
function passRate(passes, fails) {
  const total = passes + fails;
  return total > 0 ? Math.round((passes / total) * 10_000) / 100 : null;
}

/** A data source: rows used, and where the unused unique ones are (never dealt, unused at the end, lost with a driver). */
function createDataRow() {
  return el(
    'tr',
    {},
    el('th', { scope: 'row', className: 'mono', 'data-testid': 'source' }),
    el('td', { 'data-testid': 'mode', 'data-label': 'mode' }),
    ...['rows', 'used', 'left', 'unused'].map((figure) => el('td', { className: 'num', 'data-testid': figure, 'data-label': figure })),
    el('td', { className: 'mono', 'data-testid': 'lost', 'data-label': 'lost with a driver' }),
  );
}

function fillDataRow(row, source, index) {
  row.setAttribute('data-testid', `data-row-${index}`);
  setCell(byTestId(row, 'source'), source.source, source.source);
  setCell(byTestId(row, 'mode'), source.mode, source.mode);
  for (const figure of ['rows', 'used', 'left', 'unused']) setCell(byTestId(row, figure), formatCount(source[figure]), source[figure]);
  const lost = source.lost.map((l) => `${formatCount(l.rows)} (${l.node_id})`).join(', ');
  setCell(byTestId(row, 'lost'), source.mode === 'unique' ? lost || '0' : DASH, source.lost.reduce((sum, l) => sum + l.rows, 0));
  byTestId(row, 'lost').classList.toggle('bad', source.lost.some((l) => l.rows > 0));
}

function createCheckRow() {
  return el(
    'tr',
    {},
    el('th', { scope: 'row', className: 'mono', 'data-testid': 'name' }),
    el('td', { className: 'num', 'data-testid': 'passes', 'data-label': 'passes' }),
    el('td', { className: 'num', 'data-testid': 'fails', 'data-label': 'fails' }),
    el('td', { className: 'num', 'data-testid': 'pass_rate', 'data-label': 'pass %' }),
  );
}

function fillCheckRow(row, check, index) {
  row.setAttribute('data-testid', `check-row-${index}`);
  row.setAttribute('data-check', check.name);
  setCell(byTestId(row, 'name'), check.name, check.name);
  byTestId(row, 'name').title = check.name;
  fillCheckCells(row, check);
}

function fillCheckCells(row, { passes, fails }) {
  const rate = passRate(passes, fails);
  setCell(byTestId(row, 'passes'), formatCount(passes), passes);
  setCell(byTestId(row, 'fails'), formatCount(fails), fails);
  setCell(byTestId(row, 'pass_rate'), rate === null ? DASH : `${rate.toFixed(2)} %`, rate);
  row.classList.toggle('check-failing', fails > 0);
}

/** `shoppers (per-vu-iterations), browsers (ramping-vus)` */
function scenariosText(scenarios) {
  return Object.entries(scenarios ?? {}).map(([name, s]) => `${name} (${s?.executor ?? '?'})`).join(', ');
}

function createDistributionBar() {
  return el('div', { className: 'dist-row' }, el('span', { className: 'dist-label' }), el('div', { className: 'bar' }, el('div', { className: 'bar-fill' })), el('span', { className: 'dist-value num' }));
}

function createErrorRow() {
  const kind = el('td', { 'data-testid': 'kind' }, el('span', { className: 'mono', 'data-testid': 'kind-name' }), el('ul', { className: 'error-samples', 'data-testid': 'error-samples' }));
  return el('tr', {}, kind, el('td', { 'data-testid': 'count', className: 'num' }), el('td', { 'data-testid': 'share', className: 'num' }));
}
