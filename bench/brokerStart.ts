import { existsSync, renameSync } from 'node:fs';
import { classArchive } from '../src/broker/classArchive.js';
import { freePortPair, startCli, tempDir } from '../test/helpers/processes.js';
import { cpuSeconds } from './support/procStats.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * What the broker JVM's class archive saves: `stampede kafka start` on a formatted data dir until the
 * broker answers, then `kafka stop`, ROUNDS times in turn: with the archive, and with none (writing
 * one at its stop, as a machine's first start does). Wall seconds are the CLI's; CPU seconds are the
 * broker JVM's own, read from /proc when it answers.
 */
const ROUNDS = 7;
const LIB_DIR = 'infra/kafka/lib';

type Run = { wallS: number; cpuS: number };

async function kafka(args: string[]): Promise<string> {
  const cli = startCli(['kafka', ...args]);
  const code = await cli.exited;
  if (code !== 0) throw new Error(`kafka ${args.join(' ')} exited ${code}: ${cli.stderr()}`);
  return cli.stdout();
}

async function startOnce(dataDir: string, port: number): Promise<Run> {
  const startedAt = performance.now();
  const out = await kafka(['start', '--port', String(port), '--data-dir', dataDir]);
  const wallS = (performance.now() - startedAt) / 1000;
  const cpuS = cpuSeconds(Number(out.match(/\(pid (\d+)/)![1]));
  await kafka(['stop', '--data-dir', dataDir]);
  return { wallS, cpuS };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  const dataDir = tempDir('stampede-bench-broker-');
  const port = await freePortPair();
  // The first start formats the data dir and (with no archive yet) writes the archive at its stop.
  await startOnce(dataDir, port);
  const archive = classArchive(LIB_DIR, dataDir)!;
  if (!existsSync(archive.final)) throw new Error(`no class archive at ${archive.final} after a clean stop`);
  const aside = `${archive.final}.aside`;
  const runs = { mapped: [] as Run[], writing: [] as Run[] };
  for (let round = 0; round < ROUNDS; round++) {
    runs.mapped.push(await startOnce(dataDir, port));
    renameSync(archive.final, aside);
    try {
      runs.writing.push(await startOnce(dataDir, port));
    } finally {
      // The draft that run wrote is the same archive again: keep the one measured with.
      renameSync(aside, archive.final);
    }
  }
  const row = (name: string, list: { wallS: number; cpuS: number }[]) => [name, fixed(median(list.map((r) => r.wallS)), 2), `${fixed(Math.min(...list.map((r) => r.wallS)), 2)}–${fixed(Math.max(...list.map((r) => r.wallS)), 2)}`, fixed(median(list.map((r) => r.cpuS)), 2), `${fixed(Math.min(...list.map((r) => r.cpuS)), 2)}–${fixed(Math.max(...list.map((r) => r.cpuS)), 2)}`];
  printSection(`Broker start with and without the JVM's class archive (${ROUNDS} rounds, alternated)`, markdownTable(['JVM', 'until it answers, median (s)', 'min–max (s)', "the JVM's CPU by then, median (s)", 'min–max (s)'], [row('class archive mapped', runs.mapped), row('no archive yet: writes one at its stop', runs.writing)]));
}

await main();
process.exit(0);
