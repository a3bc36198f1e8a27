import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type { ReportSink } from '../../src/driver/reporter.js';
import { loadEngineFactory, type LoadEngineFactory } from '../../src/driver/loadEngines.js';
import { TestRun } from '../../src/driver/testRun.js';
import { WorkerLoad } from '../../src/driver/workers/workerLoad.js';
import { createLogger } from '../../src/log/logger.js';
import type { MetricsMessage, RequestSpec, TestConfigMessage } from '../../src/protocol/index.js';
import { decodeHistogram } from '../../src/stats/latencyHistogram.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';

const log = createLogger('workers-test', { test: true });

function memorySink(): ReportSink & { published: MetricsMessage[] } {
  const published: MetricsMessage[] = [];
  return { published, submit: (message) => void published.push(message) };
}

type RunSetup = { config: Omit<TestConfigMessage, 'test_id'>; requests: RequestSpec[]; engines: LoadEngineFactory };

const inThread = await loadEngineFactory(1);
const twoWorkers = await loadEngineFactory(2);

function startRun({ config, requests, engines }: RunSetup, sink = memorySink()): TestRun {
  return new TestRun({ nodeId: 'driver-w', config: { test_id: 'test-w', ...config }, requests, defaultConcurrency: 8, sink, log, engines });
}

/** `{{seq}}` and the request's name travel in the query: the target sees which request of the plan each one is. */
function namedRequests(url: string): RequestSpec[] {
  return [
    { name: 'a', method: 'GET', url: `${url}?name=a&seq={{seq}}`, weight: 1 },
    { name: 'b', method: 'GET', url: `${url}?name=b&seq={{seq}}`, weight: 2 },
  ];
}

function seqOf(path: string): number {
  return Number(new URL(path, 'http://x').searchParams.get('seq'));
}

describe('load worker threads (in process, real HTTP)', () => {
  const servers: RecordingServer[] = [];
  after(() => Promise.all(servers.map((server) => server.close())));
  const server = async (): Promise<RecordingServer> => {
    const started = await startRecordingServer();
    servers.push(started);
    return started;
  };

  it('with --workers 2 sends exactly the single-thread plan: the same requests, mix and seq, on its schedule', async () => {
    const single = await server();
    const double = await server();
    const setup = (url: string, engines: LoadEngineFactory): RunSetup => {
      const requests = namedRequests(url);
      return { config: { test_type: 'TSUNAMI', test_message_delay: 40, message_count_per_driver: 30, warmup_count_per_driver: 5, requests }, requests, engines };
    };
    await startRun(setup(single.url, inThread)).done;
    const final = await startRun(setup(double.url, twoWorkers)).done;

    assert.equal(double.paths.length, 35, 'warm-up and workload, each request once');
    assert.deepEqual([...double.paths].sort(), [...single.paths].sort(), 'request i has the same pick of the mix and the same seq');
    assert.deepEqual(
      { outcome: final.outcome, sent: final.sent, completed: final.completed, per_name: final.requests_stats?.map((r) => [r.name, r.completed]) },
      { outcome: 'completed', sent: 30, completed: 30, per_name: [['a', 10], ['b', 20]] },
    );
    // The workload's request with seq s is planned (s − 6) · 40 ms after the first one (seq 6).
    const workload = double.paths.map((path, i) => ({ seq: seqOf(path), at: double.arrivals[i]! })).filter((r) => r.seq > 5);
    const first = workload.find((r) => r.seq === 6)!;
    const worst = Math.max(...workload.map((r) => Math.abs(r.at - first.at - (r.seq - 6) * 40)));
    assert.ok(worst < 300, `an arrival was ${worst.toFixed(1)} ms off its planned time (planned span 1160 ms)`);
  });

  it('reports one merged histogram whose counts are the sum of the workers\'', async () => {
    const target = await server();
    const sink = memorySink();
    const load = new WorkerLoad({
      nodeId: 'driver-w',
      config: { test_id: 'test-m', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 301 },
      requests: [{ method: 'GET', url: target.url, weight: 1 }],
      names: [],
      concurrency: 8,
      timeoutMs: 5_000,
      tls: { insecure: false },
      workers: 2,
      onFailure: (reason) => assert.fail(reason),
    });
    await load.start('workload').finished;
    const lanes = load.laneFigures('workload');
    const merged = load.recorder('workload');
    await load.close();

    assert.equal(target.arrivals.length, 301);
    assert.deepEqual(lanes.map((lane) => lane?.overall.latency.total), [151, 150], 'lane i mod 2');
    assert.equal(merged.latency.totalCount, 301);
    assert.equal(merged.service.totalCount, 301);
    assert.deepEqual(merged.counts(), { sent: 301, completed: 301, errors: {}, in_flight: 0, late_starts: 0 });
    const bucketSum = new Map<number, number>();
    for (const lane of lanes) lane?.overall.latency.indexes.forEach((index, k) => bucketSum.set(index, (bucketSum.get(index) ?? 0) + lane.overall.latency.counts[k]!));
    for (const [index, count] of bucketSum) assert.equal(merged.latency.getCountAtIndex(index), count, `bucket ${index}`);
    assert.equal(sink.published.length, 0);
  });

  it('the final report of a run on two workers carries the merged histogram', async () => {
    const target = await server();
    const final = await startRun({ config: { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 200 }, requests: [{ method: 'GET', url: target.url, weight: 1 }], engines: twoWorkers }).done;
    assert.equal(target.arrivals.length, 200);
    assert.equal(final.completed, 200);
    assert.equal(decodeHistogram(final.histogram ?? '').totalCount, 200);
    assert.equal(decodeHistogram(final.service_histogram ?? '').totalCount, 200);
  });

  it('a worker that dies aborts the test with the reason instead of hanging', { timeout: 60_000 }, async () => {
    const target = await server();
    const workerScript = new URL('./fixtures/crashingLoadWorker.js', import.meta.url);
    const run = startRun({ config: { test_type: 'TSUNAMI', test_message_delay: 50, message_count_per_driver: 400 }, requests: [{ method: 'GET', url: target.url, weight: 1 }], engines: await loadEngineFactory(2, { workerScript }) });
    const final = await run.done;
    assert.equal(final.outcome, 'aborted');
    assert.match(final.reason ?? '', /^load worker 2 of 2 failed: simulated crash of a load worker$/);
    assert.ok((final.sent ?? 400) < 400, `${final.sent} sent: the test stopped early`);
  });
});
