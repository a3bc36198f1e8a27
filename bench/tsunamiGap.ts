import { stopAllChildren } from '../test/helpers/processes.js';
import { mean, percentile, startArrivalServer, type ArrivalServer } from './support/arrivalServer.js';
import { DriverHarness } from './support/driverHarness.js';
import { gapDeviations, tsunamiArrivals } from './support/gapRuns.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const GAP_MS = 10;
const REQUESTS = 500;

function gapRow(tool: string, arrivalsMs: number[]): string[] {
  const gaps = arrivalsMs.slice(1).map((t, i) => t - arrivalsMs[i]!);
  const deviations = gapDeviations(arrivalsMs, GAP_MS);
  const span = (arrivalsMs[arrivalsMs.length - 1] ?? 0) - (arrivalsMs[0] ?? 0);
  return [tool, String(arrivalsMs.length), fixed(mean(gaps), 3), fixed(mean(deviations), 3), fixed(percentile(deviations, 99), 3), fixed(deviations[deviations.length - 1] ?? NaN, 3), fixed(span, 1)];
}

async function measure(server: ArrivalServer, harness: DriverHarness): Promise<string[][]> {
  const arrivals = await tsunamiArrivals(harness, server, GAP_MS, REQUESTS);
  return [gapRow('stampede driver (TSUNAMI)', arrivals.stampede), gapRow('vegeta 12 (-rate=100/1s)', arrivals.vegeta)];
}

async function main(): Promise<void> {
  const server = await startArrivalServer();
  const harness = await DriverHarness.start();
  try {
    const rows = await measure(server, harness);
    const table = markdownTable(['tool', 'arrivals', 'mean gap ms', 'mean abs(gap − 10 ms)', 'p99 abs(gap − 10 ms)', 'max abs(gap − 10 ms)', `span ms (ideal ${(REQUESTS - 1) * GAP_MS})`], rows);
    printSection(`TSUNAMI gap accuracy: ${REQUESTS} requests, ${GAP_MS} ms apart`, table, [
      'Gaps between consecutive arrivals at a node:http target in a worker thread of the bench, stamped with process.hrtime.bigint(); the target sees the gap after both client and loopback jitter.',
    ]);
  } finally {
    await harness.close();
    await server.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
