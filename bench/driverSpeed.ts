import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort, startTarget, stopAllChildren, tempDir } from '../test/helpers/processes.js';
import { percentile, startArrivalServer, type ArrivalServer } from './support/arrivalServer.js';
import { DriverHarness } from './support/driverHarness.js';
import { gapDeviations, tsunamiArrivals } from './support/gapRuns.js';
import { startKernelArrivalServer } from './support/kernelArrivalServer.js';
import { startNginx } from '../test/helpers/nginx.js';
import { runCommand } from './support/peers.js';
import { CpuMeter } from './support/procStats.js';
import { fixed, markdownTable, printSection } from './support/table.js';

/** Issue 14's goals: each peer beside the driver in one run, same target, same connections. */
const CONNECTIONS = 64;
/** STAMPEDE_BENCH_SECONDS shortens a smoke run of the bench code itself. */
const SECONDS = Number(process.env.STAMPEDE_BENCH_SECONDS ?? 10);
const GAP_MS = 10;
const GAP_REQUESTS = 500;
const FIXED_RATES = [1_000, 5_000, 20_000];
/**
 * Idle RSS is read twice: soon after start, and once V8's memory reducer has run (it shrinks the young
 * generation that loading the modules grew, 16–20 s after start on this machine; docs/decisions.md).
 */
const IDLE_EARLY_SECONDS = 5;
const IDLE_SETTLED_SECONDS = 45;

type Throughput = { tool: string; requests: number; cpuSeconds: number; wallSeconds: number };

function requestsPerCpuSecond(t: Throughput): number {
  return t.requests / t.cpuSeconds;
}

/**
 * bash's `times` prints the children's user and system CPU exactly, whatever the peer does with threads
 * or processes (every child is waited for). The peer's exit status is kept, so a failed run is an error.
 */
async function peerCpu(tool: string, command: string, args: string[], readTotal: (out: string) => number): Promise<Throughput> {
  const started = performance.now();
  const out = await runCommand('bash', ['-c', '"$@"; status=$?; times; exit $status', '--', command, ...args]).catch((error: unknown) => {
    throw new Error(`${tool} failed: ${error instanceof Error ? error.message : String(error)}`);
  });
  const wallSeconds = (performance.now() - started) / 1000;
  const times = [...out.matchAll(/(\d+)m([\d.]+)s/g)].slice(-2).map((m) => Number(m[1]) * 60 + Number(m[2]));
  let requests: number;
  try {
    requests = readTotal(out);
  } catch (error) {
    throw new Error(`${tool}: cannot read its request total (${error instanceof Error ? error.message : String(error)}); its output ends:\n${out.slice(-2000)}`);
  }
  if (!Number.isInteger(requests) || requests <= 0) throw new Error(`${tool}: read ${requests} requests from its output, which ends:\n${out.slice(-2000)}`);
  return { tool, requests, cpuSeconds: times.reduce((a, b) => a + b, 0), wallSeconds };
}

/** hey keeps the first million results only; its status code distribution counts those. */
const HEY_MAX_RESULTS = 1_000_000;

/** hey's summary ends with `Status code distribution:` and one `  [200]\tN responses` line per status. */
function heyTotal(out: string): number {
  const counts = [...out.matchAll(/^\s+\[(\d{3})\]\t(\d+) responses$/gm)].map((m) => Number(m[2]));
  if (!out.includes('Status code distribution:') || counts.length === 0) throw new Error('no status code distribution');
  const total = counts.reduce((a, b) => a + b, 0);
  if (total >= HEY_MAX_RESULTS) throw new Error(`its distribution stops at ${HEY_MAX_RESULTS} results, so ${total} may be short`);
  return total;
}

/** Installed by scripts/bench.sh into its own virtualenv; the locustfile takes the target's path as --path. */
const LOCUST = '.stampede/locust-venv/bin/locust';
const LOCUSTFILE = 'bench/support/locustfile.py';

