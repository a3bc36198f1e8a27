import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { apart, BASE_RATE, patchJson, PLAN_S, runSteeredTest, STEERED_RATE } from '../helpers/steeredTest.js';
import type { TestDetailView, TestReportView } from '../../src/api/index.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';
import { getJson, postJson, startDriverProcess, startOrchestratorProcess, stopAllChildren, stopChild, type Child } from '../helpers/processes.js';

/** What the issue asks: a change reaches both drivers within this of each other, at the target. */
const APART_MS = 50;

/**
 * Steering a running test: a rate change and a pause reach every driver at one instant (apply_at), measured
 * at the target; the changes are in the log, the timeline and the report, and stay there over a restart.
 */
describe('steering a running test (PATCH /api/tests/{id}; 2 drivers, one with load workers)', () => {
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let driverIds: string[];
  let server: RecordingServer;

  before(async () => {
    server = await startRecordingServer(0);
    orchestrator = await startOrchestratorProcess();
    driverIds = [(await startDriverProcess(orchestrator.url)).nodeId, (await startDriverProcess(orchestrator.url, ['--workers', '2'])).nodeId];
  });
  after(async () => {
    await stopAllChildren();
    await server.close();
  });

  it('a rate change and a pause/resume reach both drivers within 50 ms, and the log, timeline and report keep them over a restart', async () => {
    const { test: done, arrivals } = await runSteeredTest(orchestrator.url, driverIds, server);
    assert.equal(done.state, 'completed', done.reason ?? '');
    const testUrl = `${orchestrator.url}/api/tests/${done.test_id}`;
    const { rate: rateChange, pause, resume } = arrivals.applyAt;
    const since = (instants: number[], at: number) => instants.map((t) => (t - at).toFixed(1)).join(', ');
    const report = `at the target, after apply_at: rate change ${since(arrivals.sped, rateChange)} ms; last before the pause ${since(arrivals.pausedAfter, pause)}; first after the resume ${since(arrivals.resumedAt, resume)}`;
    assert.equal(arrivals.sped.length, 2, 'both drivers reached the target');
    assert.ok(arrivals.sped.every(Number.isFinite), `both drivers sped up: ${report}`);
    assert.ok(apart(arrivals.sped) <= APART_MS && apart(arrivals.pausedAfter) <= APART_MS && apart(arrivals.resumedAt) <= APART_MS, report);
    assert.ok(arrivals.pausedAfter.every((t) => t < pause + 20) && arrivals.resumedAt.every((t) => t >= resume - 20), `nothing arrived during the pause: ${report}`);
    // Time-bounded: 5 s of plan at 100 then 400 req/s; the pause moved its end, not its length.
    const sent = done.aggregate.sent;
    const baseMs = rateChange - (Date.parse(done.drivers[0]!.started_at!) - performance.timeOrigin);
    const planned = (BASE_RATE * baseMs + STEERED_RATE * (PLAN_S * 1000 - baseMs)) / 1000;
    assert.ok(Math.abs(sent - planned) <= planned * 0.03, `sent ${sent}, planned about ${planned.toFixed(0)}`);

    await stopChild(orchestrator.child.process);
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    const replayed = await getJson<TestReportView>(`${testUrl}/report`);
    assert.deepEqual(replayed.steering.map((s) => s.change), [{ rate: STEERED_RATE }, { paused: true }, { paused: false }]);
    assert.equal(replayed.paused, false);
    const events = await getJson<{ type: string }[]>(`${testUrl}/events`);
    assert.equal(events.filter((e) => e.type === 'test_steered').length, 3);
    // Each whole second of the overall timeline inside one stretch is planned at that stretch's rate.
    const [changeMs, pauseMs, resumeMs] = replayed.steering.map((s) => s.elapsed_ms!);
    const stretches = [{ from: 0, to: changeMs!, rate: BASE_RATE }, { from: changeMs!, to: pauseMs!, rate: STEERED_RATE }, { from: pauseMs!, to: resumeMs!, rate: 0 }, { from: resumeMs!, to: PLAN_S * 1000 + resumeMs! - pauseMs!, rate: STEERED_RATE }];
    const timeline = JSON.stringify(replayed.overall_timeline.map((p) => [p.elapsed_ms, p.planned_rps]));
    for (const stretch of stretches) {
      const inside = replayed.overall_timeline.filter((p) => p.elapsed_ms - 1_000 >= stretch.from && p.elapsed_ms <= stretch.to);
      // A second in which no request was due has no point (the timeline is binned by intended start).
      assert.ok(inside.length > 0 || stretch.rate === 0, `a whole second between ${stretch.from} and ${stretch.to} ms: ${timeline}`);
      for (const point of inside) assert.equal(point.planned_rps, stretch.rate, `planned ${stretch.rate} req/s between ${stretch.from} and ${stretch.to} ms: ${timeline}`);
    }
    const duringPause = replayed.overall_timeline.filter((p) => p.elapsed_ms - 1_000 >= pauseMs! && p.elapsed_ms <= resumeMs!);
    assert.ok(duringPause.every((p) => p.interval_sent === 0), `nothing was due while paused: ${timeline}`);
    const html = await (await request(`${testUrl}/report?format=html`)).body.text();
    assert.match(html, /Steering/);
    assert.match(html, new RegExp(`rate ${STEERED_RATE}`));
  });

  it('refuses what a test cannot take: 400 naming the field, 409 when it is not running', async () => {
    const created = await postJson<TestDetailView>(`${orchestrator.url}/api/tests`, { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 20, requests: [{ method: 'GET', url: server.url }], drivers: driverIds });
    const testUrl = `${orchestrator.url}/api/tests/${created.body.test_id}`;
    const notRunning = await patchJson<{ message: string }>(testUrl, { paused: true });
    assert.equal(notRunning.status, 409);
    const bad = await patchJson<{ field: string }>(testUrl, { rate: -5 });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'rate');
    const empty = await patchJson<{ message: string }>(testUrl, {});
    assert.equal(empty.status, 400);
    const scenarioless = await patchJson<{ field: string }>(testUrl, { scenarios: { shoppers: { vus: 3 } } });
    assert.equal(scenarioless.status, 409, 'a test not running is refused before its fields are weighed');
  });
});
