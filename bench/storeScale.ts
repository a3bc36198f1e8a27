import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { request } from 'undici';
import type { TestDetailView, TestSummaryView } from '../src/api/index.js';
import type { TestEvent } from '../src/orchestrator/testEvents.js';
import { newReportId, newTestId } from '../src/protocol/index.js';
import { MetricsStore, type NewEvent } from '../src/store/metricsStore.js';
import { testBrokers } from '../test/helpers/kafka.js';
import { eventually, freePort, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, tempDir } from '../test/helpers/processes.js';
import { percentile } from './support/arrivalServer.js';
import { rssMiB } from './support/procStats.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * An orchestrator that runs for a year (issue 29). One real small AVALANCHE test of 2 drivers runs first;
 * its events are then copied into a store 10,000 times (new ids, times shifted: the same event format the
 * orchestrator writes, written directly), one test every TEST_GAP_MS, the newest an hour old. For 1,000 and
 * 10,000 tests, and for each build (this checkout's, and the one STAMPEDE_BENCH_BEFORE names, e.g. the main
 * checkout, built, if set): restart time (process start until GET /api/tests answers, the median of RESTARTS), RSS
 * then and after reading every page, GET /api/tests per page. Then LIVE_TESTS small tests back to back through REST on each build,
 * RSS along the way: memory through the real write path.
 */
/** 0: what a start costs here without any history (module loading, Kafka), the floor of every restart. */
const SIZES = [0, 1_000, 10_000];
const RESTARTS = 3;
const PER_DRIVER = 200;
const TEST_GAP_MS = 30 * 60_000;
const PAGE = 50;
const NEWEST_PAGE_READS = 200;
const OLD_TEST_READS = 200;
/** STAMPEDE_BENCH_LIVE_TESTS: how many tests the write-path phase runs (default 2,000); RSS is read after the first and every quarter. */
const LIVE_TESTS = Number(process.env.STAMPEDE_BENCH_LIVE_TESTS ?? 2_000);
const LIVE_RSS_AT = [1, ...[1, 2, 3, 4].map((quarter) => Math.round((quarter * LIVE_TESTS) / 4))];
const ANSWER_POLL_MS = 10;

const AFTER = resolve('.');
const BEFORE = process.env.STAMPEDE_BENCH_BEFORE;

type Build = { label: string; checkout: string };

/** The events of one real test, as the orchestrator stored them. */
async function realTestEvents(): Promise<TestEvent[]> {
  const target = await startTarget();
  const { url } = await startOrchestratorProcess();
  const drivers = [(await startDriverProcess(url)).nodeId, (await startDriverProcess(url)).nodeId];
  const testId = await runSmallTest(url, `${target.url}/ping`, drivers);
  const events = await getJson<TestEvent[]>(`${url}/api/tests/${testId}/events`);
  await stopAllChildren();
  return events;
}

async function runSmallTest(url: string, targetUrl: string, drivers: string[]): Promise<string> {
  const created = await postJson<TestDetailView>(`${url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: PER_DRIVER, target_url: targetUrl, drivers, trigger: true });
  if (created.status !== 201) throw new Error(`creating a test answered ${created.status}: ${JSON.stringify(created.body)}`);
  const done = await eventually(() => getJson<TestDetailView>(`${url}/api/tests/${created.body.test_id}`), (t) => t.state !== 'created' && t.state !== 'running', 60_000, 'a small test to end');
  if (done.state !== 'completed') throw new Error(`the small test ended ${done.state}: ${done.reason}`);
  return done.test_id;
}

/** The same test again, created `shiftMs` later under a new id: every id and time it carries moved with it. */
function copyOf(events: readonly TestEvent[], shiftMs: number): NewEvent[] {
  const createdAt = Date.parse(events[0]!.at) + shiftMs;
  const testId = newTestId(createdAt);
  const shiftIso = (at: string) => new Date(Date.parse(at) + shiftMs).toISOString();
  return events.map((event): NewEvent => {
    const moved = { ...event, at: shiftIso(event.at) } as TestEvent;
    if (moved.type === 'test_created') moved.config = { ...moved.config, test_id: testId, created_at: moved.at };
    if (moved.type === 'test_triggered' && moved.start_at !== undefined) moved.start_at += shiftMs;
    if (moved.type !== 'report_received') return { testId, type: moved.type, payload: moved, at: new Date(moved.at) };
    const { report } = moved;
    moved.report = { ...report, test_id: testId, report_id: newReportId(), ...(report.timestamp ? { timestamp: shiftIso(report.timestamp) } : {}), ...(report.started_at ? { started_at: report.started_at + shiftMs } : {}) };
    return { testId, type: moved.type, payload: moved, at: new Date(moved.at), dedupeKey: `report:${moved.report.report_id}` };
  });
}

/** Adds tests `from`…`to - 1` of `total` (the last of them created an hour ago); returns the store's size in MB. */
function fillStore(file: string, template: readonly TestEvent[], from: number, to: number, total: number): number {
  const store = MetricsStore.open(file);
  const newestAt = Date.now() - 60 * 60_000;
  const templateAt = Date.parse(template[0]!.at);
  for (let i = from; i < to; i++) store.appendMany(copyOf(template, newestAt - (total - 1 - i) * TEST_GAP_MS - templateAt));
  store.close();
  return statSync(file).size / 1e6;
}

/** The orchestrator of a build; its logs are kept to say why, should it exit. */
function startOrchestrator(build: Build, storeFile: string, port: number): ChildProcess & { logTail: () => string } {
  const args = [join(build.checkout, 'bin/stampede.js'), 'orchestrator', '--kafka', testBrokers().join(','), '--orchestrator', `127.0.0.1:${port}`, '--store', storeFile];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let tail = '';
  const keep = (chunk: Buffer) => (tail = (tail + chunk.toString()).slice(-2_000));
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  return Object.assign(child, { logTail: () => tail });
}

/** Milliseconds until `url` answers 200, polled every ANSWER_POLL_MS from `since`. */
async function answeredAfter(url: string, since: number, child: ReturnType<typeof startOrchestrator>): Promise<number> {
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the orchestrator exited (${child.exitCode}) before answering:\n${child.logTail()}`);
    try {
      const response = await request(url);
      await response.body.dump();
      if (response.statusCode === 200) return performance.now() - since;
    } catch {
      // not listening yet
    }
    await sleep(ANSWER_POLL_MS);
  }
}

