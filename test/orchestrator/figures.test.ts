import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricsMessage } from '../../src/protocol/index.js';
import { createLatencyHistogram, encodeHistogram, recordMicros } from '../../src/stats/latencyHistogram.js';
import { summarize } from '../../src/stats/summary.js';
import { FiguresCalculator } from '../../src/orchestrator/testFigures.js';
import { applyTestEvent, createProjection } from '../../src/orchestrator/testProjection.js';

function reportFrom(nodeId: string, samplesMs: number[], seq: number, extra: Partial<MetricsMessage> = {}): MetricsMessage {
  const h = createLatencyHistogram();
  for (const ms of samplesMs) recordMicros(h, ms * 1000);
  const s = summarize(h);
  return {
    node_id: nodeId,
    test_id: 't1',
    report_id: `${nodeId}-${seq}`,
    metrics: { mean_latency: s.mean ?? 0, median_latency: s.median ?? 0, min_latency: s.min ?? 0, max_latency: s.max ?? 0 },
    sent: samplesMs.length,
    completed: samplesMs.length,
    errors: {},
    seq,
    elapsed_ms: 1000,
    histogram: encodeHistogram(h),
    ...extra,
  };
}

function testWith(reports: MetricsMessage[]) {
  const test = createProjection({ type: 'test_created', at: new Date().toISOString(), driver_ids: ['a', 'b'], config: { test_id: 't1', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 1000 } });
  for (const report of reports) applyTestEvent(test, { type: 'report_received', at: new Date().toISOString(), report });
  return test;
}

