import { startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { DriverHarness, errorCount } from './support/driverHarness.js';
import { startNginx } from './support/nginx.js';
import { autocannon, wrk } from './support/peers.js';
import { fixed, markdownTable, printSection, ratio } from './support/table.js';

const CONNECTIONS = 64;
const RUN_SECONDS = 10;
const WARMUP_SECONDS = 3;

type Measured = { tool: string; requestsPerSecond: number; errors: number };

async function measureAgainst(url: string, harness: DriverHarness): Promise<Measured[]> {
  // Warms the target's JIT (ours) and page cache (nginx) so the first measured tool is not penalised.
  await autocannon(url, CONNECTIONS, WARMUP_SECONDS);
  const ac = await autocannon(url, CONNECTIONS, RUN_SECONDS);
  // The driver sends a fixed count: sized from autocannon's rate so its run lasts about as long as the peers' timed runs.
  const count = Math.round(ac.requestsPerSecond * RUN_SECONDS);
  const stampede = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: count, target_url: url, concurrency: CONNECTIONS });
  const wrkOne = await wrk(url, CONNECTIONS, RUN_SECONDS, 1);
  const wrkTwo = await wrk(url, CONNECTIONS, RUN_SECONDS, 2);
  return [
    { tool: 'stampede driver', requestsPerSecond: stampede.requestsPerSecond, errors: errorCount(stampede.report) },
    { tool: 'autocannon 9', requestsPerSecond: ac.requestsPerSecond, errors: ac.errors },
    { tool: 'wrk -t1', requestsPerSecond: wrkOne.requestsPerSecond, errors: wrkOne.errors },
    { tool: 'wrk -t2', requestsPerSecond: wrkTwo.requestsPerSecond, errors: wrkTwo.errors },
  ];
}

function rowsFor(targetName: string, measured: Measured[]): string[][] {
  const rateOf = (tool: string): number => measured.find((m) => m.tool === tool)?.requestsPerSecond ?? 0;
  const stampede = rateOf('stampede driver');
  return measured.map((m) => [targetName, m.tool, fixed(m.requestsPerSecond), String(m.errors), ratio(stampede, m.requestsPerSecond)]);
}

async function main(): Promise<void> {
  const harness = await DriverHarness.start();
  try {
    const target = await startTarget();
    const ours = await measureAgainst(`${target.url}/ping`, harness);
    const nginx = await startNginx();
    const theirs = await measureAgainst(nginx.url, harness).finally(() => nginx.stop());
    const table = markdownTable(['target', 'tool', 'req/s', 'errors', 'stampede ÷ tool'], [...rowsFor('stampede target (1 worker)', ours), ...rowsFor('nginx (1 worker, static file)', theirs)]);
    printSection(`Maximum throughput: AVALANCHE, no rate cap, ${CONNECTIONS} connections, ~${RUN_SECONDS} s per tool`, table, [
      'stampede driver: the `stampede driver` process triggered over Kafka; req/s = completed ÷ elapsed_ms of its final metrics report.',
      `autocannon and wrk: ${RUN_SECONDS} s timed runs; the driver's fixed count is autocannon's rate × ${RUN_SECONDS} s.`,
    ]);
  } finally {
    await harness.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
