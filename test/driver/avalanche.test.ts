import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { oneGet } from '../helpers/oneGet.js';
import { avalanche } from '../../src/driver/load/avalanche.js';
import { LoadRun, type LoadDeps } from '../../src/driver/loadRun.js';
import type { TestConfigMessage } from '../../src/protocol/index.js';
import { Recorder } from '../../src/driver/recorder.js';
import { startTargetServer, type TargetServer } from '../../src/target/targetServer.js';
import { startRecordingServer } from '../helpers/recordingServer.js';

function config(count: number, throughput_per_driver?: number): TestConfigMessage {
  return { test_id: 't', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: count, throughput_per_driver };
}

function startAvalanche(settings: { count: number; concurrency: number; throughputPerDriver?: number }, deps: LoadDeps): LoadRun {
  return new LoadRun(avalanche.plan(config(settings.count, settings.throughputPerDriver), settings.concurrency), deps);
}

describe('AVALANCHE', () => {
  const cleanups: (() => Promise<void>)[] = [];
  after(async () => {
    for (const cleanup of cleanups) await cleanup();
  });

  it('is unpaced without a rate and paced at 1000/rate with one', () => {
    assert.deepEqual(avalanche.plan(config(10), 4), { count: 10, pacer: undefined, maxInFlight: 4 });
    const paced = avalanche.plan(config(10, 200), 4);
    assert.equal(paced.count, 10);
    assert.equal(paced.maxInFlight, 4);
    assert.deepEqual([0, 1, 2, 9].map((i) => paced.pacer?.startOffsetMs(i)), [0, 5, 10, 45]);
  });

  it('never has more than `concurrency` requests in flight at the target', async () => {
    const server = await startRecordingServer(10);
    cleanups.push(server.close);
    const { client, requests } = oneGet(server.url, { connections: 8, timeoutMs: 5_000 });
    const recorder = new Recorder();
    await startAvalanche({ count: 300, concurrency: 8 }, { client, requests, recorder }).finished;
    await client.close();
    assert.equal(server.maxInFlight(), 8);
    assert.equal(server.arrivals.length, 300);
    assert.deepEqual(recorder.counts(), { sent: 300, completed: 300, errors: {}, in_flight: 0, late_starts: 0 });
  });

  it('holds a throughput cap: 300 requests at 200 req/s take about 1.5 s', async () => {
    const target: TargetServer = await startTargetServer({ host: '127.0.0.1', port: 0 });
    cleanups.push(target.close);
    const { client, requests } = oneGet(`${target.url}/ping`, { connections: 16, timeoutMs: 5_000 });
    const recorder = new Recorder();
    const started = performance.now();
    await startAvalanche({ count: 300, concurrency: 16, throughputPerDriver: 200 }, { client, requests, recorder }).finished;
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    assert.ok(seconds >= 1.2 && seconds <= 3, `took ${seconds.toFixed(2)} s`);
    assert.equal(recorder.counts().completed, 300);
    assert.equal(target.counters().responses_sent, 300);
  });

  it('counts the wait for a free slot as latency when paced (coordinated omission)', async () => {
    const server = await startRecordingServer(50);
    cleanups.push(server.close);
    const { client, requests } = oneGet(server.url, { connections: 1, timeoutMs: 5_000 });
    const recorder = new Recorder();
    await startAvalanche({ count: 10, concurrency: 1, throughputPerDriver: 100 }, { client, requests, recorder }).finished;
    await client.close();
    // One slot, 50 ms per answer, a start every 10 ms: the last request is intended at 90 ms and ends near 500 ms.
    assert.ok(recorder.latency.maxValue > 300_000, `max latency ${recorder.latency.maxValue} µs ignores the queueing`);
    assert.ok(recorder.service.maxValue < 150_000, `service time ${recorder.service.maxValue} µs should be about 50 ms`);
    assert.ok(recorder.counts().late_starts >= 5);
  });
});
