import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { percentile } from './support/arrivalServer.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const RUNS = 10;
const DRIVERS = 2;
const REQUESTS_PER_DRIVER = 100;
const POLL_MS = 5;
const TIMEOUT_MS = 30_000;

type TestState = { test_id: string; state: string; reason: string | null };

/** POST with trigger, then polls GET until the test is over; returns the wall time from the POST to the first `completed` answer. */
async function oneRun(orchestratorUrl: string, driverIds: string[], targetUrl: string): Promise<number> {
  const startedAt = performance.now();
  const created = await postJson<TestState>(`${orchestratorUrl}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: REQUESTS_PER_DRIVER, target_url: targetUrl, drivers: driverIds, trigger: true });
  if (created.status !== 201) throw new Error(`creating the test failed (${created.status}): ${JSON.stringify(created.body)}`);
  for (;;) {
    const test = await getJson<TestState>(`${orchestratorUrl}/api/tests/${created.body.test_id}`);
    if (test.state === 'completed') return performance.now() - startedAt;
    if (test.state !== 'created' && test.state !== 'running') throw new Error(`test ${test.test_id} ended ${test.state}: ${test.reason ?? ''}`);
    if (performance.now() - startedAt > TIMEOUT_MS) throw new Error(`test ${test.test_id} not completed within ${TIMEOUT_MS} ms`);
    await sleep(POLL_MS);
  }
}

async function main(): Promise<void> {
  try {
    const target = await startTarget();
    const orchestrator = await startOrchestratorProcess();
    const drivers = await Promise.all(Array.from({ length: DRIVERS }, () => startDriverProcess(orchestrator.url)));
    const ids = drivers.map((d) => d.nodeId);
    const durations: number[] = [];
    for (let run = 0; run < RUNS; run++) durations.push(await oneRun(orchestrator.url, ids, `${target.url}/ping`));
    const sorted = [...durations].sort((a, b) => a - b);
    const table = markdownTable(
      ['runs', 'test', 'p50 ms', 'max ms', 'min ms', 'every run ms'],
      [[String(RUNS), `${DRIVERS} drivers × ${REQUESTS_PER_DRIVER} requests, AVALANCHE`, fixed(percentile(sorted, 50), 0), fixed(sorted[sorted.length - 1]!, 0), fixed(sorted[0]!, 0), durations.map((d) => fixed(d, 0)).join(', ')]],
    );
    printSection('End to end: POST /api/tests (trigger: true) until GET says completed', table, [
      `Real processes: stampede orchestrator, ${DRIVERS} stampede drivers, stampede target, Kafka; GET polled every ${POLL_MS} ms. Includes config and trigger through Kafka, the load, the final reports back through Kafka, and supervision.`,
    ]);
  } finally {
    await stopAllChildren();
  }
}

await main();
process.exit(0);
