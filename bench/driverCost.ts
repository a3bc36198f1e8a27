import { setTimeout as sleep } from 'node:timers/promises';
import { startTarget, stopAllChildren } from '../test/helpers/processes.js';
import { DriverHarness } from './support/driverHarness.js';
import { CpuMeter, peakRssMiB } from './support/procStats.js';
import { fixed, markdownTable, printSection } from './support/table.js';

const RATE = 1_000;
const RUN_SECONDS = 30;
const IDLE_SECONDS = 5;

async function main(): Promise<void> {
  const harness = await DriverHarness.start();
  try {
    const target = await startTarget();
    const idle = new CpuMeter(harness.pid);
    await sleep(IDLE_SECONDS * 1000);
    const idleUse = idle.read();
    const peakBefore = peakRssMiB(harness.pid);
    const loaded = new CpuMeter(harness.pid);
    const { report, requestsPerSecond } = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: RATE * RUN_SECONDS, throughput_per_driver: RATE, target_url: `${target.url}/ping` });
    const loadedUse = loaded.read();
    const rows = [
      ['idle (registered, heartbeating)', '—', fixed(idleUse.wallSeconds, 1), fixed(idleUse.cpuSeconds, 2), fixed(idleUse.percentOfCore, 1), fixed(peakBefore, 1)],
      [`${RATE} req/s for ${RUN_SECONDS} s`, `${report.completed} at ${fixed(requestsPerSecond, 1)} req/s`, fixed(loadedUse.wallSeconds, 1), fixed(loadedUse.cpuSeconds, 2), fixed(loadedUse.percentOfCore, 1), fixed(peakRssMiB(harness.pid), 1)],
    ];
    const table = markdownTable(['phase', 'requests', 'wall s', 'CPU s (user+sys)', 'CPU % of one core', 'peak RSS MiB (VmHWM so far)'], rows);
    printSection(`Driver cost at ${RATE} req/s`, table, [
      'The `stampede driver` process, read from /proc/<pid>/stat (utime+stime) and /proc/<pid>/status (VmHWM); the loaded phase runs from the trigger\'s publication to the final report\'s arrival, so it includes Kafka, reporting and the SQLite copy of every report.',
    ]);
  } finally {
    await harness.close();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
