import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { isDeepStrictEqual } from 'node:util';
import { request } from 'undici';
import type { Browser, Page } from 'playwright-core';
import type { KafkaBus } from '../src/bus/index.js';
import { LOAD_MODEL_SPECS, TEST_TYPES } from '../src/protocol/index.js';
import { connectTestBus } from './helpers/kafka.js';
import { startRequestLogServer } from './helpers/requestLogServer.js';
import { eventually, freePort, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, type Child } from './helpers/processes.js';
import { closeBrowsers, launchBrowser } from './helpers/browser.js';

type Latency = Record<'min' | 'max' | 'mean' | 'median' | 'mode' | 'p90' | 'p95' | 'p99', number | null>;
type Figures = { sent: number; completed: number; error_count: number; late_starts: number; errors: Record<string, number>; error_samples?: Record<string, string[]>; latency: Latency };
type TestView = { test_id: string; state: string; reason: string | null; config: { warmup_count_per_driver: number | null }; aggregate: Figures; drivers: (Figures & { node_id: string })[]; steering: { change: unknown }[] };

const RESULTS_DIR = 'test-results';
const HOSTILE_ID = '<img src=x onerror=alert(1)>';
const HOSTILE_ADDRESS = '<b>x</b>';

/** The first whole second of the clock after `ms`. */
function wholeSecondAfter(ms: number): number {
  return Math.floor(ms / 1000) * 1000 + 1000;
}

/** Waits for the next whole second and returns it: the dashboard's times are typed to the second. */
async function nextWholeSecond(): Promise<number> {
  const second = wholeSecondAfter(Date.now());
  await new Promise((resolve) => setTimeout(resolve, second - Date.now() + 10));
  return second;
}