/** Locust writes `--json-file PREFIX` to PREFIX.json: one entry per request name, each counting its requests (failures included). */
function locustTotal(jsonPrefix: string): number {
  const entries = JSON.parse(readFileSync(`${jsonPrefix}.json`, 'utf8')) as unknown;
  if (!Array.isArray(entries) || entries.length === 0) throw new Error(`no request stats in ${jsonPrefix}.json`);
  return (entries as { num_requests: number }[]).reduce((sum, e) => sum + e.num_requests, 0);
}

/** Locust's options for a headless run of CONNECTIONS users for SECONDS; it exits 1 when any request failed, which peerCpu reports. */
function locustRunArgs(url: string, jsonPrefix: string): string[] {
  const { origin, pathname } = new URL(url);
  return ['--headless', '-u', String(CONNECTIONS), '-r', String(CONNECTIONS), '-t', `${SECONDS}s`, '--host', origin, '--path', pathname, '--only-summary', '--json-file', jsonPrefix, '--loglevel', 'WARNING'];
}

/** One Locust process (gevent, one core at most): its FastHttpUser is its fastest client. */
async function locustSingle(url: string): Promise<Throughput> {
  const jsonPrefix = join(tempDir('stampede-bench-locust-'), 'stats');
  return peerCpu('locust FastHttpUser -u64', LOCUST, ['-f', LOCUSTFILE, ...locustRunArgs(url, jsonPrefix)], () => locustTotal(jsonPrefix));
}

async function stampedeThroughput(url: string, workers: string): Promise<Throughput> {
  const harness = await DriverHarness.start(['--workers', workers, '--concurrency', String(CONNECTIONS)]);
  try {
    const meter = new CpuMeter(harness.pid);
    const { report } = await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: 50_000_000, duration_s: SECONDS, target_url: url });
    const use = meter.read();
    return { tool: `stampede --workers ${workers}`, requests: report.completed ?? 0, cpuSeconds: use.cpuSeconds, wallSeconds: use.wallSeconds };
  } finally {
    await harness.close();
  }
}

async function throughputRows(targetName: string, url: string): Promise<{ rows: string[][]; auto: Throughput }> {
  const one = await stampedeThroughput(url, '1');
  const auto = await stampedeThroughput(url, 'auto');
  const autocannon = await peerCpu('autocannon -c64', 'node_modules/.bin/autocannon', ['-c', String(CONNECTIONS), '-d', String(SECONDS), '-j', url], (out) => (JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { requests: { total: number } }).requests.total);
  const autocannonW = await peerCpu('autocannon -c64 -w2', 'node_modules/.bin/autocannon', ['-c', String(CONNECTIONS), '-w', '2', '-d', String(SECONDS), '-j', url], (out) => (JSON.parse(out.slice(0, out.lastIndexOf('}') + 1)) as { requests: { total: number } }).requests.total);
  const wrk = await peerCpu('wrk -t1 -c64', 'wrk', ['-t1', `-c${CONNECTIONS}`, `-d${SECONDS}s`, url], (out) => Number(/(\d+) requests in/.exec(out)?.[1] ?? NaN));
  const hey = await peerCpu('hey -c64', 'hey', ['-z', `${SECONDS}s`, '-c', String(CONNECTIONS), url], heyTotal);
  const locust = await locustSingle(url);
  const rows = [one, auto, autocannon, autocannonW, wrk, hey, locust].map((t) => [
    targetName,
    t.tool,
    String(t.requests),
    fixed(t.cpuSeconds, 2),
    fixed(t.cpuSeconds / t.wallSeconds, 2),
    fixed(requestsPerCpuSecond(t)),
    fixed(requestsPerCpuSecond(t) / requestsPerCpuSecond(autocannon), 2),
    fixed(requestsPerCpuSecond(t) / requestsPerCpuSecond(wrk), 2),
  ]);
  return { rows, auto };
}

/** Issue 14's distributed comparison: two load processes of each tool on the machine's cores. */
const DISTRIBUTED_PROCESSES = 2;
/** How long the Locust master waits for its workers to connect before it gives up (they start with it). */
const LOCUST_WORKERS_WAIT_S = 30;

/**
 * Locust's master with its workers, all children of one bash so `times` counts them all. Should the
 * master fail, the workers, which would keep retrying their connection, are killed so the run ends.
 */
