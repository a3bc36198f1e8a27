import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { MetricsMessage } from '../../../src/protocol/index.js';
import { metricsMessage } from '../../../src/protocol/index.js';
import { Reporter, type ReportSink } from '../../../src/driver/reporter.js';
import { Recorder } from '../../../src/driver/recorder.js';
import { decodeHistogram } from '../../../src/stats/latencyHistogram.js';

/** Collects what the reporter submits (the outbox's side is tested in reportPublisher.test.ts). */
function memorySink(): ReportSink & { published: MetricsMessage[] } {
  const published: MetricsMessage[] = [];
  return { published, submit: (message) => void published.push(message) };
}

describe('reporter', () => {
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
    const final = reporter.finish({ outcome: 'cancelled', reason: 'stop' });

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
    const final = new Reporter('driver-a', 'test-c', recorder, sink).finish({ outcome: 'completed' });
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
    const final = new Reporter('driver-a', 'test-b', new Recorder(), sink).finish({ outcome: 'completed' });
    assert.deepEqual([final.metrics.mean_latency, final.metrics.median_latency, final.metrics.min_latency, final.metrics.max_latency], [0, 0, 0, 0]);
    assert.equal(final.seq, 1);
  });
});
