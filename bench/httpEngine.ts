import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { performance } from 'node:perf_hooks';
import type { LoopReport } from './support/engineLoop.js';
import { startNginx } from '../test/helpers/nginx.js';
import { runCommand } from './support/peers.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/**
 * Requests per CPU-second of the HTTP engines against nginx (1 worker), each in its own process one
 * after another, in a closed loop of CONNECTIONS: the driver's own node:net client (HttpClient), undici's
 * Pool (what the driver sent with before), autocannon and wrk. `node dist/bench/httpEngine.js`; STAMPEDE_BENCH_SECONDS sets the
 * length of each run (default 5).
 */
const CONNECTIONS = 64;
const SECONDS = Number(process.env.STAMPEDE_BENCH_SECONDS ?? 5);
const WRK = '/usr/bin/wrk';
const ENGINE_LOOP = fileURLToPath(new URL('./support/engineLoop.js', import.meta.url));

type Run = { tool: string; requests: number; cpuSeconds: number; wallSeconds: number; loopCpuSeconds?: number };

/** bash's `times` prints the children's user and system CPU, whatever the tool does with threads. */
async function measure(tool: string, command: string, args: string[], read: (out: string) => { requests: number; loopCpuSeconds?: number }): Promise<Run> {
  const started = performance.now();
  const out = await runCommand('bash', ['-c', '"$@"; status=$?; times; exit $status', '--', command, ...args]);
  const wallSeconds = (performance.now() - started) / 1000;
  const times = [...out.matchAll(/(\d+)m([\d.]+)s/g)].slice(-2).map((m) => Number(m[1]) * 60 + Number(m[2]));
  const { requests, loopCpuSeconds } = read(out);
  if (!(requests > 0)) throw new Error(`${tool}: no requests read from its output:\n${out.slice(-2000)}`);
  return { tool, requests, cpuSeconds: times.reduce((a, b) => a + b, 0), wallSeconds, loopCpuSeconds };
}

function loopRun(engine: 'http1' | 'undici', label: string, url: string): Promise<Run> {
  return measure(label, process.execPath, [ENGINE_LOOP, engine, url, String(CONNECTIONS), String(SECONDS)], (out) => {
    const report = JSON.parse(out.slice(0, out.indexOf('\n'))) as LoopReport;
    if (report.errors > 0) throw new Error(`${label}: ${report.errors} requests failed, the first: ${report.firstError}`);
    return report;
  });
}

function autocannonRun(url: string): Promise<Run> {
  return measure(`autocannon -c${CONNECTIONS}`, 'node_modules/.bin/autocannon', ['-c', String(CONNECTIONS), '-d', String(SECONDS), '-j', url], (out) => ({
    requests: (JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { requests: { total: number } }).requests.total,
  }));
}

function wrkRun(url: string): Promise<Run> {
  return measure(`wrk -t1 -c${CONNECTIONS}`, WRK, ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, url], (out) => ({ requests: Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN) }));
}

async function main(): Promise<void> {
  const nginx = await startNginx();
  try {
    const runs = [await loopRun('http1', 'HttpClient (node:net)', nginx.url), await loopRun('undici', 'undici Pool.request', nginx.url), await autocannonRun(nginx.url)];
    if (existsSync(WRK)) runs.push(await wrkRun(nginx.url));
    const perCpu = (run: Run): number => run.requests / run.cpuSeconds;
    const autocannon = runs[2]!;
    const rows = runs.map((run) => [
      run.tool,
      String(run.requests),
      fixed(run.requests / run.wallSeconds),
      fixed(run.cpuSeconds, 2),
      fixed(perCpu(run)),
      fixed(perCpu(run) / perCpu(autocannon), 2),
      run.loopCpuSeconds === undefined ? '' : fixed(run.requests / run.loopCpuSeconds),
    ]);
    printSection(
      `HTTP engines on nginx (1 worker): ${CONNECTIONS} connections, closed loop, ${SECONDS} s each, one after another`,
      markdownTable(['engine', 'requests', 'req/s (wall, with start)', 'CPU s', 'requests per CPU s', '÷ autocannon', 'per CPU s of the loop alone'], rows),
      ['CPU s: the whole process by bash `times` (Node start and module loading included, as for autocannon).', 'Loop alone: process.cpuUsage() around the send loop in the same process.'],
    );
  } finally {
    await nginx.stop();
  }
}

await main();
