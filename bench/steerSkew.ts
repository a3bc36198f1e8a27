import { startRecordingServer } from '../test/helpers/recordingServer.js';
import { apart, runSteeredTest } from '../test/helpers/steeredTest.js';
import { startDriverProcess, startOrchestratorProcess, stopAllChildren } from '../test/helpers/processes.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * How far apart a change of a running test reaches the drivers: DRIVERS processes on this machine (one
 * with load workers), a TSUNAMI steered to a new rate, paused and resumed (test/helpers/steeredTest.ts),
 * RUNS times; per change, the spread of its first effect over the drivers at a recording target.
 */
const DRIVERS = 4;
const RUNS = 5;

async function main(): Promise<void> {
  const server = await startRecordingServer(0);
  try {
    const { url: orchestratorUrl } = await startOrchestratorProcess();
    const drivers = await Promise.all(Array.from({ length: DRIVERS }, (_, i) => startDriverProcess(orchestratorUrl, i === 0 ? ['--workers', '2'] : [])));
    const driverIds = drivers.map((d) => d.nodeId);
    const rows: (string | number)[][] = [];
    for (let run = 1; run <= RUNS; run++) {
      const { test, arrivals } = await runSteeredTest(orchestratorUrl, driverIds, server);
      const late = (instants: number[], at: number) => fixed(Math.max(...instants) - at, 1);
      rows.push([run, test.state, fixed(apart(arrivals.sped), 1), fixed(apart(arrivals.pausedAfter), 1), fixed(apart(arrivals.resumedAt), 1), `${late(arrivals.sped, arrivals.applyAt.rate)} / ${late(arrivals.resumedAt, arrivals.applyAt.resume)}`]);
    }
    printSection(`Steering skew: ${DRIVERS} driver processes on one host (one with 2 load workers), a steered TSUNAMI, ${RUNS} tests in a row`, markdownTable(['run', 'state', 'rate change apart (ms)', 'pause apart (ms)', 'resume apart (ms)', 'latest after apply_at: rate / resume (ms)'], rows), [
      'apart: over the drivers, the first request at the new rate, the last before the pause, the first after the resume, at the recording target (its clock).',
      'latest after apply_at: how long after the change\'s apply_at the last driver showed it (the first steered start is the first one due at or after apply_at).',
    ]);
  } finally {
    await stopAllChildren();
    await server.close();
  }
}

await main();
process.exit(0);
