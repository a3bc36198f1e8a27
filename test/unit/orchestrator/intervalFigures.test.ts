import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OrchestratorMetrics } from '../../../src/orchestrator/prometheus.js';
import type { RuntimeController } from '../../../src/orchestrator/runtimeController.js';
import { FiguresCalculator } from '../../../src/orchestrator/testFigures.js';
import { applyTestEvent, createProjection, type TestProjection } from '../../../src/orchestrator/testProjection.js';
import type { MetricsMessage, TestConfigMessage } from '../../../src/protocol/index.js';
import { intervalPercentiles, subtractCounts } from '../../../src/stats/intervalCounts.js';
import { createLatencyHistogram, decodeHistogramCounts, encodeHistogram, recordMicros, type LatencyHistogram } from '../../../src/stats/latencyHistogram.js';
import { summarize } from '../../../src/stats/summary.js';

const CONFIG: TestConfigMessage = { test_id: 't1', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 1_000, start_rps: 100, stages: [{ duration_s: 4, target_rps: 100 }] };

/** A driver's cumulative histogram, report by report. */
class FakeDriver {
  readonly histogram: LatencyHistogram = createLatencyHistogram();
  sent = 0;
  seq = 0;

  constructor(readonly nodeId: string) {}

  /** Records `count` responses of `ms` each and returns the cumulative report at `elapsedMs`. */
  report(elapsedMs: number, count: number, ms: number, errors = 0): MetricsMessage {
    for (let i = 0; i < count; i++) recordMicros(this.histogram, ms * 1000 + i);
    this.sent += count + errors;
    this.seq += 1;
    const zero = { mean_latency: 0, median_latency: 0, min_latency: 0, max_latency: 0 };
    return { node_id: this.nodeId, test_id: 't1', report_id: `${this.nodeId}-${this.seq}`, metrics: zero, sent: this.sent, completed: this.sent, errors: { timeout: errors }, seq: this.seq, elapsed_ms: elapsedMs, histogram: encodeHistogram(this.histogram) };
  }
}

function projection(drivers: string[]): TestProjection {
  return createProjection({ type: 'test_created', at: new Date().toISOString(), driver_ids: drivers, config: CONFIG });
}

function receive(test: TestProjection, report: MetricsMessage): void {
  applyTestEvent(test, { type: 'report_received', at: new Date().toISOString(), report });
}

describe('figures per interval', () => {
  it('subtracting cumulative histograms gives the interval, with the summary’s percentiles', () => {
    const earlier = createLatencyHistogram();
    for (let ms = 1; ms <= 100; ms++) recordMicros(earlier, ms * 1000);
    const later = createLatencyHistogram();
    later.add(earlier);
    const onlyLater = createLatencyHistogram();
    for (let ms = 500; ms < 600; ms++) {
      recordMicros(later, ms * 1000);
      recordMicros(onlyLater, ms * 1000);
    }
    const interval = subtractCounts(decodeHistogramCounts(encodeHistogram(later)), decodeHistogramCounts(encodeHistogram(earlier)));
    assert.equal(interval.total, 100);
    const expected = summarize(onlyLater);
    assert.deepEqual(intervalPercentiles(interval), { p50: expected.median, p95: expected.p95, p99: expected.p99 });
  });

  it('a 1-second slow phase shows high p99 in that interval only, with interval rates, errors and the planned rate', () => {
    const test = projection(['a']);
    const a = new FakeDriver('a');
    receive(test, a.report(1_000, 100, 2));
    receive(test, a.report(2_000, 100, 800, 3));
    receive(test, a.report(3_000, 100, 2));
    const points = test.drivers.get('a')!.timeline;
    assert.deepEqual(points.map((p) => p.p99! > 500), [false, true, false]);
    assert.deepEqual(points.map((p) => p.errors), [0, 3, 0]);
    assert.deepEqual(points.map((p) => p.rps), [100, 103, 100]);
    assert.deepEqual(points.map((p) => p.planned_rps), [100, 100, 100]);
    assert.deepEqual(points.map((p) => p.completed), [100, 203, 303]);
  });

  it('skips a report older than the last one measured, and warm-up reports', () => {
    const test = projection(['a']);
    const a = new FakeDriver('a');
    receive(test, { ...a.report(0, 0, 1), phase: 'warmup' });
    const first = a.report(500, 50, 2);
    const second = a.report(1_000, 50, 2);
    receive(test, second);
    receive(test, first);
    assert.deepEqual(test.drivers.get('a')!.timeline.map((p) => p.elapsed_ms), [1_000]);
    assert.equal(test.drivers.get('a')!.latest?.seq, 3);
  });

  it('overall: per second, rates summed over drivers and percentiles from their merged intervals', () => {
    const test = projection(['a', 'b']);
    const a = new FakeDriver('a');
    const b = new FakeDriver('b');
    for (const [elapsed, slowB] of [[500, false], [1_000, false], [1_500, true], [2_000, true], [2_500, false], [3_000, false]] as const) {
      receive(test, a.report(elapsed, 50, 2));
      receive(test, b.report(elapsed + 7, 50, slowB ? 900 : 2));
    }
    const overall = test.overall.points(test.planned_rate, 2);
    assert.deepEqual(overall.map((p) => p.elapsed_ms), [1_000, 2_000, 3_000, 4_000]);
    // Second 1 holds a's two reports and b's first; b's 1,007 ms report falls in second 2.
    assert.deepEqual(overall.map((p) => p.p99! > 500), [false, true, true, false]);
    assert.equal(overall[0]!.planned_rps, 200);
    assert.equal(overall[2]!.rps, 200);
  });
});

describe('Prometheus interval metrics', () => {
  it("show a running test's last whole second, not its whole run, without float noise", async () => {
    const test = projection(['a']);
    applyTestEvent(test, { type: 'test_triggered', at: new Date().toISOString() });
    const a = new FakeDriver('a');
    receive(test, a.report(1_000, 100, 2));
    receive(test, a.report(2_000, 100, 1.234));
    receive(test, a.report(2_500, 50, 2));
    const controller = { drivers: { list: () => [] }, tests: { list: () => [test], unfinished: () => [test], get: () => test, peek: () => test }, counters: { reports_received: 3, reports_duplicate: 0 } } as unknown as RuntimeController;
    const text = await new OrchestratorMetrics({ controller, figures: new FiguresCalculator(), rejectedMessages: () => ({}) }).text();
    assert.match(text, /^stampede_running_test_interval_latency_seconds\{test_id="t1",quantile="0\.99"\} 0\.001332$/m);
    assert.match(text, /^stampede_running_test_interval_rate\{test_id="t1",kind="achieved"\} 100$/m);
    assert.match(text, /^stampede_running_test_interval_rate\{test_id="t1",kind="planned"\} 100$/m);
    assert.match(text, /^# TYPE stampede_running_test_interval_latency_seconds gauge$/m);
    assert.doesNotMatch(text, /\d\.\d*0000000\d/);
  });
});
