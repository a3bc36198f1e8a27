import { startRecordingServer } from '../test/helpers/recordingServer.js';
import { firstArrivalsOfTest } from '../test/helpers/firstArrivals.js';
import { startDriverProcess, startOrchestratorProcess, stopAllChildren } from '../test/helpers/processes.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * How far apart the drivers start: 8 driver processes on this machine (default flags), a TSUNAMI of 3
 * requests each, RUNS times; the spread of each driver's first arrival at a recording target, beside the
 * start skew the drivers report (started_at, each on its own clock) and their priming times.
 */
const DRIVERS = 8;
const RUNS = 10;

async function main(): Promise<void> {
  const server = await startRecordingServer(0);
  try {
    const { url: orchestratorUrl } = await startOrchestratorProcess();
    const driverIds = (await Promise.all(Array.from({ length: DRIVERS }, () => startDriverProcess(orchestratorUrl)))).map((d) => d.nodeId);
    const rows: (string | number)[][] = [];
    for (let run = 1; run <= RUNS; run++) {
      const { test, firstArrivals: arrivals } = await firstArrivalsOfTest(orchestratorUrl, driverIds, server);
      const primings = test.drivers.map((d) => d.priming_ms ?? 0);
      rows.push([run, test.state, fixed(Math.max(...arrivals) - Math.min(...arrivals), 1), test.start_skew_ms ?? '-', `${Math.min(...primings)}–${Math.max(...primings)}`]);
    }
    printSection(`Start skew: ${DRIVERS} driver processes on one host (default flags), a TSUNAMI of 3 requests each, ${RUNS} tests in a row`, markdownTable(['run', 'state', 'first arrivals apart (ms)', 'reported start skew (ms)', 'priming per driver (ms)'], rows), [
      'first arrivals apart: the latest driver\'s first request at the recording target minus the earliest (the target\'s clock).',
      'reported start skew: the drivers\' started_at, each on its own clock (the test view\'s start_skew_ms).',
    ]);
  } finally {
    await stopAllChildren();
    await server.close();
  }
}

await main();
process.exit(0);
