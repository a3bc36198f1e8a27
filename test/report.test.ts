import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import type { Figures, TestReportView } from '../src/api/index.js';
import { htmlReport, machineInfo, shownNumber } from '../src/report/index.js';
import { eventually, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir, type Child } from './helpers/processes.js';
import { closeBrowsers, launchBrowser } from './helpers/browser.js';

const RESULTS_DIR = 'test-results';
const HOSTILE = '<img src=x onerror="window.__pwned=1">';
const PER_DRIVER = 400;

type Report = TestReportView & { thresholds?: { expression: string; ok: boolean; actual: number | null }[] };

/** Every figure the report must show, keyed as its cells' data-figure, from the JSON report. */
function expectedFigures(report: Report): Map<string, number | null> {
  const expected = new Map<string, number | null>();
  const addFigures = (key: string, f: Pick<Figures, 'sent' | 'completed' | 'error_count' | 'rps' | 'latency' | 'bytes_received'>) => {
    for (const [name, value] of Object.entries({ sent: f.sent, completed: f.completed, error_count: f.error_count, rps: f.rps })) expected.set(`${key}/${name}`, value);
    for (const name of ['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'] as const) expected.set(`${key}/${name}`, f.latency[name]);
    expected.set(`${key}/error_rate`, f.completed > 0 ? Math.round((f.error_count / f.completed) * 1e6) / 1e4 : null);
    expected.set(`${key}/kib_received`, Math.round(f.bytes_received / 1.024) / 1000);
  };
  addFigures('overall', report.aggregate);
  for (const d of report.drivers) {
    addFigures(`driver:${d.node_id}`, d);
    expected.set(`driver:${d.node_id}/late_starts`, d.late_starts);
    for (const r of d.requests) addFigures(`driver_request:${d.node_id}:${r.name}`, r);
  }
  for (const r of report.aggregate.requests) addFigures(`request:${r.name}`, r);
  for (const [kind, count] of Object.entries(report.aggregate.errors)) if (count > 0) expected.set(`error:${kind}/count`, count);
  for (const [status, count] of Object.entries(report.aggregate.status_counts)) expected.set(`status:${status}/count`, count);
  for (const t of report.thresholds ?? []) expected.set(`threshold:${t.expression}/actual`, t.actual);
  return expected;
}