/** Each request's time, and the Link header's next page. */
async function timedGet(url: string): Promise<{ ms: number; next: string | null; body: unknown }> {
  const started = performance.now();
  const response = await request(url);
  const body = await response.body.json();
  const ms = performance.now() - started;
  if (response.statusCode !== 200) throw new Error(`GET ${url} → ${response.statusCode}: ${JSON.stringify(body)}`);
  const link = /<([^>]+)>; rel="next"/.exec(String(response.headers.link ?? ''));
  return { ms, next: link ? link[1]! : null, body };
}

const p50p99 = (samples: number[]) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return `${fixed(percentile(sorted, 50), 1)} / ${fixed(percentile(sorted, 99), 1)}`;
};

/** RESTARTS restarts of `build`, each on a fresh copy of the store; after the last, what reading the history costs. */
async function measureRestarts(build: Build, storeFile: string, tests: number): Promise<(string | number)[]> {
  const restarts: { ms: number; rssMiB: number }[] = [];
  for (let run = 1; run < RESTARTS; run++) {
    const { ms, rssMiB: rss, stop } = await restart(build, storeFile);
    restarts.push({ ms, rssMiB: rss });
    await stop();
  }
  const { child, base, ms, rssMiB: rss, stop } = await restart(build, storeFile);
  restarts.push({ ms, rssMiB: rss });
  try {
    const reading = await readHistory(base, tests, build);
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
    const times = restarts.map((r) => r.ms);
    return [build.label, tests.toLocaleString('en'), `${fixed(median(times), 0)} (${fixed(Math.min(...times), 0)}–${fixed(Math.max(...times), 0)})`, fixed(median(restarts.map((r) => r.rssMiB)), 0), fixed(rssMiB(child.pid!), 0), ...reading];
  } finally {
    await stop();
  }
}

