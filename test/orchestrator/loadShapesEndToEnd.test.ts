import assert from 'node:assert/strict';
import { after, afterEach, before, describe, it } from 'node:test';
import { stagedPacer } from '../../src/driver/load/pacers.js';
import { stageSegments } from '../../src/protocol/index.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, stopAllChildren, stopChild, type Child } from '../helpers/processes.js';

type Interval = { elapsed_ms: number; p99: number | null; planned_rps: number | null; sent_rps: number | null };
type Figures = { sent: number; completed: number; error_count: number; late_starts: number };
type TestView = { test_id: string; state: string; reason: string | null; config: { message_count_per_driver: number; planned_duration_s: number | null }; aggregate: Figures; drivers: (Figures & { node_id: string })[] };
type ReportView = TestView & { timeline: Record<string, Interval[]>; overall_timeline: Interval[] };

const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);
const RAMP_HOLD_DOWN = [
  { duration_s: 3, target_rps: 200 },
  { duration_s: 3, target_rps: 200 },
  { duration_s: 2, target_rps: 0 },
];

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

describe('load shapes end to end: orchestrator, drivers and a recording target on the real broker', () => {
  let orchestrator: { child: Child; url: string };
  const drivers: Child[] = [];
  const servers: RecordingServer[] = [];

  before(async () => {
    orchestrator = await startOrchestratorProcess();
  });
  after(() => stopAllChildren());
  afterEach(async () => {
    await Promise.all(drivers.splice(0).map((d) => stopChild(d.process)));
    await Promise.all(servers.splice(0).map((s) => s.close()));
  });

  async function addDrivers(count: number): Promise<string[]> {
    const started = await Promise.all(Array.from({ length: count }, () => startDriverProcess(orchestrator.url)));
    drivers.push(...started.map((d) => d.child));
    return started.map((d) => d.nodeId);
  }

  async function recordingTarget(...args: Parameters<typeof startRecordingServer>): Promise<RecordingServer> {
    const server = await startRecordingServer(...args);
    servers.push(server);
    return server;
  }

  async function runTest(body: Record<string, unknown>): Promise<ReportView> {
    const created = await postJson<TestView>(`${orchestrator.url}/api/tests`, { trigger: true, ...body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const done = await eventually(() => getJson<TestView>(`${orchestrator.url}/api/tests/${created.body.test_id}`), finished, 90_000, `test ${created.body.test_id} to finish`);
    assert.equal(done.state, 'completed', done.reason ?? '');
    return getJson<ReportView>(`${orchestrator.url}/api/tests/${done.test_id}/report`);
  }

  it('ramp 0→200 req/s over 3 s, hold 3 s, down to 0 over 2 s: 1,100 requests arriving on plan (p99 deviation < 25 ms)', { timeout: 120_000 }, async () => {
    const [driver] = await addDrivers(1);
    const target = await recordingTarget();
    const report = await runTest({ test_type: 'AVALANCHE', stages: RAMP_HOLD_DOWN, concurrency: 64, drivers: [driver], target_url: target.url });
    assert.equal(report.config.message_count_per_driver, 1_100, 'the wire count is the plan’s integral');
    assert.equal(report.aggregate.sent, 1_100);
    assert.equal(report.aggregate.error_count, 0);
    assert.equal(target.arrivals.length, 1_100);
    const pacer = stagedPacer(stageSegments(RAMP_HOLD_DOWN));
    const arrivals = [...target.arrivals].sort((a, b) => a - b);
    // The start offset (the trigger's way to the driver, the first connection) is one constant: the
    // median of arrival − plan. The first request alone would carry its own connection set-up.
    const offsets = arrivals.map((at, k) => at - pacer.startOffsetMs(k)!);
    const startOffset = percentile(offsets, 50);
    const deviations = offsets.map((offset) => Math.abs(offset - startOffset));
    const p99 = percentile(deviations, 99);
    assert.ok(p99 < 25, `p99 deviation from the plan ${p99.toFixed(1)} ms (p50 ${percentile(deviations, 50).toFixed(1)}, max ${Math.max(...deviations).toFixed(1)}, first request ${(offsets[0]! - startOffset).toFixed(1)} ms, late starts on the driver ${report.aggregate.late_starts}) ${JSON.stringify(offsets.map((o) => Math.round(o - startOffset)).filter((_, k) => k % 20 === 0))}`);
    const points = report.timeline[driver!]!;
    const hold = points.filter((p) => p.elapsed_ms > 3_500 && p.elapsed_ms < 6_000);
    assert.ok(hold.length >= 3 && hold.every((p) => p.planned_rps === 200), JSON.stringify(hold));
  });

  it('duration_s 3 at 100 req/s sends 300; an AVALANCHE without a rate runs for duration_s and reports how many it sent', { timeout: 60_000 }, async () => {
    const [driver] = await addDrivers(1);
    const target = await recordingTarget(5);
    const paced = await runTest({ test_type: 'AVALANCHE', throughput_per_driver: 100, duration_s: 3, drivers: [driver], target_url: target.url });
    assert.equal(paced.config.message_count_per_driver, 300);
    assert.equal(paced.aggregate.sent, 300);
    assert.equal(target.arrivals.length, 300);
    const timed = await runTest({ test_type: 'AVALANCHE', duration_s: 1, concurrency: 4, message_count_per_driver: 100_000, drivers: [driver], target_url: target.url });
    const sentTimed = timed.aggregate.sent;
    // Four slots, 5 ms answers: tens to a few hundred a second on a loaded machine, far below the cap.
    assert.ok(sentTimed > 20 && sentTimed < 100_000, `sent ${sentTimed}`);
    assert.equal(timed.aggregate.completed, sentTimed);
    assert.equal(target.arrivals.length, 300 + sentTimed);
    const lastArrival = Math.max(...target.arrivals.slice(300)) - Math.min(...target.arrivals.slice(300));
    assert.ok(lastArrival < 1_200, `requests started for ${lastArrival.toFixed(0)} ms`);
  });

  it('a 3-second slow phase shows high p99 only in those intervals of the REST timeline', { timeout: 90_000 }, async () => {
    const ids = await addDrivers(2);
    // Slow answers take 1.5 s; "high" is above 0.8 s, far above what a busy machine's pauses add elsewhere.
    const slowMs = 1_500;
    const highMs = 800;
    const slow = (sinceFirst: number) => (sinceFirst >= 2_000 && sinceFirst < 5_000 ? slowMs : 0);
    const target = await recordingTarget(slow);
    const report = await runTest({ test_type: 'TSUNAMI', test_message_delay: 20, duration_s: 8, drivers: ids, target_url: target.url });
    assert.equal(report.aggregate.sent, 800);
    const highAt = (points: Interval[]) => points.filter((p) => p.p99 !== null && p.p99 > highMs).map((p) => p.elapsed_ms);
    for (const id of ids) {
      const points = report.timeline[id]!;
      const high = highAt(points);
      // Slow answers complete from 3.5 s to 6.5 s of the target's clock; driver clocks start a little earlier.
      assert.ok(high.length >= 5 && high.every((ms) => ms > 3_500 && ms < 7_100), `driver ${id}: high p99 at ${high.join(', ')} ms`);
      assert.ok(points.filter((p) => p.elapsed_ms < 3_500 || p.elapsed_ms > 7_100).every((p) => p.p99 === null || p.p99 < highMs), JSON.stringify(points));
    }
    // Overall, each request counts in the second it was due to start: the slow ones started from 2 s to 5 s.
    const overallHigh = highAt(report.overall_timeline);
    assert.ok(overallHigh.includes(4_000) && overallHigh.includes(5_000) && overallHigh.every((ms) => ms >= 3_000 && ms <= 6_000), `overall: high p99 in seconds ending ${overallHigh.join(', ')}`);
    const outside = report.overall_timeline.filter((p) => p.elapsed_ms <= 2_000 || p.elapsed_ms >= 7_000);
    assert.ok(outside.length >= 3 && outside.every((p) => p.p99 === null || p.p99 < highMs), JSON.stringify(report.overall_timeline));
    assert.ok(report.overall_timeline.filter((p) => p.elapsed_ms <= 8_000).every((p) => p.planned_rps === 100), 'two drivers at 50 req/s each');
  });
});
