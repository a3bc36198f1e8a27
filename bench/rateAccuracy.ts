import { stopAllChildren } from '../test/helpers/processes.js';
import { startArrivalServer, type ArrivalServer } from './support/arrivalServer.js';
import { DriverHarness, errorCount } from './support/driverHarness.js';
import { vegeta } from './support/peers.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const RATES = [1_000, 5_000];
const RUN_SECONDS = 10;
const CONNECTIONS = 64;
const MS_PER_SECOND = 1000;

type RateFigures = { requests: number; achieved: number; worstWindow: number };

/** From exact arrival times: the rate between first and last arrival, and the full one-second window farthest from the goal. */
function rateFigures(arrivalsMs: number[], goal: number): RateFigures {
  const last = arrivalsMs[arrivalsMs.length - 1] ?? 0;
  const fullWindows = Math.floor(last / MS_PER_SECOND);
  const perWindow = new Array<number>(fullWindows).fill(0);
  for (const t of arrivalsMs) {
    const window = Math.floor(t / MS_PER_SECOND);
    if (window < fullWindows) perWindow[window]! += 1;
  }
  const worstWindow = perWindow.reduce((worst, n) => (Math.abs(n - goal) > Math.abs(worst - goal) ? n : worst), goal);
  return { requests: arrivalsMs.length, achieved: ((arrivalsMs.length - 1) * MS_PER_SECOND) / last, worstWindow };
}

function percentOff(value: number, goal: number): string {
  return `${(((value - goal) / goal) * 100).toFixed(2)} %`;
}

function row(goal: number, tool: string, figures: RateFigures, errors: number, lateStarts: string): string[] {
  return [String(goal), tool, String(figures.requests), fixed(figures.achieved, 1), percentOff(figures.achieved, goal), String(figures.worstWindow), percentOff(figures.worstWindow, goal), String(errors), lateStarts];
}

async function measureRate(goal: number, server: ArrivalServer, harness: DriverHarness): Promise<string[][]> {
  server.reset();
  const stampede = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: goal * RUN_SECONDS, throughput_per_driver: goal, concurrency: CONNECTIONS, target_url: server.url });
  const stampedeRow = row(goal, 'stampede driver', rateFigures(server.arrivalsMs(), goal), errorCount(stampede.report), String(stampede.report.late_starts ?? 0));
  server.reset();
  const peer = await vegeta(server.url, goal, RUN_SECONDS);
  const peerRow = row(goal, 'vegeta 12 (-rate)', rateFigures(server.arrivalsMs(), goal), peer.errors, 'n/a');
  return [stampedeRow, peerRow];
}

async function main(): Promise<void> {
  const server = await startArrivalServer();
  const harness = await DriverHarness.start();
  try {
    const rows: string[][] = [];
    for (const goal of RATES) rows.push(...(await measureRate(goal, server, harness)));
    const table = markdownTable(['goal req/s', 'tool', 'requests', 'achieved req/s', 'error', 'worst 1-s window', 'window error', 'errors', 'late starts'], rows);
    printSection(`Rate accuracy: fixed arrival rate for ${RUN_SECONDS} s`, table, [
      'Arrivals timestamped by the target (an in-process node:http server, process.hrtime.bigint()) for both tools: achieved = (n−1) ÷ (last − first arrival); windows are full seconds counted from the first arrival.',
      `stampede driver: AVALANCHE with throughput_per_driver = goal, concurrency ${CONNECTIONS}, count = goal × ${RUN_SECONDS}; vegeta: attack -rate=goal/1s -duration=${RUN_SECONDS}s.`,
    ]);
  } finally {
    await harness.close();
    await server.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
