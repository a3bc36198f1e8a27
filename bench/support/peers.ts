import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export type PeerResult = { requestsPerSecond: number; total: number; errors: number; p50Ms: number | null; p99Ms: number | null };

const AUTOCANNON = resolve('node_modules/.bin/autocannon');
const NANOS_PER_MS = 1e6;

/** Runs a command to the end and returns its stdout; a non-zero exit is an error carrying stderr. */
export function runCommand(command: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolvePromise(stdout) : reject(new Error(`${command} exited ${code}: ${stderr.slice(-1000)}`))));
  });
}

type AutocannonJson = { duration: number; errors: number; non2xx: number; requests: { total: number }; latency: { p50: number; p99: number } };

export async function autocannon(url: string, connections: number, seconds: number): Promise<PeerResult> {
  const out = JSON.parse(await runCommand(AUTOCANNON, ['-c', String(connections), '-d', String(seconds), '-j', url])) as AutocannonJson;
  return { requestsPerSecond: out.requests.total / out.duration, total: out.requests.total, errors: out.errors + out.non2xx, p50Ms: out.latency.p50, p99Ms: out.latency.p99 };
}

export async function wrk(url: string, connections: number, seconds: number, threads: number): Promise<PeerResult> {
  const out = await runCommand('wrk', [`-t${threads}`, `-c${connections}`, `-d${seconds}s`, '--latency', url]);
  const rate = /Requests\/sec:\s+([\d.]+)/.exec(out);
  const total = /(\d+) requests in/.exec(out);
  const failed = /Non-2xx or 3xx responses: (\d+)/.exec(out);
  if (!rate || !total) throw new Error(`cannot read wrk's output:\n${out}`);
  return { requestsPerSecond: Number(rate[1]), total: Number(total[1]), errors: Number(failed?.[1] ?? 0), p50Ms: wrkPercentileMs(out, 50), p99Ms: wrkPercentileMs(out, 99) };
}

const WRK_UNIT_MS: Record<string, number> = { us: 0.001, ms: 1, s: 1000 };

/** wrk --latency prints lines like `     50%  20.95ms`. */
function wrkPercentileMs(out: string, percent: number): number | null {
  const match = new RegExp(`^\\s+${percent}%\\s+([\\d.]+)(us|ms|s)$`, 'm').exec(out);
  return match ? Number(match[1]) * WRK_UNIT_MS[match[2]!]! : null;
}

type VegetaJson = { requests: number; rate: number; success: number; latencies: { '50th': number; '99th': number } };

/** vegeta's open-model attack at a fixed rate (its default settings: keep-alive, workers grow as needed). */
export async function vegeta(url: string, ratePerSecond: number, seconds: number): Promise<PeerResult> {
  const pipeline = `echo "GET ${url}" | vegeta attack -rate=${ratePerSecond}/1s -duration=${seconds}s | vegeta report -type=json`;
  const out = JSON.parse(await runCommand('sh', ['-c', pipeline])) as VegetaJson;
  return {
    requestsPerSecond: out.rate,
    total: out.requests,
    errors: Math.round(out.requests * (1 - out.success)),
    p50Ms: out.latencies['50th'] / NANOS_PER_MS,
    p99Ms: out.latencies['99th'] / NANOS_PER_MS,
  };
}

/** Built by scripts/bench.sh from bench/support/vegetaStaged (vegeta's attacker with the staged plan as its pacer). */
const VEGETA_STAGED = resolve('.stampede/bin/vegeta-staged');

type VegetaStagedJson = { requests: number; success: number };

/** vegeta's attacker driven at a staged rate: `stages` as `[seconds, target_rps]`, each ramping from the previous target. */
export async function vegetaStaged(url: string, stages: readonly { duration_s: number; target_rps: number }[]): Promise<{ total: number; errors: number }> {
  const plan = stages.map((s) => `${s.duration_s}:${s.target_rps}`).join(',');
  const out = JSON.parse(await runCommand(VEGETA_STAGED, ['-url', url, '-stages', plan])) as VegetaStagedJson;
  return { total: out.requests, errors: Math.round(out.requests * (1 - out.success)) };
}
