import { stopAllChildren } from '../test/helpers/processes.js';
import { startArrivalServer, type ArrivalServer } from './support/arrivalServer.js';
import { DriverHarness, errorCount } from './support/driverHarness.js';
import { plannedStartsBetween, stageSegments, type StageMessage } from '../src/protocol/index.js';
import { vegeta, vegetaStaged } from './support/peers.js';
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
  await server.reset();
  const stampede = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: goal * RUN_SECONDS, throughput_per_driver: goal, concurrency: CONNECTIONS, target_url: server.url });
  const stampedeRow = row(goal, 'stampede driver', rateFigures(await server.arrivalsMs(), goal), errorCount(stampede.report), String(stampede.report.late_starts ?? 0));
  await server.reset();
  const peer = await vegeta(server.url, goal, RUN_SECONDS);
  const peerRow = row(goal, 'vegeta 12 (-rate)', rateFigures(await server.arrivalsMs(), goal), peer.errors, 'n/a');
  return [stampedeRow, peerRow];
}

/** Ramp 0→2,000 req/s over 3 s, hold 3 s, down to 0 over 2 s: 3,000 + 6,000 + 2,000 = 11,000 requests. */
const STAGES: StageMessage[] = [
  { duration_s: 3, target_rps: 2_000 },
  { duration_s: 3, target_rps: 2_000 },
  { duration_s: 2, target_rps: 0 },
];

/** Arrivals in each second from the first arrival, beside the plan's count for that second. */
function perSecond(arrivalsMs: number[], seconds: number): number[] {
  const counts = new Array<number>(seconds).fill(0);
  for (const t of arrivalsMs) counts[Math.min(seconds - 1, Math.floor(t / MS_PER_SECOND))]! += 1;
  return counts;
}

async function measureStaged(server: ArrivalServer, harness: DriverHarness): Promise<void> {
  const segments = stageSegments(STAGES);
  const seconds = STAGES.reduce((sum, s) => sum + s.duration_s, 0);
  const planned = Array.from({ length: seconds }, (_, i) => plannedStartsBetween(segments, i * MS_PER_SECOND, (i + 1) * MS_PER_SECOND));
  await server.reset();
  const stampede = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: 11_000, stages: STAGES, concurrency: CONNECTIONS, target_url: server.url });
  const ours = perSecond(await server.arrivalsMs(), seconds);
  await server.reset();
  const peer = await vegetaStaged(server.url, STAGES);
  const theirs = perSecond(await server.arrivalsMs(), seconds);
  const rows = planned.map((plan, i) => [`${i}–${i + 1} s`, fixed(plan, 1), String(ours[i]), percentOff(ours[i]!, plan), String(theirs[i]), percentOff(theirs[i]!, plan)]);
  const total = (counts: number[]) => counts.reduce((sum, n) => sum + n, 0);
  rows.push(['total', '11000', String(total(ours)), percentOff(total(ours), 11_000), String(total(theirs)), percentOff(total(theirs), 11_000)]);
  printSection('Rate accuracy: staged arrival rate (0→2,000 req/s over 3 s, hold 3 s, down to 0 over 2 s)', markdownTable(['second', 'planned', 'stampede driver', 'error', 'vegeta 12 (staged pacer)', 'error'], rows), [
    'Arrivals per full second from the first arrival at the timestamping target; planned = the integral of the plan over that second.',
    `stampede driver: AVALANCHE with these stages, concurrency ${CONNECTIONS} (errors ${errorCount(stampede.report)}, late starts ${stampede.report.late_starts ?? 0}); vegeta: its attacker with the same plan as its Pacer (bench/support/vegetaStaged, its CLI has only a constant -rate; errors ${peer.errors}).`,
  ]);
}

async function main(): Promise<void> {
  const server = await startArrivalServer();
  const harness = await DriverHarness.start();
  // `staged` runs only the staged comparison.
  const onlyStaged = process.argv.includes('staged');
  try {
    if (!onlyStaged) {
      const rows: string[][] = [];
      for (const goal of RATES) rows.push(...(await measureRate(goal, server, harness)));
      const table = markdownTable(['goal req/s', 'tool', 'requests', 'achieved req/s', 'error', 'worst 1-s window', 'window error', 'errors', 'late starts'], rows);
      printSection(`Rate accuracy: fixed arrival rate for ${RUN_SECONDS} s`, table, [
        'Arrivals timestamped by the target (an in-process node:http server, process.hrtime.bigint()) for both tools: achieved = (n−1) ÷ (last − first arrival); windows are full seconds counted from the first arrival.',
        `stampede driver: AVALANCHE with throughput_per_driver = goal, concurrency ${CONNECTIONS}, count = goal × ${RUN_SECONDS}; vegeta: attack -rate=goal/1s -duration=${RUN_SECONDS}s.`,
      ]);
    }
    await measureStaged(server, harness);
  } finally {
    await harness.close();
    await server.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
