/* global cancelAnimationFrame */
import { cancelPlan, cancelTest, fetchPlan, fetchReport, removeDriver, steerTest, triggerTest } from './api.js';
import { TestCharts } from './charts.js';
import { setupCreateForm } from './controlForm.js';
import { byTestId, setText, titleClipped } from './dom.js';
import { DriversPanel } from './driversPanel.js';
import { HistoryPanel, testHash } from './historyPanel.js';
import { HistorySearch } from './historySearch.js';
import { LiveStream } from './live.js';
import { planFromHash, PlansPanel } from './plansPanel.js';
import { Staleness } from './staleness.js';
import { isFinished, TestPanel } from './testPanel.js';
import { Timeline } from './timeline.js';

const page = document.body;
const driversPanel = new DriversPanel(page, removeDriver);
const staleness = new Staleness(byTestId(page, 'connection'), byTestId(page, 'stale-banner'));
const historyPanel = new HistoryPanel(page);
const testPanel = new TestPanel(page);
const plansPanel = new PlansPanel(page, { cancel: cancelPlan, read: fetchPlan });
/** `?limit=N` in the page's address: that many tests and plans a page (the API's own page size when absent). */
const pageLimit = new URLSearchParams(location.search).get('limit');
const testsSearch = new HistorySearch(page, { prefix: 'history', path: '/api/tests', limit: pageLimit, noun: 'tests', onItems: showHistoryPage });
const plansSearch = new HistorySearch(page, { prefix: 'plans', path: '/api/plans', limit: pageLimit, noun: 'plans', onItems: (plans) => plansPanel.show(plans) });
const charts = new TestCharts(byTestId(page, 'throughput-chart'), byTestId(page, 'latency-chart'), byTestId(page, 'chart-drivers-toggle'));
const timeline = new Timeline();
const live = new LiveStream({ onConnection: (connected) => staleness.setConnected(connected), onStatus: (status) => staleness.setStatus(status), onDrivers: showDrivers, onTests: showTests, onTest: showTest });

const view = {
  /** the newest tests, as the live stream gives them */
  newestTests: [],
  test: null,
  selectedId: null,
  /** with no test named in the URL, the page follows the newest test as tests are created */
  followNewest: true,
};

let clipCheck = 0;
/** After a render, once per frame: whatever had to be cut short gets its full text on hover. */
function checkClipping() {
  cancelAnimationFrame(clipCheck);
  clipCheck = requestAnimationFrame(() => titleClipped(page));
}

function selectedFromHash() {
  const match = /^#test=(.+)$/.exec(location.hash);
  return match ? decodeURIComponent(match[1]) : null;
}

function select(testId) {
  if (testId === view.selectedId) return;
  view.selectedId = testId;
  view.test = null;
  timeline.reset();
  charts.clear();
  setText(byTestId(page, 'control-message'), '');
  testPanel.showNothing();
  historyPanel.select(testId);
  live.watch(testId);
  if (testId) loadReport(testId);
}

/** The report's timeline gives the charts the part of the run that happened before the page watched. */
async function loadReport(testId) {
  const response = await fetchReport(testId);
  if (!response.ok || view.selectedId !== testId) return;
  timeline.mergeReport(response.body);
  showTest(view.test ?? response.body);
}

function showDrivers(drivers) {
  driversPanel.show(drivers);
  staleness.setDrivers(drivers);
  checkClipping();
}

function showHistoryPage(tests) {
  historyPanel.show(tests);
  checkClipping();
}

/** Some test changed: the history page shown is read again, where the reader left it. */
function showTests(tests) {
  view.newestTests = tests;
  testsSearch.reload();
  const newest = tests[0]?.test_id ?? null;
  if (view.followNewest && newest) select(newest);
}

function showTest(test) {
  if (test.test_id !== view.selectedId) return;
  view.test = test;
  timeline.addFigures(test);
  testPanel.show(test, rateOf);
  charts.show(timeline);
  checkClipping();
}

/** While a driver runs, its current pace; once it is done, its average over the whole run. */
function rateOf(driverFigures) {
  if (driverFigures.final || isFinished(view.test)) return driverFigures.rps;
  return timeline.currentRate(driverFigures.node_id) ?? driverFigures.rps;
}

async function control(action) {
  const testId = view.selectedId;
  const message = byTestId(page, 'control-message');
  setText(message, '');
  const response = await action(testId);
  if (!response.ok) {
    setText(message, response.body?.message ?? `request failed (HTTP ${response.status})`);
    message.setAttribute('data-kind', 'error');
  }
}

function openTest(testId) {
  view.followNewest = false;
  if (location.hash === testHash(testId)) select(testId);
  else location.hash = testHash(testId);
}

window.addEventListener('hashchange', () => {
  const planId = planFromHash();
  if (planId) {
    plansPanel.select(planId);
    return;
  }
  const testId = selectedFromHash();
  view.followNewest = testId === null;
  select(testId ?? view.newestTests[0]?.test_id ?? null);
});
window.addEventListener('resize', checkClipping);
byTestId(page, 'trigger-button').addEventListener('click', () => control(triggerTest));
byTestId(page, 'cancel-button').addEventListener('click', () => control(cancelTest));
byTestId(page, 'pause-button').addEventListener('click', () => control((testId) => steerTest(testId, { paused: !view.test?.paused })));
byTestId(page, 'steer-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const rate = Number(byTestId(page, 'steer-rate').value);
  void control((testId) => steerTest(testId, { rate }));
});
setupCreateForm(byTestId(page, 'create-form'), (test) => openTest(test.test_id));
setInterval(() => {
  const now = Date.now();
  driversPanel.tick(now);
  staleness.tick(now);
  // Plans have no live stream: they change seldom, and are read once a second.
  plansSearch.reload();
  void plansPanel.refresh();
}, 1000);
plansPanel.select(planFromHash());
testsSearch.search();
plansSearch.search();

const initial = selectedFromHash();
view.followNewest = initial === null;
testPanel.showNothing();
if (initial) select(initial);
else live.watch(null);