describe('the HTML report in a real browser', () => {
  let browser: Browser;
  let target: { child: Child; url: string };
  let orchestrator: { child: Child; url: string; port: number };
  let driverIds: string[];
  let testId: string;
  const dir = tempDir('stampede-report-');

  before(async () => {
    [target, orchestrator, browser] = await Promise.all([startTarget(), startOrchestratorProcess(), launchBrowser()]);
    const drivers = await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)]);
    driverIds = drivers.map((d) => d.nodeId);
    // User input everywhere the report prints it: a request name and a URL with markup, and a 404 whose error sample it shows.
    const requests = [
      { name: HOSTILE, url: `${target.url}/ping?delay_ms=2&tag=${encodeURIComponent('</script><b>x</b>')}`, weight: 3 },
      { name: 'missing', url: `${target.url}/missing`, weight: 1 },
    ];
    const created = await postJson<{ test_id: string }>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: PER_DRIVER, concurrency: 4, requests, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    testId = created.body.test_id;
    await eventually(() => getJson<Report>(`${orchestrator.url}/api/tests/${testId}`), (t) => t.state !== 'running' && t.state !== 'created' && t.drivers.every((d) => d.final), 60_000, 'the test to finish');
    mkdirSync(RESULTS_DIR, { recursive: true });
  });

  after(async () => {
    await closeBrowsers();
    await stopAllChildren();
  });

  /** Opens a report with every network request answered by an abort and recorded. */
  async function openReport(html: string, colorScheme: 'light' | 'dark' = 'light'): Promise<{ page: Page; requests: string[]; errors: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, colorScheme, reducedMotion: 'reduce' });
    const requests: string[] = [];
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error') errors.push(message.text());
    });
    page.on('request', (r) => requests.push(r.url()));
    await page.route('**/*', (route) => route.abort());
    await page.setContent(html, { waitUntil: 'load' });
    return { page, requests, errors };
  }

  async function figuresShown(page: Page): Promise<Map<string, { value: string; text: string }>> {
    const cells = await page.$$eval('[data-figure]', (all) => all.map((c) => [c.getAttribute('data-figure') ?? '', c.getAttribute('data-value') ?? '', c.textContent ?? ''] as const));
    const shown = new Map<string, { value: string; text: string }>();
    for (const [key, value, text] of cells) {
      // The same figure may show twice (a driver's sent in its table and under late starts): it must agree with itself.
      const earlier = shown.get(key);
      if (earlier) assert.deepEqual({ value, text }, earlier, key);
      shown.set(key, { value, text });
    }
    return shown;
  }

  function assertSameFigures(shown: Map<string, { value: string; text: string }>, report: Report): void {
    const expected = expectedFigures(report);
    assert.deepEqual([...shown.keys()].sort(), [...expected.keys()].sort(), 'the report shows exactly the figures of the JSON');
    for (const [key, value] of expected) {
      assert.equal(shown.get(key)?.value, value === null ? '' : String(value), key);
      assert.equal(shown.get(key)?.text, shownNumber(value), key);
    }
  }

  it('GET /report?format=html renders with no script error and no network, showing the JSON report\'s figures, charts and user text literally', async () => {
    const response = await request(`${orchestrator.url}/api/tests/${testId}/report?format=html`);
    assert.equal(response.statusCode, 200);
    assert.match(String(response.headers['content-type']), /^text\/html/);
    const html = await response.body.text();
    const report = await getJson<Report>(`${orchestrator.url}/api/tests/${testId}/report`);
    assert.ok(report.aggregate.error_count > 0 && report.aggregate.errors['http_404'], 'the test has 404s to show');

    const { page, requests, errors } = await openReport(html);
    assertSameFigures(await figuresShown(page), report);
    assert.equal(await page.getByTestId('test-id').textContent(), testId);
    assert.equal(await page.getByTestId('test-state').textContent(), report.state);
    assert.ok((await page.locator('#requests').textContent())?.includes(HOSTILE), 'the hostile request name shown as text');
    for (const r of report.aggregate.requests) assert.ok((await page.locator('#requests').textContent())?.includes(r.url), `${r.url} shown as text`);
    assert.equal(await page.locator('img, b').count(), 0, 'no markup from user input');
    assert.equal(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned), undefined);
    assert.ok((await page.locator('#errors').textContent())?.includes('http_404'));
    assert.equal(await page.locator('#chart-rate canvas').count(), 1, 'the rate chart is drawn');
    assert.equal(await page.locator('#chart-latency canvas').count(), 1, 'the latency chart is drawn');
    const legend = (await page.locator('#chart-rate .u-legend').textContent()) ?? '';
    assert.ok(report.overall_timeline.length > 0 && legend.includes('achieved (completed/s)'), legend);
    assert.ok(((await page.locator('#chart-latency .u-legend').textContent()) ?? '').includes('p99'));
    assert.equal(await page.locator('[data-machine="Node.js"]').textContent(), process.version);
    assert.match((await page.locator('[data-machine="Stampede"]').textContent()) ?? '', /^\d+\.\d+\.\d+/);
    assert.equal(await page.locator('[data-config="test_type"]').textContent(), 'AVALANCHE');
    await page.screenshot({ path: join(RESULTS_DIR, 'report.png'), fullPage: true });
    const timelineCsv = await (await request(`${orchestrator.url}/api/tests/${testId}/report?format=csv&part=timeline`)).body.text();
    const points = Object.values(report.timeline).flat().length + ((report as { overall_timeline?: unknown[] }).overall_timeline ?? []).length;
    assert.equal(timelineCsv.trimEnd().split('\n').length, 1 + points, 'a CSV row per timeline point');

    await page.emulateMedia({ media: 'print' });
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(255, 255, 255)', 'prints on white');
    assert.deepEqual(errors, [], 'no script errors');
    assert.deepEqual(requests, [], 'no network requests');
    await page.close();
  });

  it('reads in the dark, and escapes a hostile test id', async () => {
    const report = await getJson<Report>(`${orchestrator.url}/api/tests/${testId}/report`);
    const html = htmlReport({ report: { ...report, test_id: HOSTILE }, machine: { ...machineInfo(), hostname: HOSTILE }, generated_at: new Date().toISOString() });
    assert.ok(!html.includes('<img'), 'no raw markup in the file');
    const { page, requests, errors } = await openReport(html, 'dark');
    assert.equal(await page.getByTestId('test-id').textContent(), HOSTILE);
    assert.equal(await page.title(), `Stampede report: ${HOSTILE}`);
    assert.equal(await page.locator('[data-machine="hostname"]').textContent(), HOSTILE);
    assert.equal(await page.evaluate(() => getComputedStyle(document.body).backgroundColor), 'rgb(20, 23, 26)', 'dark background');
    await page.screenshot({ path: join(RESULTS_DIR, 'report-dark.png'), fullPage: true });
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  });

  it('stampede run --out x.json --out x.html writes both; the HTML shows the thresholds with their verdicts and the JSON file\'s figures', async () => {
    const jsonFile = join(dir, 'x.json');
    const htmlFile = join(dir, 'x.html');
    const child = startCli(['run', '--orchestrator', `127.0.0.1:${orchestrator.port}`, '--target', `${target.url}/ping`, '--type', 'avalanche', '--count', '200', '--drivers', driverIds.join(','), '--threshold', 'p99<5000', '--threshold', 'errors<1%', '--threshold', 'rps>100000000', '--out', jsonFile, '--out', htmlFile]);
    assert.equal(await child.exited, 99, child.stderr());
    const report = JSON.parse(readFileSync(jsonFile, 'utf8')) as Report;
    const { page, requests, errors } = await openReport(readFileSync(htmlFile, 'utf8'));
    assertSameFigures(await figuresShown(page), report);
    const verdicts = await page.$$eval('tr[data-threshold]', (rows) => rows.map((r) => [r.getAttribute('data-threshold'), r.querySelector('.verdict')?.textContent]));
    assert.deepEqual(verdicts, [
      ['p99<5000', 'pass'],
      ['errors<1%', 'pass'],
      ['rps>100000000', 'FAIL'],
    ]);
    assert.equal(await page.getByTestId('threshold-verdict').textContent(), 'A threshold failed');
    assert.deepEqual(errors, []);
    assert.deepEqual(requests, []);
    await page.close();
  });
});