/** The build's orchestrator on a fresh copy of the store, once it answers GET /api/tests; `stop` removes the copy too. */
async function restart(build: Build, storeFile: string): Promise<{ child: ChildProcess; base: string; ms: number; rssMiB: number; stop: () => Promise<void> }> {
  const dir = tempDir('stampede-bench-store-');
  const copy = join(dir, 'orchestrator.db');
  copyFileSync(storeFile, copy);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const started = performance.now();
  const child = startOrchestrator(build, copy, port);
  const stop = async () => {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const ms = await answeredAfter(`${base}/api/tests`, started, child);
    return { child, base, ms, rssMiB: rssMiB(child.pid!), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Every page once, the newest page again and again, tests spread over the history: p50 / p99 of each. */
async function readHistory(base: string, tests: number, build: Build): Promise<string[]> {
  const pageMs: number[] = [];
  const ids: string[] = [];
  for (let path: string | null = `/api/tests?limit=${PAGE}`; path !== null; ) {
    const page = await timedGet(`${base}${path}`);
    pageMs.push(page.ms);
    ids.push(...(page.body as TestSummaryView[]).map((t) => t.test_id));
    path = page.next;
  }
  if (ids.length !== tests) throw new Error(`${build.label}: ${ids.length} tests listed, ${tests} stored`);
  const newestMs: number[] = [];
  for (let i = 0; i < NEWEST_PAGE_READS; i++) newestMs.push((await timedGet(`${base}/api/tests`)).ms);
  const oldMs: number[] = [];
  for (let i = 0; i < (tests > 0 ? OLD_TEST_READS : 0); i++) oldMs.push((await timedGet(`${base}/api/tests/${ids[Math.floor((i * ids.length) / OLD_TEST_READS)]}`)).ms);
  return [p50p99(pageMs), p50p99(newestMs), oldMs.length > 0 ? p50p99(oldMs) : '–'];
}

/** LIVE_TESTS small tests through REST on one orchestrator of `build` (this checkout's drivers): its RSS along the way. */
async function measureLive(build: Build, targetUrl: string): Promise<(string | number)[]> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const storeDir = tempDir('stampede-bench-live-');
  const child = startOrchestrator(build, join(storeDir, 'orchestrator.db'), port);
  try {
    await answeredAfter(`${url}/api/tests`, performance.now(), child);
    const drivers = [await startDriverProcess(url), await startDriverProcess(url)];
    const driverIds = drivers.map((d) => d.nodeId);
    const rss: string[] = [];
    const started = performance.now();
    for (let i = 1; i <= LIVE_TESTS; i++) {
      await runSmallTest(url, targetUrl, driverIds);
      if (LIVE_RSS_AT.includes(i)) rss.push(fixed(rssMiB(child.pid!), 0));
    }
    const perTestMs = (performance.now() - started) / LIVE_TESTS;
    const listMs = (await timedGet(`${url}/api/tests`)).ms;
    await Promise.all(drivers.map((d) => stopChild(d.child.process)));
    return [build.label, ...rss, fixed(perTestMs, 0), fixed(listMs, 1)];
  } finally {
    await stopChild(child);
    rmSync(storeDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const builds: Build[] = [...(BEFORE ? [{ label: `before (${BEFORE})`, checkout: BEFORE }] : []), { label: 'after (this checkout)', checkout: AFTER }];
  const template = await realTestEvents();
  const storeDir = tempDir('stampede-bench-year-');
  const storeFile = join(storeDir, 'orchestrator.db');
  const rows: (string | number)[][] = [];
  const storeMb: string[] = [];
  let filled = 0;
  for (const size of SIZES) {
    storeMb.push(`${size.toLocaleString('en')} tests: ${fixed(fillStore(storeFile, template, filled, size, SIZES.at(-1)!), 1)} MB`);
    filled = size;
    for (const build of builds) rows.push(await measureRestarts(build, storeFile, size));
  }
  rmSync(storeDir, { recursive: true, force: true });
  printSection(
    `An orchestrator that runs for a year: a restart on a store of finished tests`,
    markdownTable(['build', 'finished tests', `restart until REST answers, median of ${RESTARTS} (min–max) ms`, 'RSS then (MiB)', 'RSS after reading every page (MiB)', `GET /api/tests?limit=${PAGE}, every page once, p50 / p99 ms`, 'GET /api/tests (newest page) p50 / p99 ms', 'GET /api/tests/{id}, old tests, p50 / p99 ms'], rows),
    [
      `Each stored test is a copy of one real AVALANCHE test of 2 drivers × ${PER_DRIVER} requests (${template.length} events: ${template.map((e) => e.type).join(', ')}), written into the store directly in the orchestrator's event format, new ids, times shifted, one every ${TEST_GAP_MS / 60_000} minutes.`,
      `Store size: ${storeMb.join('; ')}. Each restart runs on a fresh copy of the store file.`,
      `Restart: from spawning \`node bin/stampede.js orchestrator\` until GET /api/tests answers 200 (polled every ${ANSWER_POLL_MS} ms), Kafka connection included. Then every page once (limit ${PAGE}, following the Link header), the newest page ${NEWEST_PAGE_READS} times, ${OLD_TEST_READS} tests spread over the history one GET each.`,
    ],
  );
  const target = await startTarget();
  const live: (string | number)[][] = [];
  for (const build of builds) live.push(await measureLive(build, `${target.url}/ping`));
  printSection(
    `An orchestrator that runs for a year: ${LIVE_TESTS.toLocaleString('en')} small tests back to back through REST`,
    markdownTable(['build', ...LIVE_RSS_AT.map((n) => `RSS after ${n.toLocaleString('en')} (MiB)`), 'ms per test', `GET /api/tests after ${LIVE_TESTS.toLocaleString('en')} (ms)`], live),
    [`One orchestrator of the build, two drivers and a target of this checkout; each test AVALANCHE, 2 drivers × ${PER_DRIVER} requests, created with trigger: true and polled until it ends.`],
  );
  await stopAllChildren();
}

await main();
process.exit(0);