const LOCUST_DISTRIBUTED = `
locust=$1 file=$2 port=$3 path=$4 workers=$5; shift 5
for ((i = 0; i < workers; i++)); do
  "$locust" -f "$file" --worker --master-host 127.0.0.1 --master-port "$port" --path "$path" --loglevel WARNING &
done
"$locust" -f "$file" --master --master-bind-host 127.0.0.1 --master-bind-port "$port" --expect-workers "$workers" "$@"
status=$?
if [ "$status" -ne 0 ]; then kill $(jobs -p) 2>/dev/null; fi
wait
exit "$status"`;

async function locustDistributed(url: string): Promise<Throughput> {
  const jsonPrefix = join(tempDir('stampede-bench-locust-'), 'stats');
  const port = await freePort();
  const args = ['-c', LOCUST_DISTRIBUTED, '--', LOCUST, LOCUSTFILE, String(port), new URL(url).pathname, String(DISTRIBUTED_PROCESSES), '--expect-workers-max-wait', String(LOCUST_WORKERS_WAIT_S), ...locustRunArgs(url, jsonPrefix)];
  return peerCpu(`locust FastHttpUser -u${CONNECTIONS}, 1 master + ${DISTRIBUTED_PROCESSES} workers`, 'bash', args, () => locustTotal(jsonPrefix));
}

/** Stampede drivers of one connection pool each (--workers 1), triggered together, sharing CONNECTIONS. */
async function stampedeDistributed(url: string): Promise<Throughput> {
  const connections = CONNECTIONS / DISTRIBUTED_PROCESSES;
  const harnesses: DriverHarness[] = [];
  try {
    for (let i = 0; i < DISTRIBUTED_PROCESSES; i++) harnesses.push(await DriverHarness.start(['--workers', '1', '--concurrency', String(connections)]));
    const meters = harnesses.map((h) => new CpuMeter(h.pid));
    const settings = { test_type: 'AVALANCHE', message_count_per_driver: 50_000_000, duration_s: SECONDS, target_url: url } as const;
    const testIds = await Promise.all(harnesses.map((h) => h.publishTest(settings)));
    const results = await Promise.all(harnesses.map((h, i) => h.finalReport(testIds[i]!)));
    const uses = meters.map((m) => m.read());
    return {
      tool: `stampede: ${DISTRIBUTED_PROCESSES} drivers × ${connections} connections (--workers 1)`,
      requests: results.reduce((sum, r) => sum + (r.report.completed ?? 0), 0),
      cpuSeconds: uses.reduce((sum, u) => sum + u.cpuSeconds, 0),
      wallSeconds: Math.max(...uses.map((u) => u.wallSeconds)),
    };
  } finally {
    await Promise.all(harnesses.map((h) => h.close()));
  }
}

async function distributedRows(url: string): Promise<string[][]> {
  const stampede = await stampedeDistributed(url);
  const locust = await locustDistributed(url);
  return [stampede, locust].map((t) => [t.tool, String(t.requests), fixed(t.cpuSeconds, 2), fixed(t.cpuSeconds / t.wallSeconds, 2), fixed(requestsPerCpuSecond(t)), fixed(requestsPerCpuSecond(t) / requestsPerCpuSecond(locust), 2)]);
}

/** The worst whole 1-s window after the first arrival, as % off the rate. */
function worstWindowError(arrivalsMs: number[], rate: number): number {
  const windows = new Map<number, number>();
  for (const t of arrivalsMs) windows.set(Math.floor(t / 1000), (windows.get(Math.floor(t / 1000)) ?? 0) + 1);
  const whole = [...windows].filter(([second]) => second < Math.floor((arrivalsMs.at(-1) ?? 0) / 1000));
  return Math.max(...whole.map(([, count]) => (100 * Math.abs(count - rate)) / rate));
}