describe('dashboard in a real browser', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let driverIds: string[];
  let driverChildren: Child[];
  let bus: KafkaBus;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    [target, orchestrator, bus, browser] = await Promise.all([
      startTarget(),
      startOrchestratorProcess(),
      connectTestBus('dashboard-test'),
      launchBrowser(),
    ]);
    const drivers = await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)]);
    driverIds = drivers.map((d) => d.nodeId);
    driverChildren = drivers.map((d) => d.child);
    mkdirSync(RESULTS_DIR, { recursive: true });
  });

  after(async () => {
    await closeBrowsers();
    await bus?.close();
    await stopAllChildren();
  });

  /** `address`: what follows the dashboard's URL, `#test=ID` or `?limit=4`. */
  async function openPage(address = '', width = 1280, timezoneId?: string): Promise<Page> {
    // Reduced motion: no bar still sliding into place when a screenshot is taken.
    const page = await browser.newPage({ viewport: { width, height: 900 }, reducedMotion: 'reduce', ...(timezoneId ? { timezoneId } : {}) });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${orchestrator.url}/${address}`);
    return page;
  }

  async function closePages(...pages: Page[]): Promise<void> {
    await Promise.all(pages.map((page) => page.close()));
    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  }

  const valueOf = async (page: Page, testId: string) => (await page.getByTestId(testId).first().getAttribute('data-value')) ?? '';
  const textOf = async (page: Page, testId: string) => (await page.getByTestId(testId).first().textContent()) ?? '';
  /** What a reader sees: a hidden message keeps its text, and saying it before the page came would pass too early. */
  const shownTextOf = async (page: Page, testId: string) => ((await page.getByTestId(testId).first().isVisible()) ? textOf(page, testId) : '');
  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);
  const shown = (value: number | null) => (value === null ? '' : String(value));

  /**
   * Clicks Create & trigger and waits until the page shows the test it created: the page may first show
   * the newest earlier test, whose state says nothing about the new one.
   */
  async function createFromForm(page: Page): Promise<string> {
    const earlier = new Set((await getJson<{ test_id: string }[]>(`${orchestrator.url}/api/tests`)).map((t) => t.test_id));
    await page.getByTestId('create-trigger-button').click();
    return eventually(() => textOf(page, 'test-id'), (id) => id !== '' && !earlier.has(id), 10_000, 'the created test shown');
  }

  async function waitForState(page: Page, state: string, timeoutMs = 30_000): Promise<void> {
    await eventually(() => textOf(page, 'test-state'), (text) => text === state, timeoutMs, `the page to show the test ${state}`);
  }

  /** Every figure the page shows for a test, as raw values, keyed by where it is shown. */
  async function figuresOnPage(page: Page): Promise<Record<string, string>> {
    return page.evaluate(() => {
      const figures: Record<string, string> = {};
      for (const cell of document.querySelectorAll('[data-testid="test-detail"] [data-value]')) {
        const row = cell.closest('tr[data-node-id]');
        figures[`${row?.getAttribute('data-testid') ?? ''}/${cell.getAttribute('data-testid')}`] = cell.getAttribute('data-value') ?? '';
      }
      return figures;
    });
  }

  it("takes the form's load models and their descriptions from the API's OpenAPI document", async () => {
    const page = await openPage();
    await eventually(() => textOf(page, 'test_type-hint'), (text) => text === LOAD_MODEL_SPECS.TSUNAMI.description, 5_000, 'the TSUNAMI description');
    const options = await page.getByTestId('field-test_type').locator('option').evaluateAll((list) => list.map((o) => [(o as HTMLOptionElement).value, (o as HTMLOptionElement).title]));
    assert.deepEqual(options, TEST_TYPES.map((type) => [type, LOAD_MODEL_SPECS[type].description]));
    await page.getByTestId('field-test_type').selectOption('AVALANCHE');
    assert.equal(await page.getByTestId('field-test_message_delay').inputValue(), '0', "AVALANCHE's rule in the document fixes the delay at 0");
    assert.equal(await textOf(page, 'test_type-hint'), LOAD_MODEL_SPECS.AVALANCHE.description);
    await closePages(page);
  });

  it('sends a method, headers and a body from the form, or a mix typed as JSON, and shows a bad header beside its field', async () => {
    const server = await startRequestLogServer();
    try {
      const page = await openPage();
      await page.getByTestId('field-test_type').selectOption('TSUNAMI');
      await page.getByTestId('field-test_message_delay').fill('5');
      await page.getByTestId('field-message_count_per_driver').fill('2');
      await page.getByTestId('field-drivers').fill(driverIds.join(', '));
      await page.getByTestId('field-warmup_count_per_driver').fill('');
      await page.getByTestId('field-target_url').fill(`${server.origin}/login`);
      await page.getByTestId('field-method').selectOption('POST');
      await page.getByTestId('field-headers').fill('content-type: application/json\nx-run: {{test_id}}');
      await page.getByTestId('field-body').fill('{"n":{{seq}}}');
      const testId = await createFromForm(page);
      await waitForState(page, 'completed');
      const logins = server.requests.filter((r) => r.url === '/login');
      assert.equal(logins.length, 4);
      assert.ok(logins.every((r) => r.method === 'POST' && r.headers['content-type'] === 'application/json' && r.headers['x-run'] === testId && /^\{"n":\d\}$/.test(r.body)), JSON.stringify(logins));

      await page.getByTestId('field-headers').fill('bad header: x');
      await page.getByTestId('create-button').click();
      await eventually(() => textOf(page, 'error-headers'), (text) => text !== '', 5_000, 'the header error');
      assert.match(await textOf(page, 'error-headers'), /is not a valid header name/);

      await page.getByTestId('field-headers').fill('');
      await page.getByTestId('requests-details').locator('summary').click();
      await page.getByTestId('field-message_count_per_driver').fill('4');
      await page.getByTestId('field-requests').fill(JSON.stringify([{ name: 'a', url: `${server.origin}/a`, weight: 1 }, { name: 'b', url: `${server.origin}/b`, weight: 3 }]));
      await createFromForm(page);
      await waitForState(page, 'completed');
      // Each driver's 4 requests follow the 1:3 weights exactly.
      assert.deepEqual([server.requests.filter((r) => r.url === '/a').length, server.requests.filter((r) => r.url === '/b').length], [2, 6]);
      await closePages(page);
    } finally {
      await server.close();
    }
  });

  it('runs a test created from the form and shows the same figures as the API', async () => {
    const page = await openPage();
    await page.getByTestId('field-test_type').selectOption('TSUNAMI');
    await page.getByTestId('field-test_message_delay').fill('20');
    await page.getByTestId('field-message_count_per_driver').fill('40');
    await page.getByTestId('field-target_url').fill(`${target.url}/ping`);
    // Named drivers: other drivers may share the test broker and must not take part.
    await page.getByTestId('field-drivers').fill(driverIds.join(', '));
    await page.getByTestId('field-warmup_count_per_driver').fill('10');
    const testId = await createFromForm(page);
    await waitForState(page, 'completed');

    assert.equal(page.url().endsWith(`#test=${encodeURIComponent(testId)}`), true, 'the URL names the shown test');
    const test = await getTest(testId);
    assert.equal(test.aggregate.sent, 80, 'the warm-up requests are not counted');
    assert.equal(test.config.warmup_count_per_driver, 10);
    assert.equal(await valueOf(page, 'agg-sent'), String(test.aggregate.sent));
    assert.equal(await valueOf(page, 'agg-completed'), String(test.aggregate.completed));
    assert.equal(await valueOf(page, 'agg-errors'), String(test.aggregate.error_count));
    for (const key of ['median', 'p99', 'min', 'max'] as const) assert.equal(await valueOf(page, `agg-${key}`), shown(test.aggregate.latency[key]), `aggregate ${key}`);
    for (const [index, driver] of test.drivers.entries()) {
      const row = page.getByTestId(`test-driver-row-${index}`);
      assert.equal(await row.getAttribute('data-node-id'), driver.node_id);
      assert.equal(await row.getByTestId('sent').getAttribute('data-value'), String(driver.sent));
    }
    await page.screenshot({ path: `${RESULTS_DIR}/dashboard.png`, fullPage: true });

    await page.getByTestId('field-message_count_per_driver').fill('0');
    await page.getByTestId('field-warmup_count_per_driver').fill('-3');
    await page.getByTestId('field-target_url').fill('not a url');
    await page.getByTestId('create-button').click();
    const fieldErrors = () => Promise.all(['message_count_per_driver', 'warmup_count_per_driver', 'target_url', 'test_message_delay'].map((name) => textOf(page, `error-${name}`)));
    const [countError, warmupError, urlError, delayError] = await eventually(fieldErrors, (texts) => texts.filter(Boolean).length >= 3, 5_000, 'every bad field reported at once');
    assert.equal(countError, 'must be > 0');
    assert.equal(warmupError, 'must be >= 0');
    assert.equal(urlError, 'must be an http(s) URL');
    assert.equal(delayError, '', 'a good field gets no message');
    assert.equal(await textOf(page, 'form-message'), '', 'no message other than those beside the fields');
    await page.setViewportSize({ width: 400, height: 900 });
    await page.screenshot({ path: `${RESULTS_DIR}/dashboard-narrow.png`, fullPage: true });
    await closePages(page);
  });

  it('charts a staged test per interval: achieved against planned, overall bold, each driver thin behind a toggle', async () => {
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', stages: [{ duration_s: 1, target_rps: 40 }, { duration_s: 1, target_rps: 40 }], target_url: `${target.url}/ping`, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const testId = created.body.test_id;
    await eventually(() => getTest(testId), (t) => t.state === 'completed', 30_000, 'the staged test to complete');
    const page = await openPage(`#test=${encodeURIComponent(testId)}`);
    await waitForState(page, 'completed');
    const legend = (chart: string) =>
      page.evaluate((testId) => [...document.querySelectorAll(`[data-testid="${testId}"] .u-legend tr.u-series`)].map((row) => ({ label: row.querySelector('.u-label')?.textContent ?? '', value: row.querySelector('.u-value')?.textContent ?? '', driver: row.classList.contains('driver-series'), off: row.classList.contains('u-off') })), chart);
    const rate = await eventually(() => legend('throughput-chart'), (rows) => rows.length === 3 + driverIds.length, 10_000, 'the rate chart with its series');
    assert.deepEqual(rate.slice(1, 3).map((row) => row.label), ['all drivers', 'planned']);
    assert.deepEqual(rate.filter((row) => row.driver).map((row) => row.label).sort(), [...driverIds].sort());
    assert.match(rate[2]!.value, /^\d+(\.\d+)? req\/s$/, 'the plan has a rate to show');
    const latency = await legend('latency-chart');
    assert.deepEqual(latency.slice(1, 4).map((row) => row.label), ['p50 all', 'p95 all', 'p99 all']);
    const toggle = page.getByTestId('chart-drivers-toggle');
    assert.equal(await toggle.isChecked(), true, 'two drivers: their lines are shown');
    await toggle.uncheck();
    const hidden = await legend('throughput-chart');
    assert.ok(hidden.filter((row) => row.driver).every((row) => row.off) && !hidden[1]!.off, JSON.stringify(hidden));
    await toggle.check();
    await closePages(page);
  });

  it("downloads the test's report as HTML, JSON and CSV from the test panel, each what the API answers", async () => {
    const created = await postJson<{ test_id: string }>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: 20, target_url: `${target.url}/ping`, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201);
    const testId = created.body.test_id;
    const page = await openPage(`#test=${encodeURIComponent(testId)}`);
    await waitForState(page, 'completed');
    await eventually(() => getTest(testId), (t) => t.drivers.every((d) => (d as unknown as { final: boolean }).final), 15_000, 'final reports');
    const reportUrl = (format: string) => `${orchestrator.url}/api/tests/${encodeURIComponent(testId)}/report?format=${format}`;
    for (const format of ['html', 'json', 'csv']) {
      const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId(`download-${format}`).click()]);
      assert.equal(download.suggestedFilename(), `${testId}.${format}`);
      const saved = readFileSync((await download.path())!, 'utf8');
      const served = await (await request(reportUrl(format))).body.text();
      if (format === 'html') {
        // Made at another moment: equal but for the time it names.
        const withoutTime = (html: string) => html.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T');
        assert.equal(withoutTime(saved), withoutTime(served));
      } else assert.equal(saved, served, format);
    }
    await closePages(page);
  });

  it('shows a hostile driver id and address as literal text', async () => {
    const page = await openPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await bus.publish('register', { node_id: HOSTILE_ID, node_IP: HOSTILE_ADDRESS, message_type: 'DRIVER_NODE_REGISTER' });
    await bus.publish('heartbeat', { node_id: HOSTILE_ID, heartbeat: 'YES', timestamp: new Date().toISOString() });
    const cellTexts = (name: string) => page.evaluate((testId) => [...document.querySelectorAll(`[data-testid="drivers-body"] [data-testid="${testId}"]`)].map((cell) => cell.textContent), name);
    await eventually(() => cellTexts('node-id'), (ids) => ids.includes(HOSTILE_ID), 15_000, 'the hostile id shown literally');
    assert.ok((await cellTexts('address')).includes(HOSTILE_ADDRESS));
    assert.equal(await page.locator('[data-testid="drivers-table"] img').count(), 0, 'no img element in the drivers table');
    assert.equal(await page.locator('[data-testid="drivers-table"] b').count(), 0, 'no b element in the drivers table');
    await page.waitForTimeout(500);
    assert.deepEqual(dialogs, []);
    await closePages(page);
  });

  it('shows the same figures on two pages watching the same test', async () => {
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 60, target_url: `${target.url}/ping`, drivers: driverIds });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const hash = `#test=${encodeURIComponent(created.body.test_id)}`;
    const pages = await Promise.all([openPage(hash), openPage(hash)]);
    await Promise.all(pages.map((page) => waitForState(page, 'created')));
    await pages[0]!.getByTestId('trigger-button').click();
    await Promise.all(pages.map((page) => waitForState(page, 'completed')));

    const test = await getTest(created.body.test_id);
    const [first, second] = await Promise.all(pages.map((page) => figuresOnPage(page)));
    assert.equal(first!['/agg-sent'], String(test.aggregate.sent));
    assert.equal(first!['/agg-p99'], shown(test.aggregate.latency.p99));
    assert.deepEqual(second, first);
    await closePages(...pages);
  });

  it('steers a running test from its controls: pause, resume, a new rate, each in the test’s steering', async () => {
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 50, duration_s: 6, target_url: `${target.url}/ping`, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`);
    await waitForState(page, 'running');
    await page.getByTestId('pause-button').click();
    await eventually(() => textOf(page, 'pause-button'), (text) => text === 'Resume', 10_000, 'the button to offer Resume');
    await page.getByTestId('pause-button').click();
    await page.getByTestId('steer-rate').fill('60');
    await page.getByTestId('steer-button').click();
    const steered = await eventually(() => getTest(created.body.test_id), (t) => t.steering.length === 3, 10_000, 'three changes');
    assert.deepEqual(steered.steering.map((c) => c.change), [{ paused: true }, { paused: false }, { rate: 60 }]);
    await waitForState(page, 'completed');
    assert.ok(await page.getByTestId('pause-button').isDisabled(), 'a finished test cannot be paused');
    await closePages(page);
  });

  /** The tests the history list shows, top to bottom. */
  const historyIds = (page: Page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="history"] [data-test-id]')].map((entry) => entry.getAttribute('data-test-id') ?? ''));
  const planIds = (page: Page) => page.evaluate(() => [...document.querySelectorAll('[data-testid="plans"] [data-plan-id]')].map((entry) => entry.getAttribute('data-plan-id') ?? ''));
  const sameIds = (expected: string[]) => (ids: string[]) => isDeepStrictEqual(ids, expected);

  /** A test created and not triggered: in the history at once, with no load to wait for. */
  async function createIdleTest(): Promise<{ test_id: string; created_at: string }> {
    const created = await postJson<{ test_id: string; created_at: string }>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: 1, target_url: `${target.url}/ping`, drivers: driverIds });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body;
  }

  async function cancelTest(testId: string): Promise<void> {
    assert.equal((await postJson(`${orchestrator.url}/api/tests/${testId}/cancel`, {})).status, 202);
  }

  const driversAlive = () => eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
  const registryRow = (page: Page, nodeId: string) => page.locator(`[data-testid="drivers-body"] tr[data-node-id="${nodeId}"]`);
  const percent = (fraction: number) => `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.1 ? 1 : 0)} %`;

  it("shows in the drivers table each driver's own current test, and warns when a driver could not keep its schedule", async () => {
    const [busyId, idleId] = driverIds as [string, string];
    const other = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5, target_url: `${target.url}/ping`, drivers: [idleId] });
    const page = await openPage(`#test=${encodeURIComponent(other.body.test_id)}`);
    await waitForState(page, 'created');
    // A start every 5 ms, but one request in flight at a time and 20 ms answers: every start after the first waits, late.
    const slow = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', throughput_per_driver: 200, message_count_per_driver: 100, concurrency: 1, target_url: `${target.url}/ping?delay_ms=20`, drivers: [busyId], trigger: true });
    assert.equal(slow.status, 201, JSON.stringify(slow.body));
    const currentTest = (nodeId: string) => registryRow(page, nodeId).getByTestId('current-test').getAttribute('data-value');
    await eventually(() => currentTest(busyId), (id) => id === slow.body.test_id, 10_000, 'the busy driver showing its own test while another is selected');
    assert.equal(await currentTest(idleId), '', 'the idle driver runs nothing, whatever test the page shows');
    assert.equal(await registryRow(page, busyId).locator('[data-testid="current-test-link"]').getAttribute('href'), `#test=${encodeURIComponent(slow.body.test_id)}`);
    assert.equal(await page.getByTestId('late-warning').count(), 0);

    await registryRow(page, busyId).getByTestId('current-test-link').click();
    await waitForState(page, 'completed', 60_000);
    const test = await getTest(slow.body.test_id);
    const driver = test.drivers[0]!;
    assert.ok(driver.late_starts / driver.sent > 0.01, `late starts: ${driver.late_starts} of ${driver.sent}`);
    const warning = page.getByTestId('late-warning');
    await eventually(() => warning.count(), (n) => n === 1, 5_000, 'one late-start warning');
    assert.equal(await warning.textContent(), `driver ${busyId} could not keep the schedule: ${percent(driver.late_starts / driver.sent)} of starts were late; its latencies include that wait`);
    await closePages(page);
  });

  it('shows a test its drivers rejected with its reason, not a table of zero latencies, and times with their time zone', async () => {
    // No target_url and drivers started without --target: each driver rejects the trigger.
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 5, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`, 1280, 'Asia/Kolkata');
    await waitForState(page, 'failed');
    const test = await getTest(created.body.test_id);
    assert.match(test.reason ?? '', /rejected the test/);
    await eventually(() => textOf(page, 'test-reason'), (text) => text === `Reason: ${test.reason}`, 5_000, 'the reason shown');
    assert.equal(await page.getByTestId('test-figures').isHidden(), true, 'no latency table, charts or distribution');
    assert.equal(await page.getByTestId('nothing-sent').isVisible(), true);
    assert.equal(await page.getByText('0.000 ms').count(), 0);

    const configValue = (term: string) => page.locator('[data-testid="test-config"] .config-item').filter({ has: page.locator('dt', { hasText: term }) }).locator('dd').textContent();
    assert.match((await configValue('Created')) ?? '', /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d GMT\+5:30$/);
    const historyMeta = await page.locator(`[data-test-id="${created.body.test_id}"] [data-testid="history-meta"]`).textContent();
    assert.match(historyMeta ?? '', /\d\d:\d\d:\d\d GMT\+5:30$/);
    assert.match((await registryRow(page, driverIds[0]!).getByTestId('heartbeat').getAttribute('title')) ?? '', /GMT\+5:30$/);
    await closePages(page);
  });

  it('lists the first error messages of each kind beside its count', async () => {
    const downUrl = `http://127.0.0.1:${await freePort()}/ping`;
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 10, target_url: downUrl, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`);
    await waitForState(page, 'completed');
    const test = await getTest(created.body.test_id);
    assert.equal(test.aggregate.errors.connection_refused, 20);
    const row = page.getByTestId('error-row-0');
    assert.equal(await row.getByTestId('kind-name').textContent(), 'connection_refused');
    assert.equal(await row.getByTestId('count').getAttribute('data-value'), '20');
    // The first distinct messages the drivers sent for the kind (error_samples).
    const expected = [...new Set(test.aggregate.error_samples?.connection_refused ?? [])].slice(0, 3);
    assert.ok(expected.length > 0, `the drivers sent error messages: ${JSON.stringify(test.aggregate.error_samples)}`);
    assert.deepEqual(await row.getByTestId('error-sample').allTextContents(), expected);
    await closePages(page);
  });

  it('shows a table per request name, as the API gives it, and the responses by status', async () => {
    const requests = [
      { name: 'pong', url: `${target.url}/ping`, weight: 3 },
      { name: 'failing', method: 'POST', url: `${target.url}/ping?error_rate=1`, body: '{"n":{{seq}}}', weight: 1 },
    ];
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 40, requests, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`);
    await waitForState(page, 'completed');
    const test = await getJson<TestView & { aggregate: { requests: { name: string; completed: number; error_count: number; latency: Latency }[] } }>(`${orchestrator.url}/api/tests/${created.body.test_id}`);
    await eventually(() => page.getByTestId('request-row-1').count(), (n) => n === 1, 5_000, 'two request rows');
    for (const [index, figures] of test.aggregate.requests.entries()) {
      const row = page.getByTestId(`request-row-${index}`);
      assert.equal(await row.getByTestId('name').textContent(), figures.name);
      assert.equal(await row.getByTestId('requests').getAttribute('data-value'), String(figures.completed));
      assert.equal(await row.getByTestId('failures').getAttribute('data-value'), String(figures.error_count));
      assert.equal(await row.getByTestId('p99').getAttribute('data-value'), String(figures.latency.p99 ?? ''));
    }
    assert.deepEqual(test.aggregate.requests.map((r) => [r.name, r.completed, r.error_count]), [['pong', 60, 0], ['failing', 20, 20]]);
    assert.equal(await page.getByTestId('request-row-1').getByTestId('method').textContent(), 'POST');
    assert.equal(await textOf(page, 'status-counts'), 'Responses by status: 200 × 60, 500 × 20');
    await closePages(page);
  });

  it('shows a scenario test: per step, groups, iterations, checks, test data, and the VUs tile', async () => {
    const flow = [
      { name: 'home', url: `${target.url}/ping?u={{data.user}}`, check: [{ status: 200 }, { json: '$.message', equals: 'nope', name: 'says nope' }] },
      { group: { name: 'again', steps: [{ name: 'second', url: `${target.url}/ping` }] } },
    ];
    const accounts = Array.from({ length: 50 }, (_, i) => `u${i}`).join('\n');
    const uploaded = await request(`${orchestrator.url}/api/data`, { method: 'POST', headers: { 'content-type': 'text/csv' }, body: `user\n${accounts}\n` });
    const { data_id: dataId } = (await uploaded.body.json()) as { data_id: string };
    const scenario = { executor: 'per-vu-iterations', vus: 2, iterations: 5, data: { source: 'accounts', mode: 'unique' }, flow };
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { scenarios: { s: scenario }, data: { accounts: dataId }, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`);
    await waitForState(page, 'completed');
    assert.equal(await textOf(page, 'requests-title'), 'Per step');
    await eventually(() => page.getByTestId('request-row-1').count(), (n) => n === 1, 5_000, 'two step rows');
    assert.equal(await page.getByTestId('request-row-0').getByTestId('requests').getAttribute('data-value'), String(2 * 2 * 5));
    assert.equal(await page.getByTestId('group-row-0').getByTestId('name').textContent(), 'again');
    assert.equal(await page.getByTestId('iterations-completed').getAttribute('data-value'), String(2 * 2 * 5));
    const failing = page.locator('[data-testid^="check-row-"][data-check="says nope"]');
    assert.equal(await failing.getByTestId('fails').getAttribute('data-value'), String(2 * 2 * 5));
    assert.equal(await page.getByTestId('vus-tile').isVisible(), true);
    const data = page.getByTestId('data-row-0');
    await eventually(() => data.getByTestId('used').getAttribute('data-value'), (used) => used === String(2 * 2 * 5), 5_000, 'the rows used');
    const [source, mode, rows, used, left, unused] = await Promise.all(['source', 'mode', 'rows', 'used', 'left', 'unused'].map(async (id) => (await data.getByTestId(id).getAttribute('data-value')) ?? ''));
    assert.deepEqual([source, mode, rows], ['accounts', 'unique', '50']);
    assert.equal(Number(used) + Number(left) + Number(unused), 50, 'every row used, never dealt, or dealt and unused');
    await closePages(page);
  });

  it('creates a scenario test from YAML typed in the form, and names a YAML mistake at the field', async () => {
    const page = await openPage();
    await page.getByTestId('scenarios-details').locator('summary').click();
    await page.getByTestId('field-scenarios').fill('s:\n  executor: per-vu-iterations\n  vus: 1\n  iterations: [');
    await page.getByTestId('create-button').click();
    // The YAML parser loads on first use: the message comes once it has read the text.
    const mistake = await eventually(async () => (await textOf(page, 'error-scenarios')) ?? '', (text) => text !== '', 5_000, 'the YAML mistake shown');
    assert.match(mistake, /^not valid YAML or JSON: /);
    const before = (await getJson<unknown[]>(`${orchestrator.url}/api/tests`)).length;
    await page.getByTestId('field-drivers').fill(driverIds.join(', '));
    await page.getByTestId('field-scenarios').fill(`from_form:\n  executor: per-vu-iterations\n  vus: 1\n  iterations: 2\n  flow:\n    - {name: typed, url: "${target.url}/ping"}\n`);
    await page.getByTestId('create-trigger-button').click();
    type ScenarioView = TestView & { config: { scenarios: Record<string, unknown> | null } };
    const tests = await eventually(() => getJson<ScenarioView[]>(`${orchestrator.url}/api/tests`), (list) => list.length > before && list.some((t) => t.config.scenarios?.from_form), 10_000, 'the test created from the form');
    const fromForm = tests.find((t) => t.config.scenarios?.from_form)!;
    const created = await eventually(() => getJson<TestView & { aggregate: { requests: { name: string; completed: number }[] } }>(`${orchestrator.url}/api/tests/${fromForm.test_id}`), (t) => t.state === 'completed', 20_000, 'the scenario test completed');
    assert.deepEqual(created.aggregate.requests.map((r) => [r.name, r.completed]), [['typed', 2 * driverIds.length]]);
    await closePages(page);
  });

  it('shows a banner, counting up, while no data comes from Kafka, and the badge stops saying live', async () => {
    const page = await openPage();
    await eventually(() => page.getByTestId('connection').getAttribute('data-state'), (state) => state === 'live', 10_000, 'the page live');
    assert.equal(await page.getByTestId('stale-banner').isHidden(), true);
    // Frozen drivers send nothing: the only Kafka traffic this orchestrator hears stops.
    for (const child of driverChildren) child.process.kill('SIGSTOP');
    try {
      const silence = async () => Number(/^no data from Kafka for (\d+) s$/.exec((await page.getByTestId('stale-banner').textContent()) ?? '')?.[1] ?? NaN);
      const first = await eventually(silence, (n) => n >= 3, 15_000, 'the staleness banner');
      assert.equal(await page.getByTestId('stale-banner').isVisible(), true);
      assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'stale');
      await eventually(silence, (n) => n >= first + 2, 10_000, 'the banner counting up');
    } finally {
      for (const child of driverChildren) child.process.kill('SIGCONT');
    }
    await eventually(() => page.getByTestId('stale-banner').isHidden(), (hidden) => hidden, 10_000, 'the banner gone once data flows again');
    assert.equal(await page.getByTestId('connection').getAttribute('data-state'), 'live');
    await driversAlive();
    await closePages(page);
  });

  it('cuts no id, URL or figure without its full text, and shows a driver that left as left, apart from the counts, removable', async () => {
    const longId = `driver-with-a-rather-long-name-${'0123456789'.repeat(4)}-${Date.now()}`;
    const leaving = await startDriverProcess(orchestrator.url, ['--id', longId]);
    const longUrl = `${target.url}/ping?${Array.from({ length: 12 }, (_, i) => `parameter_${i}=value_${i}`).join('&')}`;
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: 20, target_url: longUrl, drivers: [longId], trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const page = await openPage(`#test=${encodeURIComponent(created.body.test_id)}`);
    await waitForState(page, 'completed');
    const cutWithoutTitle = () =>
      page.evaluate(() => {
        const cut: string[] = [];
        for (const node of document.querySelectorAll<HTMLElement>('body *')) {
          // Text only for screen readers is clipped on purpose.
          if (node.offsetParent === null || node.children.length > 0 || !node.textContent?.trim() || node.classList.contains('visually-hidden')) continue;
          const clipped = node.scrollWidth > node.clientWidth + 1 && getComputedStyle(node).overflowX !== 'visible';
          const titled = node.closest('[title]')?.getAttribute('title') === node.textContent;
          if (clipped && !titled) cut.push(node.textContent);
        }
        return cut;
      });
    for (const width of [1280, 400]) {
      await page.setViewportSize({ width, height: 900 });
      await eventually(cutWithoutTitle, (cut) => cut.length === 0, 5_000, `nothing cut without its full text at ${width} px`);
    }
    await page.setViewportSize({ width: 1280, height: 900 });
    assert.ok((await page.getByText(longUrl).count()) > 0, 'the target URL shown whole');

    await stopChild(leaving.child.process);
    const row = registryRow(page, longId);
    await eventually(() => row.getByTestId('status-pill').textContent(), (text) => text === 'left', 10_000, 'the driver shown as left');
    const list = await getJson<{ status: string }[]>(`${orchestrator.url}/api/drivers`);
    const count = (status: string) => list.filter((d) => d.status === status).length;
    assert.equal(await textOf(page, 'drivers-summary'), `${count('alive')} alive · ${count('lost')} lost · ${count('left')} left`);
    assert.equal(await registryRow(page, driverIds[0]!).getByTestId('remove-driver').isHidden(), true, 'an alive driver cannot be removed');
    await row.getByTestId('remove-driver').click();
    await eventually(() => row.count(), (n) => n === 0, 5_000, 'the removed driver gone from the table');
    assert.ok(!(await getJson<{ node_id: string }[]>(`${orchestrator.url}/api/drivers`)).some((d) => d.node_id === longId));
    await closePages(page);
  });

  it('lists plans and shows a plan: each test’s state, retries, thresholds and attempts with their verdicts, each a link to its test', async () => {
    const name = '<b>suite</b>';
    const created = await postJson<{ plan_id: string }>(`${orchestrator.url}/api/plans`, {
      name,
      target: `${target.url}/ping`,
      type: 'tsunami',
      delay_ms: 2,
      drivers: driverIds,
      tests: [
        { name: 'impossible', count: 5, thresholds: ['p99<0'], retries: 1, continue_on_failure: true },
        { name: 'fine', count: 5 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const planId = created.body.plan_id;
    const plan = await eventually(() => getJson<{ state: string; tests: { attempts: { test_id: string }[] }[] }>(`${orchestrator.url}/api/plans/${planId}`), (p) => p.state === 'finished', 60_000, 'the plan to end');
    const page = await openPage(`#plan=${encodeURIComponent(planId)}`);
    const entry = page.locator(`[data-plan-id="${planId}"]`);
    await eventually(() => entry.getByTestId('plan-entry-name').textContent(), (text) => text === name, 10_000, 'the plan in the list, its name as literal text');
    assert.equal(await page.locator('[data-testid="plans"] b').count(), 0, 'no markup from a plan name');
    assert.equal(await entry.getByTestId('plan-entry-state').textContent(), 'threshold_failed');
    assert.equal(await page.getByTestId('plan-state').textContent(), 'threshold_failed');
    const first = page.getByTestId('plan-step-0');
    assert.equal(await first.getByTestId('step-state').textContent(), 'threshold_failed');
    assert.equal(await first.getByTestId('step-thresholds').textContent(), 'p99<0');
    assert.deepEqual(await first.getByTestId('attempt-verdict').allTextContents(), ['threshold_failed', 'threshold_failed']);
    assert.deepEqual(await page.getByTestId('plan-step-1').getByTestId('attempt-verdict').allTextContents(), ['passed']);
    assert.ok(await page.getByTestId('plan-cancel-button').isHidden(), 'a finished plan offers no cancel');
    const secondAttempt = plan.tests[0]!.attempts[1]!.test_id;
    await first.getByTestId('attempt-link').nth(1).click();
    await eventually(() => page.getByTestId('test-id').textContent(), (text) => text === secondAttempt, 10_000, 'the attempt’s test shown');
    assert.ok(await page.getByTestId('plan-view').isVisible(), 'the plan stays in view beside its test');
    await page.screenshot({ path: `${RESULTS_DIR}/dashboard-plan.png`, fullPage: true });
    await closePages(page);
  });

  it('reconnects by itself after an orchestrator restart and goes on showing live updates', async () => {
    const page = await openPage();
    await eventually(() => page.getByTestId('connection').getAttribute('data-state'), (state) => state === 'live', 10_000, 'the page live');
    await stopChild(orchestrator.child.process);
    await eventually(() => page.getByTestId('connection').getAttribute('data-state'), (state) => state !== 'live', 10_000, 'the page to notice the orchestrator is gone');
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    await eventually(() => page.getByTestId('connection').getAttribute('data-state'), (state) => state === 'live', 20_000, 'the page live again');
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 20, target_url: `${target.url}/ping`, drivers: driverIds });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await eventually(() => historyIds(page), (ids) => ids.includes(created.body.test_id), 10_000, 'the new test in the history without a reload');
    await closePages(page);
  });

  it('pages the history with Older, Newer and Newest, an older page keeping its tests while new ones arrive on the newest', async () => {
    const created: string[] = [];
    for (let i = 0; i < 9; i++) created.unshift((await createIdleTest()).test_id);
    const page = await openPage('?limit=4');
    const button = (move: string) => page.getByTestId(`history-${move}`);
    await eventually(() => historyIds(page), sameIds(created.slice(0, 4)), 10_000, 'the newest page, newest first');
    assert.deepEqual(await historyIds(page), (await getJson<{ test_id: string }[]>(`${orchestrator.url}/api/tests?limit=4`)).map((t) => t.test_id), "the API's newest page");
    assert.equal(await textOf(page, 'history-page'), 'Page 1');
    assert.deepEqual(await Promise.all(['newest', 'newer', 'older'].map((move) => button(move).getAttribute('aria-disabled'))), ['true', 'true', 'false']);

    await button('older').click();
    await eventually(() => historyIds(page), sameIds(created.slice(4, 8)), 10_000, 'the second page');
    assert.equal(await textOf(page, 'history-page'), 'Page 2');
    // A new test arrives, then a test of this page changes: once the page shows the change, it was read after the new test.
    const arrived = (await createIdleTest()).test_id;
    await cancelTest(created[5]!);
    const stateOf = (testId: string) => page.locator(`[data-test-id="${testId}"] [data-testid="history-state"]`).textContent();
    await eventually(() => stateOf(created[5]!), (state) => state === 'cancelled', 10_000, 'the change shown on page 2');
    assert.deepEqual(await historyIds(page), created.slice(4, 8), 'page 2 keeps its place');

    await button('older').press('Enter');
    await eventually(() => historyIds(page), (ids) => ids[0] === created[8], 10_000, 'the third page, from the keyboard');
    await button('newer').press('Enter');
    await eventually(() => historyIds(page), sameIds(created.slice(4, 8)), 10_000, 'back to the second page');
    await button('newest').click();
    await eventually(() => historyIds(page), sameIds([arrived, ...created.slice(0, 3)]), 10_000, 'the newest page with the test that arrived');
    const newest = (await createIdleTest()).test_id;
    await eventually(() => historyIds(page), sameIds([newest, arrived, ...created.slice(0, 2)]), 10_000, 'a new test at the top without a reload');
    assert.equal(await textOf(page, 'history-page'), 'Page 1');
    await closePages(page);
  });

  it("searches the history by state and by times typed in the reader's zone, says when nothing matches, and shows a refused range beside its field", async () => {
    const from = await nextWholeSecond();
    const early = [await createIdleTest(), await createIdleTest(), await createIdleTest()];
    await cancelTest(early[0]!.test_id);
    await cancelTest(early[2]!.test_id);
    const boundary = await nextWholeSecond();
    const late = [await createIdleTest(), await createIdleTest()];
    await cancelTest(late[1]!.test_id);
    const to = wholeSecondAfter(Date.now());

    const page = await openPage('?limit=2', 1280, 'Asia/Kolkata');
    const kolkata = (ms: number) => new Date(ms + 5.5 * 3_600_000).toISOString().slice(0, 19).replace(/:00$/, '');
    const search = page.getByRole('search', { name: 'Search the tests' });
    const field = (label: string) => search.getByLabel(label);
    const submit = () => search.getByRole('button', { name: 'Search' }).click();
    await page.getByTestId('history-search-details').locator('summary').click();
    await field('State').selectOption('cancelled');
    await field('Created since').fill(kolkata(from));
    await field('Created before').fill(kolkata(to));
    await field('Created before').press('Enter');
    const cancelled = [late[1]!, early[2]!, early[0]!].map((t) => t.test_id);
    await eventually(() => historyIds(page), sameIds(cancelled.slice(0, 2)), 10_000, 'the cancelled tests of the range, newest first');
    assert.equal(await textOf(page, 'history-filter-count'), '3 filters');
    await page.locator('section[aria-labelledby="history-title"]').screenshot({ path: `${RESULTS_DIR}/dashboard-history.png` });
    await page.getByTestId('history-older').click();
    await eventually(() => historyIds(page), sameIds(cancelled.slice(2)), 10_000, 'the rest on the next page');
    assert.equal(await page.getByTestId('history-older').getAttribute('aria-disabled'), 'true', 'nothing older matches');

    await field('Created since').fill(kolkata(boundary));
    await submit();
    await eventually(() => historyIds(page), sameIds([late[1]!.test_id]), 10_000, 'only the later cancelled test');
    assert.equal(await page.getByTestId('history-pages').isHidden(), true, 'one page: no page buttons');

    await field('State').selectOption('failed');
    await submit();
    await eventually(() => shownTextOf(page, 'history-no-match'), (text) => text === 'No tests match this search.', 10_000, 'the search that found nothing');
    assert.deepEqual(await historyIds(page), []);
    assert.equal(await page.getByTestId('history-empty').isHidden(), true);

    await field('Created before').fill(kolkata(boundary - 60_000));
    await submit();
    await eventually(() => textOf(page, 'error-until'), (text) => text === 'must be after since', 10_000, "the API's refusal beside the field");
    assert.equal(await field('Created before').getAttribute('aria-invalid'), 'true');
    assert.equal(await page.getByTestId('history-no-match').isHidden(), true, 'a refused search is not an empty one');

    await search.getByRole('button', { name: 'Clear' }).click();
    const newestTwo = (await getJson<{ test_id: string }[]>(`${orchestrator.url}/api/tests?limit=2`)).map((t) => t.test_id);
    await eventually(() => historyIds(page), sameIds(newestTwo), 10_000, 'the newest page again');
    assert.equal(await textOf(page, 'error-until'), '');
    assert.equal(await textOf(page, 'history-filter-count'), '');
    await closePages(page);
  });

  it("pages and searches the plans, and finds a plan's tests by plan and by plan test name", async () => {
    const created = await postJson<{ plan_id: string }>(`${orchestrator.url}/api/plans`, { name: 'paged', target: `${target.url}/ping`, type: 'tsunami', delay_ms: 1, drivers: driverIds, tests: [{ name: 'smoke', count: 2 }] });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const planId = created.body.plan_id;
    const plan = await eventually(() => getJson<{ state: string; tests: { attempts: { test_id: string }[] }[] }>(`${orchestrator.url}/api/plans/${planId}`), (p) => p.state === 'finished', 30_000, 'the plan to end');
    const smokeTest = plan.tests[0]!.attempts[0]!.test_id;
    const page = await openPage('?limit=1');
    await eventually(() => planIds(page), sameIds([planId]), 10_000, 'the newest plan alone on its page');
    const [, earlier] = await getJson<{ plan_id: string }[]>(`${orchestrator.url}/api/plans?limit=2`);
    assert.ok(earlier, 'an earlier plan: the plans test above made one');
    await page.getByTestId('plans-older').click();
    await eventually(() => planIds(page), sameIds([earlier.plan_id]), 10_000, 'the plan before it');

    const plans = page.getByRole('search', { name: 'Search the plans' });
    await page.getByTestId('plans-search-details').locator('summary').click();
    await plans.getByLabel('State').selectOption('running');
    await plans.getByRole('button', { name: 'Search' }).click();
    await eventually(() => shownTextOf(page, 'plans-no-match'), (text) => text === 'No plans match this search.', 10_000, 'no running plan');

    const tests = page.getByRole('search', { name: 'Search the tests' });
    await page.getByTestId('history-search-details').locator('summary').click();
    await tests.getByLabel('Plan id').fill(planId);
    await tests.getByRole('button', { name: 'Search' }).click();
    await eventually(() => historyIds(page), sameIds([smokeTest]), 10_000, "the plan's test");
    await tests.getByRole('button', { name: 'Clear' }).click();
    await tests.getByLabel('Plan test').fill('smoke');
    await tests.getByRole('button', { name: 'Search' }).click();
    // After Clear the newest page (one test a page) may show the same test, with more pages: the search's
    // own answer is the one page with nothing older.
    await eventually(() => historyIds(page), sameIds([smokeTest]), 10_000, 'the plan test of that name');
    await eventually(() => page.getByTestId('history-pages').isHidden(), (hidden) => hidden, 10_000, 'one page: no pager');
    await closePages(page);
  });
});
