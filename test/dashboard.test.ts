import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import type { KafkaBus } from '../src/bus/index.js';
import { connectTestBus } from './helpers/kafka.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, type Child } from './helpers/processes.js';

type Latency = Record<'min' | 'max' | 'mean' | 'median' | 'mode' | 'p90' | 'p95' | 'p99', number | null>;
type Figures = { sent: number; completed: number; error_count: number; latency: Latency };
type TestView = { test_id: string; state: string; config: { warmup_count_per_driver: number | null }; aggregate: Figures; drivers: (Figures & { node_id: string })[] };

const RESULTS_DIR = 'test-results';
const HOSTILE_ID = '<img src=x onerror=alert(1)>';
const HOSTILE_ADDRESS = '<b>x</b>';
const BROWSER_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

describe('dashboard in a real browser', () => {
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let driverIds: string[];
  let bus: KafkaBus;
  let browser: Browser;
  const pageErrors: string[] = [];

  before(async () => {
    [target, orchestrator, bus, browser] = await Promise.all([
      startTarget(),
      startOrchestratorProcess(),
      connectTestBus('dashboard-test'),
      chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: BROWSER_ARGS }),
    ]);
    const drivers = await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)]);
    driverIds = drivers.map((d) => d.nodeId);
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
    mkdirSync(RESULTS_DIR, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await bus?.close();
    await stopAllChildren();
  });

  async function openPage(hash = '', width = 1280): Promise<Page> {
    // Reduced motion: no bar still sliding into place when a screenshot is taken.
    const page = await browser.newPage({ viewport: { width, height: 900 }, reducedMotion: 'reduce' });
    page.on('pageerror', (error) => pageErrors.push(error.message));
    await page.goto(`${orchestrator.url}/${hash}`);
    return page;
  }

  async function closePages(...pages: Page[]): Promise<void> {
    await Promise.all(pages.map((page) => page.close()));
    assert.deepEqual(pageErrors, [], 'no script errors on the page');
  }

  const valueOf = async (page: Page, testId: string) => (await page.getByTestId(testId).first().getAttribute('data-value')) ?? '';
  const textOf = async (page: Page, testId: string) => (await page.getByTestId(testId).first().textContent()) ?? '';
  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);
  const shown = (value: number | null) => (value === null ? '' : String(value));

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

  it('runs a test created from the form and shows the same figures as the API', async () => {
    const page = await openPage();
    await page.getByTestId('field-test_type').selectOption('TSUNAMI');
    await page.getByTestId('field-test_message_delay').fill('20');
    await page.getByTestId('field-message_count_per_driver').fill('40');
    await page.getByTestId('field-target_url').fill(`${target.url}/ping`);
    // Named drivers: other drivers may share the test broker and must not take part.
    await page.getByTestId('field-drivers').fill(driverIds.join(', '));
    await page.getByTestId('field-warmup_count_per_driver').fill('10');
    await page.getByTestId('create-trigger-button').click();
    await waitForState(page, 'completed');

    const testId = await textOf(page, 'test-id');
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
      const registryRow = page.locator(`[data-testid="drivers-body"] tr[data-node-id="${driver.node_id}"]`);
      assert.equal(await registryRow.getByTestId('sent').getAttribute('data-value'), String(driver.sent), `${driver.node_id} in the drivers table`);
    }
    await page.screenshot({ path: `${RESULTS_DIR}/dashboard.png`, fullPage: true });

    await page.getByTestId('field-message_count_per_driver').fill('0');
    await page.getByTestId('create-button').click();
    await eventually(() => textOf(page, 'error-message_count_per_driver'), (text) => text.includes('must be > 0'), 5_000, 'the count error beside its field');
    await page.getByTestId('field-message_count_per_driver').fill('40');
    await page.getByTestId('field-warmup_count_per_driver').fill('-3');
    await page.getByTestId('create-button').click();
    await eventually(() => textOf(page, 'error-warmup_count_per_driver'), (text) => text.includes('must be >= 0'), 5_000, 'the warm-up error beside its field');
    await page.setViewportSize({ width: 400, height: 900 });
    await page.screenshot({ path: `${RESULTS_DIR}/dashboard-narrow.png`, fullPage: true });
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
    const historyIds = () => page.evaluate(() => [...document.querySelectorAll('[data-testid="history"] [data-test-id]')].map((entry) => entry.getAttribute('data-test-id')));
    await eventually(historyIds, (ids) => ids.includes(created.body.test_id), 10_000, 'the new test in the history without a reload');
    await closePages(page);
  });
});