describe('test figures', () => {
  it("keeps a driver that completed nothing (a rejection's zeros) out of the latencies and the approximate flag", () => {
    const rejection: MetricsMessage = { node_id: 'b', test_id: 't1', report_id: 'b-1', metrics: { mean_latency: 0, median_latency: 0, min_latency: 0, max_latency: 0 }, sent: 0, completed: 0, errors: {}, final: true, outcome: 'rejected', reason: 'busy', seq: 1 };
    const figures = new FiguresCalculator().figuresFor(testWith([reportFrom('a', [5, 6, 7], 1), rejection]));
    assert.equal(figures.aggregate.approximate, false);
    assert.equal(figures.aggregate.latency.min, figures.drivers.find((d) => d.node_id === 'a')?.latency.min);
    assert.ok((figures.aggregate.latency.min ?? 0) > 4);
    const rejected = figures.drivers.find((d) => d.node_id === 'b');
    assert.equal(rejected?.latency.min, null);
    assert.equal(rejected?.approximate, false);
  });

  it('merges histograms for the overall median and p99 instead of averaging medians', () => {
    const fast = Array.from({ length: 900 }, (_, i) => 1 + (i % 10) / 10);
    const slow = Array.from({ length: 100 }, (_, i) => 100 + i);
    const figures = new FiguresCalculator().figuresFor(testWith([reportFrom('a', fast, 1), reportFrom('b', slow, 1)]));
    const all = createLatencyHistogram();
    for (const ms of [...fast, ...slow]) recordMicros(all, ms * 1000);
    const truth = summarize(all);
    assert.equal(figures.aggregate.latency.median, truth.median);
    assert.equal(figures.aggregate.latency.p99, truth.p99);
    const meanOfMedians = ((figures.drivers[0]!.latency.median ?? 0) + (figures.drivers[1]!.latency.median ?? 0)) / 2;
    assert.ok(Math.abs(meanOfMedians - (truth.median ?? 0)) > 40, `the mean of medians (${meanOfMedians}) would be far from the true median (${truth.median})`);
    assert.equal(figures.aggregate.sent, 1000);
    assert.equal(figures.aggregate.approximate, false);
  });

  it('keeps the latest report by seq, so an older redelivered one does not roll figures back', () => {
    const test = testWith([reportFrom('a', [1, 2, 3], 2), reportFrom('a', [1], 1)]);
    assert.equal(new FiguresCalculator().figuresFor(test).drivers.find((d) => d.node_id === 'a')?.sent, 3);
  });

  it('shows a spec-only driver (four numbers, no histogram) and flags the aggregate approximate', () => {
    const specOnly: MetricsMessage = { node_id: 'b', test_id: 't1', report_id: 'x', metrics: { mean_latency: 10, median_latency: 9, min_latency: 2, max_latency: 50 } };
    const figures = new FiguresCalculator().figuresFor(testWith([reportFrom('a', [1, 2, 3], 1), specOnly]));
    const b = figures.drivers.find((d) => d.node_id === 'b');
    assert.equal(b?.latency.median, 9);
    assert.equal(b?.approximate, true);
    assert.equal(figures.aggregate.approximate, true);
    assert.equal(figures.aggregate.latency.max, 50);
    assert.equal(figures.aggregate.latency.min, 1);
  });

  it('sums errors by kind across drivers', () => {
    const figures = new FiguresCalculator().figuresFor(
      testWith([reportFrom('a', [1], 1, { errors: { http_500: 2, timeout: 1 }, completed: 4 }), reportFrom('b', [1], 1, { errors: { http_500: 3 }, completed: 4 })]),
    );
    assert.deepEqual(figures.aggregate.errors, { http_500: 5, timeout: 1 });
    assert.equal(figures.aggregate.error_count, 6);
  });

  it('keeps each driver\'s error samples and merges them overall: distinct, at most five per kind, in driver order', () => {
    const a = { timeout: ['no complete response within 100 ms'], connection_reset: ['read ECONNRESET', 'other side closed'] };
    const b = { timeout: ['no complete response within 100 ms'], connection_reset: ['socket hang up', 'EPIPE', 'closed 1', 'closed 2'], tls: ['self-signed certificate'] };
    const figures = new FiguresCalculator().figuresFor(testWith([reportFrom('a', [1], 1, { error_samples: a }), reportFrom('b', [1], 1, { error_samples: b })]));
    assert.deepEqual(figures.drivers.find((d) => d.node_id === 'a')?.error_samples, a);
    assert.deepEqual(figures.aggregate.error_samples, {
      timeout: ['no complete response within 100 ms'],
      connection_reset: ['read ECONNRESET', 'other side closed', 'socket hang up', 'EPIPE', 'closed 1'],
      tls: ['self-signed certificate'],
    });
    const specOnly: MetricsMessage = { node_id: 'a', test_id: 't1', report_id: 'y', metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 } };
    assert.deepEqual(new FiguresCalculator().figuresFor(testWith([specOnly])).aggregate.error_samples, {});
  });

  it('keeps the overall figures exact as cumulative reports replace each other, as a merge from scratch would', () => {
    const calculator = new FiguresCalculator();
    const test = testWith([]);
    const samples = { a: [] as number[], b: [] as number[] };
    for (let seq = 1; seq <= 6; seq++) {
      for (const node of ['a', 'b'] as const) {
        for (let i = 0; i < 50; i++) samples[node].push(node === 'a' ? 1 + ((seq * i) % 7) : 20 + seq * 10 + (i % 13));
        applyTestEvent(test, { type: 'report_received', at: new Date().toISOString(), report: reportFrom(node, samples[node], seq) });
      }
      const all = createLatencyHistogram();
      for (const ms of [...samples.a, ...samples.b]) recordMicros(all, ms * 1000);
      const { count: _count, ...truth } = summarize(all);
      assert.deepEqual(calculator.figuresFor(test).aggregate.latency, truth, `after report ${seq}`);
    }
  });

  it('gives the same figures when a running test had to leave the figures kept (a merge rebuilt from the latest reports)', () => {
    const holdsOne = new FiguresCalculator(1);
    const tests = ['t1', 't2'].map((testId) => createProjection({ type: 'test_created', at: new Date().toISOString(), driver_ids: ['a', 'b'], config: { test_id: testId, test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 1000 } }));
    for (let seq = 1; seq <= 4; seq++) {
      tests.forEach((test, t) => {
        for (const node of ['a', 'b']) {
          const report = reportFrom(node, Array.from({ length: 40 * seq }, (_, i) => 1 + ((i * (t + 3) + seq) % 50)), seq, { test_id: test.test_id, report_id: `${test.test_id}-${node}-${seq}` });
          applyTestEvent(test, { type: 'report_received', at: new Date().toISOString(), report });
        }
      });
      // Each read evicts the other test's merge and figures.
      for (const test of tests) assert.deepEqual(holdsOne.figuresFor(test), new FiguresCalculator().figuresFor(test), `after report ${seq}`);
    }
  });

  it('flags the aggregate approximate once a driver sends an undecodable histogram', () => {
    const test = testWith([reportFrom('a', [1, 2, 3], 1), reportFrom('b', [4, 5], 1)]);
    const calculator = new FiguresCalculator();
    assert.equal(calculator.figuresFor(test).aggregate.approximate, false);
    applyTestEvent(test, { type: 'report_received', at: new Date().toISOString(), report: reportFrom('b', [4, 5, 6], 2, { histogram: 'bm90IGEgaGlzdG9ncmFt' }) });
    const figures = calculator.figuresFor(test);
    assert.equal(figures.aggregate.approximate, true);
    assert.equal(figures.drivers.find((d) => d.node_id === 'b')?.approximate, true);
  });

  it('shows no latency for a driver whose every request failed, though the spec made it send zeros', () => {
    const failed = reportFrom('a', [], 1, { errors: { refused: 5 }, completed: 5, sent: 5 });
    const figures = new FiguresCalculator().figuresFor(testWith([failed]));
    assert.equal(figures.drivers[0]?.latency.median, null);
    assert.equal(figures.aggregate.latency.median, null);
  });
});
