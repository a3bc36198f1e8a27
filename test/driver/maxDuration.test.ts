import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import type { ReportSink } from '../../src/driver/reporter.js';
import { loadEngineFactory } from '../../src/driver/loadEngines.js';
import { TestRun } from '../../src/driver/testRun.js';
import type { MetricsMessage, TestConfigMessage } from '../../src/protocol/index.js';

const log = pino({ level: 'silent' });
const inThread = await loadEngineFactory(1);

/** A target answering every request after `delayMs`, or never when `delayMs` is undefined. */
async function startSlowTarget(delayMs: number | undefined) {
  let requests = 0;
  const server = createServer((_req, res: ServerResponse) => {
    requests += 1;
    if (delayMs !== undefined) setTimeout(() => res.writeHead(200, { 'content-length': '0' }).end(), delayMs);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping`,
    requests: () => requests,
    close: () => new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}

const sink: ReportSink = { submit: () => undefined };

function startRun(config: Omit<TestConfigMessage, 'test_id' | 'test_type' | 'test_message_delay'>, targetUrl: string): TestRun {
  return new TestRun({ nodeId: 'driver-a', config: { test_id: 'test-a', test_type: 'TSUNAMI', test_message_delay: 10, ...config }, requests: [{ method: 'GET', url: targetUrl, weight: 1 }], defaultConcurrency: 64, sink, log, engines: inThread });
}

describe('a driver enforces max_duration_s by itself (in process, real HTTP)', () => {
  const closers: (() => Promise<void>)[] = [];
  after(() => Promise.all(closers.map((close) => close())));

  it('stops starting requests when the time passes and ends the test as aborted, saying why', async () => {
    const target = await startSlowTarget(100);
    closers.push(target.close);
    const startedAt = performance.now();
    // 300 requests 10 ms apart take 3 s; the limit is 0.5 s.
    const final: MetricsMessage = await startRun({ message_count_per_driver: 300, max_duration_s: 0.5 }, target.url).done;
    const tookMs = performance.now() - startedAt;
    assert.equal(final.outcome, 'aborted');
    assert.match(final.reason ?? '', /max duration passed: max_duration_s is 0\.5 s/);
    assert.ok(final.sent! > 10 && final.sent! < 300, `sent ${final.sent}`);
    assert.equal(final.completed, final.sent, 'requests in flight at the limit were answered within their timeout');
    assert.ok(tookMs >= 500 && tookMs < 2_000, `took ${tookMs} ms`);
    const seen = target.requests();
    await sleep(300);
    assert.equal(target.requests(), seen, 'no request after the end');
  });

  it('gives requests in flight at most their timeout', async () => {
    const target = await startSlowTarget(undefined);
    closers.push(target.close);
    const startedAt = performance.now();
    const final = await startRun({ message_count_per_driver: 300, max_duration_s: 0.3, timeout_ms: 500 }, target.url).done;
    const tookMs = performance.now() - startedAt;
    assert.equal(final.outcome, 'aborted');
    assert.ok(tookMs < 0.3 * 1000 + 500 + 1_000, `took ${tookMs} ms for a 0.3 s limit and a 500 ms timeout`);
  });

  it('leaves a test without max_duration_s to run its whole count', async () => {
    const target = await startSlowTarget(0);
    closers.push(target.close);
    const final = await startRun({ message_count_per_driver: 20 }, target.url).done;
    assert.deepEqual({ outcome: final.outcome, sent: final.sent }, { outcome: 'completed', sent: 20 });
  });
});
