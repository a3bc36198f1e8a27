import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import type { MetricsMessage } from '../../src/protocol/index.js';
import { metricsMessage } from '../../src/protocol/index.js';
import { deliverReport, rejectionReport, Reporter, type ReportSink } from '../../src/driver/reporter.js';
import { Recorder } from '../../src/driver/recorder.js';
import { decodeHistogram } from '../../src/stats/latencyHistogram.js';

const log = createLogger('reporter-test', { test: true });

/** Publishes into an array; the first `failures` attempts throw as a broker outage would. */
function memorySink(failures = 0): ReportSink & { published: MetricsMessage[]; kept: MetricsMessage[]; attempts: number } {
  const sink = {
    published: [] as MetricsMessage[],
    kept: [] as MetricsMessage[],
    attempts: 0,
    log,
    publish: async (message: MetricsMessage) => {
      sink.attempts += 1;
      if (sink.attempts <= failures) throw new Error('broker not available');
      sink.published.push(message);
    },
    keep: (message: MetricsMessage) => {
      sink.kept.push(message);
    },
  };
  return sink;
}

describe('reporter', () => {
  it('retries a failed publish with the same report_id and keeps the report once', async () => {
    const sink = memorySink(2);
    const report = rejectionReport('driver-a', 'test-a', 'busy');
    assert.equal(await deliverReport(sink, report, 5_000), true);
    assert.equal(sink.attempts, 3);
    assert.deepEqual(sink.published.map((m) => m.report_id), [report.report_id]);
    assert.deepEqual(sink.kept.map((m) => m.report_id), [report.report_id]);
  });

  it('gives up after its deadline without throwing', async () => {
    const sink = memorySink(Infinity);
    assert.equal(await deliverReport(sink, rejectionReport('driver-a', 'test-a', 'busy'), 300), false);
    assert.equal(sink.kept.length, 0);
  });

  it('reports every 500 ms and once more at the end, cumulative, with fresh ids and rising seq', async () => {
    const sink = memorySink();
    const recorder = new Recorder();
    const reporter = new Reporter('driver-a', 'test-a', recorder, sink);
    reporter.start();
    for (let i = 1; i <= 10; i++) {
      recorder.recordSent();
      recorder.recordSuccess(i * 1_000, i * 500);
    }
    recorder.recordSent();
    recorder.recordError('http_503');
    recorder.recordSent();
    await new Promise((resolve) => setTimeout(resolve, 1_150));
    const final = await reporter.finish({ outcome: 'cancelled', reason: 'stop' });

    assert.equal(sink.published.length, 3);
    assert.deepEqual(sink.published.map((m) => m.seq), [1, 2, 3]);
    assert.equal(new Set(sink.published.map((m) => m.report_id)).size, 3);
    assert.deepEqual(sink.published.map((m) => m.final === true), [false, false, true]);
    assert.equal(final, sink.published[2]);
    assert.equal(final.outcome, 'cancelled');
    assert.equal(final.reason, 'stop');
    assert.deepEqual({ sent: final.sent, completed: final.completed, errors: final.errors, in_flight: final.in_flight }, { sent: 12, completed: 11, errors: { http_503: 1 }, in_flight: 1 });
    assert.equal(final.metrics.min_latency, 1);
    // HdrHistogram reports at bucket edges: within 0.1% of the recorded value.
    assert.ok(Math.abs(final.metrics.max_latency - 10) <= 0.01, `max ${final.metrics.max_latency}`);
    assert.ok(Math.abs(final.metrics.median_latency - 5) <= 0.005, `median ${final.metrics.median_latency}`);
    assert.equal(decodeHistogram(final.histogram ?? '').totalCount, 10);
    assert.ok(metricsMessage.safeParse(JSON.parse(JSON.stringify(final))).success, 'the final report does not match the protocol');
  });

  it('sends the first five distinct error messages of each kind as error_samples', async () => {
    const sink = memorySink();
    const recorder = new Recorder();
    for (let port = 1; port <= 8; port++) {
      recorder.recordSent();
      recorder.recordError('connection_refused', `connect ECONNREFUSED 127.0.0.1:${port}`);
      recorder.recordSent();
      recorder.recordError('connection_refused', 'connect ECONNREFUSED 127.0.0.1:1');
    }
    recorder.recordSent();
    recorder.recordError('http_503', '503 Service Unavailable');
    recorder.recordSent();
    recorder.recordError('timeout');
    const final = await new Reporter('driver-a', 'test-c', recorder, sink).finish({ outcome: 'completed' });
    assert.deepEqual(final.error_samples, {
      connection_refused: [1, 2, 3, 4, 5].map((port) => `connect ECONNREFUSED 127.0.0.1:${port}`),
      http_503: ['503 Service Unavailable'],
    });
    assert.equal(final.errors?.connection_refused, 16);
    const decoded = metricsMessage.safeParse(JSON.parse(JSON.stringify(final)));
    assert.deepEqual(decoded.success && decoded.data.error_samples, final.error_samples);
  });

  it('reports zero latencies before any response', async () => {
    const sink = memorySink();
    const final = await new Reporter('driver-a', 'test-b', new Recorder(), sink).finish({ outcome: 'completed' });
    assert.deepEqual([final.metrics.mean_latency, final.metrics.median_latency, final.metrics.min_latency, final.metrics.max_latency], [0, 0, 0, 0]);
    assert.equal(final.seq, 1);
  });
});
