import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, describe, it } from 'node:test';
import type { ReportSink } from '../../src/driver/reporter.js';
import { loadEngineFactory } from '../../src/driver/loadEngines.js';
import { TestRun } from '../../src/driver/testRun.js';
import { createLogger } from '../../src/log/logger.js';
import type { MetricsMessage, TestConfigMessage } from '../../src/protocol/index.js';

const log = createLogger('test-run-test', { test: true });
const inThread = await loadEngineFactory(1);

/** A target whose answer to the n-th request (from 1) is chosen by the test; `undefined` = never answer. */
type ScriptedTarget = { url: string; requests: () => number; close: () => Promise<void> };

async function startScriptedTarget(statusOf: (n: number) => number | undefined): Promise<ScriptedTarget> {
  let requests = 0;
  const server = createServer((_req, res: ServerResponse) => {
    requests += 1;
    const status = statusOf(requests);
    if (status !== undefined) res.writeHead(status, { 'content-length': '0' }).end();
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping`,
    requests: () => requests,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function memorySink(): ReportSink & { published: MetricsMessage[] } {
  const published: MetricsMessage[] = [];
  return { published, submit: (message) => void published.push(message) };
}

function startRun(config: Omit<TestConfigMessage, 'test_id'>, targetUrl: string): TestRun {
  return new TestRun({ nodeId: 'driver-a', config: { test_id: 'test-a', ...config }, requests: [{ method: 'GET', url: targetUrl, weight: 1 }], defaultConcurrency: 4, sink: memorySink(), log, engines: inThread });
}

describe('a test run with a warm-up (in process, real HTTP)', () => {
  const targets: ScriptedTarget[] = [];
  after(() => Promise.all(targets.map((t) => t.close())));

  it('keeps errors of the warm-up out of the errors, and counts them as warm-up progress', async () => {
    // One request at a time: the first 10 the target sees are exactly the warm-up.
    const target = await startScriptedTarget((n) => (n <= 10 ? 500 : 200));
    targets.push(target);
    const run = startRun({ test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 20, warmup_count_per_driver: 10, concurrency: 1 }, target.url);
    const final = await run.done;
    assert.equal(target.requests(), 30);
    assert.deepEqual(
      { outcome: final.outcome, phase: final.phase, warmup_completed: final.warmup_completed, sent: final.sent, completed: final.completed, errors: final.errors },
      { outcome: 'completed', phase: 'workload', warmup_completed: 10, sent: 20, completed: 20, errors: {} },
    );
  });

  it('aborted during the warm-up: no workload request, and requests cut off are not warm-up progress', async () => {
    const target = await startScriptedTarget(() => undefined);
    targets.push(target);
    const run = startRun({ test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 10, warmup_count_per_driver: 100, concurrency: 4, timeout_ms: 10_000 }, target.url);
    while (target.requests() < 4) await new Promise((resolve) => setTimeout(resolve, 10));
    run.abort('shutting down');
    const final = await run.done;
    assert.equal(target.requests(), 4, 'nothing sent after the abort');
    assert.deepEqual(
      { outcome: final.outcome, phase: final.phase, warmup_completed: final.warmup_completed, sent: final.sent, completed: final.completed, errors: final.errors },
      { outcome: 'aborted', phase: 'warmup', warmup_completed: 0, sent: 0, completed: 0, errors: {} },
    );
  });
});
