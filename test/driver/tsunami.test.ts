import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { oneGet } from '../helpers/oneGet.js';
import { Recorder } from '../../src/driver/recorder.js';
import { tsunami } from '../../src/driver/load/tsunami.js';
import { LoadRun } from '../../src/driver/loadRun.js';
import type { TestConfigMessage } from '../../src/protocol/index.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';

function meanGap(times: number[]): number {
  const sorted = [...times].sort((a, b) => a - b);
  return (sorted[sorted.length - 1]! - sorted[0]!) / (sorted.length - 1);
}

function config(count: number, delayMs: number, throughput_per_driver?: number): TestConfigMessage {
  return { test_id: 't', test_type: 'TSUNAMI', test_message_delay: delayMs, message_count_per_driver: count, throughput_per_driver };
}

const gapOf = (delayMs: number, rate?: number) => tsunami.plan(config(5, delayMs, rate), 1).pacer?.startOffsetMs(1);

describe('TSUNAMI', () => {
  let server: RecordingServer;
  before(async () => {
    server = await startRecordingServer(30);
  });
  after(() => server.close());

  it('spaces starts by the delay, or by 1000/throughput when that is wider', () => {
    assert.equal(gapOf(20), 20);
    assert.equal(gapOf(20, 10), 100);
    assert.equal(gapOf(20, 1000), 20);
    assert.equal(gapOf(20, 0), 20);
    assert.equal(tsunami.plan(config(5, 20), 1).maxInFlight, Infinity);
  });

  it('keeps the gap between request arrivals near the delay without waiting for responses', async () => {
    server.arrivals.length = 0;
    const { client, requests } = oneGet(server.url, { connections: 64, timeoutMs: 5_000 });
    const recorder = new Recorder();
    const started = performance.now();
    const run = new LoadRun(tsunami.plan(config(40, 15), 64), { client, requests, recorder });
    await run.finished;
    const elapsed = performance.now() - started;
    await client.close();

    const gap = meanGap(server.arrivals);
    assert.ok(gap > 12 && gap < 20, `mean gap ${gap.toFixed(2)} ms, wanted about 15`);
    assert.ok(server.maxInFlight() >= 2, 'a start waited for the previous response: not an open model');
    assert.ok(elapsed < 39 * 15 + 30 + 400, `took ${elapsed.toFixed(0)} ms`);
    const counts = recorder.counts();
    assert.equal(counts.sent, 40);
    assert.equal(counts.completed, 40);
    assert.equal(recorder.latency.totalCount, 40);
    assert.ok(recorder.latency.minNonZeroValue >= 30_000, 'latency below the server delay');
  });
});