function rssMiB(pid: number): number {
  return Number(/^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
}

/** One TSUNAMI run of the driver and one of vegeta at the same gap: p99 of each gap's error, read at `server`. */
async function gapRow(harness: DriverHarness, server: ArrivalServer, stampedBy: string): Promise<string[]> {
  const arrivals = await tsunamiArrivals(harness, server, GAP_MS, GAP_REQUESTS);
  const p99 = (arrivalsMs: number[]) => fixed(percentile(gapDeviations(arrivalsMs, GAP_MS), 99), 3);
  return [`TSUNAMI ${GAP_MS} ms gap: p99 of abs(gap − ${GAP_MS} ms), ms, stamped by ${stampedBy}`, p99(arrivals.stampede), `vegeta ${p99(arrivals.vegeta)}`, '< 0.5'];
}

async function timingRows(server: ArrivalServer, kernelServer: ArrivalServer): Promise<string[][]> {
  const harness = await DriverHarness.start(['--workers', 'auto']);
  try {
    await sleep(IDLE_EARLY_SECONDS * 1000);
    const earlyIdleRss = rssMiB(harness.pid);
    await sleep((IDLE_SETTLED_SECONDS - IDLE_EARLY_SECONDS) * 1000);
    const settledIdleRss = rssMiB(harness.pid);
    const rows = [await gapRow(harness, kernelServer, 'the kernel'), await gapRow(harness, server, 'a node:http thread')];
    for (const rate of FIXED_RATES) {
      await server.reset();
      let peakRss = 0;
      const sampler = setInterval(() => (peakRss = Math.max(peakRss, rssMiB(harness.pid))), 200);
      await harness.run({ test_type: 'AVALANCHE', message_count_per_driver: rate * SECONDS, throughput_per_driver: rate, concurrency: CONNECTIONS, target_url: server.url });
      clearInterval(sampler);
      rows.push([`fixed rate ${rate} req/s: worst 1-s window error, %`, fixed(worstWindowError(await server.arrivalsMs(), rate), 3), '', '≤ 0.2']);
      if (rate === 5_000) rows.push(['RSS at 5k req/s (peak sampled), MiB', fixed(peakRss, 1), '', '< 150']);
    }
    rows.push([`idle RSS (registered, heartbeating) ${IDLE_EARLY_SECONDS} s after start, MiB`, fixed(earlyIdleRss, 1), '', '< 80']);
    rows.push([`idle RSS ${IDLE_SETTLED_SECONDS} s after start (V8's memory reducer has run), MiB`, fixed(settledIdleRss, 1), '', '< 80']);
    return rows;
  } finally {
    await harness.close();
  }
}

async function main(): Promise<void> {
  const nginx = await startNginx();
  const server = await startArrivalServer();
  const kernelServer = await startKernelArrivalServer();
  try {
    const target = await startTarget();
    const onNginx = await throughputRows('nginx (1 worker)', nginx.url);
    const onTarget = await throughputRows('stampede target', `${target.url}/ping`);
    printSection(
      `Generator cost: ${CONNECTIONS} connections, ${SECONDS} s each, one after another`,
      markdownTable(['target', 'generator', 'requests', 'CPU s', 'CPU s per wall s', 'requests per CPU s', '÷ autocannon', '÷ wrk'], [...onNginx.rows, ...onTarget.rows]),
      ['CPU of the generator process only (driver: /proc/<pid>/stat from trigger to final report, so it includes Kafka and reporting; peers: bash `times`).'],
    );
    printSection(
      `Two load processes per tool on the same ${DISTRIBUTED_PROCESSES} cores: nginx (1 worker), ${CONNECTIONS} connections in all, ${SECONDS} s each, one after another`,
      markdownTable(['generator', 'requests', 'CPU s (all its processes)', 'CPU s per wall s', 'requests per CPU s', '÷ Locust'], await distributedRows(nginx.url)),
      ['Stampede: each driver process from trigger to its final report (/proc/<pid>/stat), the two summed. Locust: master and workers, bash `times` over all of them.'],
    );
    const timing = await timingRows(server, kernelServer);
    printSection('Timing and memory (driver with --workers auto)', markdownTable(['figure', 'stampede', 'peer', 'goal'], timing));
  } finally {
    await server.close();
    await kernelServer.close();
    await nginx.stop();
    await stopAllChildren();
  }
}

await main();
process.exit(0);
