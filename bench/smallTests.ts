import { performance } from 'node:perf_hooks';
import type { TestDetailView } from '../src/api/index.js';
import { eventually, getJson, postJson, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * What a small test costs end to end: TESTS AVALANCHE tests of 2 drivers × 2,000 requests back to back
 * through REST (create with trigger, poll until finished), with the drivers' default flags and with
 * `--workers 2`, each setting on its own orchestrator and drivers.
 */
const TESTS = 20;
const PER_DRIVER = 2_000;

async function runSetting(label: string, driverArgs: string[]): Promise<(string | number)[]> {
  const target = await startTarget();
  const { url } = await startOrchestratorProcess();
  const drivers = [(await startDriverProcess(url, driverArgs)).nodeId, (await startDriverProcess(url, driverArgs)).nodeId];
  const started = performance.now();
  let completed = 0;
  for (let i = 0; i < TESTS; i++) {
    const created = await postJson<TestDetailView>(`${url}/api/tests`, { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: PER_DRIVER, target_url: `${target.url}/ping`, drivers, trigger: true });
    if (created.status !== 201) throw new Error(`${label}: creating a test answered ${created.status}: ${JSON.stringify(created.body)}`);
    const done = await eventually(() => getJson<TestDetailView>(`${url}/api/tests/${created.body.test_id}`), (t) => t.state !== 'running' && t.state !== 'created', 60_000, 'a small test to end');
    if (done.state === 'completed' && done.aggregate.completed === 2 * PER_DRIVER) completed += 1;
  }
  const seconds = (performance.now() - started) / 1000;
  await stopAllChildren();
  return [label, TESTS, completed, fixed(seconds, 1), fixed((seconds * 1000) / TESTS, 0)];
}

async function main(): Promise<void> {
  const rows = [await runSetting('default flags (one load thread)', []), await runSetting('--workers 2', ['--workers', '2'])];
  printSection(`Small tests back to back: ${TESTS} AVALANCHE tests of 2 drivers × ${PER_DRIVER} requests through REST`, markdownTable(['drivers', 'tests', 'completed exactly', 'seconds in all', 'ms per test'], rows), [
    'Each test is created with trigger: true and polled every 100 ms until it ends; one orchestrator and two drivers per setting.',
  ]);
}

await main();
process.exit(0);
