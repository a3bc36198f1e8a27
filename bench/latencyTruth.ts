import { startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { DriverHarness } from './support/driverHarness.js';
import { autocannon, wrk, type PeerResult } from './support/peers.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const TARGET_DELAY_MS = 20;
// Few connections: the target's delay, not queueing on a busy machine, should decide the latency.
const CONNECTIONS = 10;
const REQUESTS = 2_500;
const PEER_SECONDS = 5;

function signed(value: number): string {
  return `${value >= 0 ? '+' : ''}${value.toFixed(3)}`;
}

function latencyRow(tool: string, requests: number, medianMs: number, p99Ms: number): string[] {
  const error = medianMs - TARGET_DELAY_MS;
  return [tool, String(requests), fixed(medianMs, 3), fixed(p99Ms, 3), signed(error), Math.abs(error) <= 1 ? 'yes' : 'no'];
}

function peerRow(tool: string, peer: PeerResult): string[] {
  return latencyRow(tool, peer.total, peer.p50Ms ?? NaN, peer.p99Ms ?? NaN);
}

async function main(): Promise<void> {
  const harness = await DriverHarness.start();
  try {
    const target = await startTarget(['--delay-ms', String(TARGET_DELAY_MS)]);
    const url = `${target.url}/ping`;
    const settings = { test_type: 'AVALANCHE', message_count_per_driver: REQUESTS, concurrency: CONNECTIONS, target_url: url } as const;
    // The first test of a fresh driver pays for JIT warm-up and new connections; users see both cases.
    const cold = (await harness.run(settings)).report;
    const warm = (await harness.run(settings)).report;
    const rows = [
      latencyRow('stampede driver, 1st test (fresh process)', cold.completed ?? 0, cold.metrics.median_latency, cold.metrics.p99_latency ?? NaN),
      latencyRow('stampede driver, 2nd test', warm.completed ?? 0, warm.metrics.median_latency, warm.metrics.p99_latency ?? NaN),
      peerRow('autocannon 9 (whole ms)', await autocannon(url, CONNECTIONS, PEER_SECONDS)),
      peerRow('wrk -t1 --latency', await wrk(url, CONNECTIONS, PEER_SECONDS, 1)),
    ];
    const table = markdownTable(['tool', 'requests', 'median ms', 'p99 ms', 'median − 20 ms', 'within 1 ms'], rows);
    printSection(`Latency truth: target answers after ${TARGET_DELAY_MS} ms (stampede target --delay-ms ${TARGET_DELAY_MS}), ${CONNECTIONS} connections`, table, [
      `stampede driver: AVALANCHE, ${REQUESTS} requests, figures from its final metrics report (merged HdrHistogram, µs precision); autocannon and wrk: ${PEER_SECONDS} s runs. autocannon records whole milliseconds.`,
    ]);
  } finally {
    await harness.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
