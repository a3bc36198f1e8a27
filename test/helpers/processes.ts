import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { testBrokers } from './kafka.js';

/** A CLI child process with its output kept, for tests that run Stampede as a user would. */
export type Child = { process: ChildProcess; stdout: () => string; stderr: () => string; waitForLine: (pattern: RegExp, timeoutMs?: number) => Promise<RegExpMatchArray>; exited: Promise<number | null> };

const running = new Set<ChildProcess>();

/** STAMPEDE_CPU_PROFILE_DIR: every stampede process a test or benchmark starts writes a V8 CPU profile there (Node refuses --cpu-prof in NODE_OPTIONS). */
function profileArgs(): string[] {
  const dir = process.env.STAMPEDE_CPU_PROFILE_DIR;
  return dir ? ['--cpu-prof', `--cpu-prof-dir=${dir}`] : [];
}

export function startCli(args: string[], env: Record<string, string> = {}): Child {
  const child = spawn(process.execPath, [...profileArgs(), 'bin/stampede.js', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let out = '';
  let err = '';
  const listeners = new Set<() => void>();
  child.stdout!.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    for (const l of listeners) l();
  });
  child.stderr!.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => {
    running.delete(child);
    for (const l of listeners) l();
    resolve(code);
  }));
  const waitForLine = (pattern: RegExp, timeoutMs = 30_000) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const check = () => {
        const match = out.match(pattern);
        if (match) return finish(() => resolve(match));
        if (child.exitCode !== null) finish(() => reject(new Error(`${args[0]} exited (${child.exitCode}) before printing ${pattern}; stderr:\n${err.slice(-2000)}`)));
      };
      const timer = setTimeout(() => finish(() => reject(new Error(`${args[0]} did not print ${pattern} within ${timeoutMs} ms; stdout:\n${out.slice(-1000)}\nstderr:\n${err.slice(-2000)}`))), timeoutMs);
      const finish = (then: () => void) => {
        clearTimeout(timer);
        listeners.delete(check);
        then();
      };
      listeners.add(check);
      check();
    });
  return { process: child, stdout: () => out, stderr: () => err, waitForLine, exited };
}

/** Ends every child this test file started (SIGKILL after 5 s), so no process is left behind. */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...running].map((child) => stopChild(child)));
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
  await exited;
  clearTimeout(timer);
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * A fixed port pair for a broker a test kills and restarts, beside the suite's broker port (19092 by
 * default): below the ephemeral range (32768 and up), so while that broker is down no outgoing
 * connection of any process on the machine can take its port, as happened with a free pair. (The
 * suite's second broker takes + 6: scripts/test.sh.)
 */
export function restartableBrokerPort(offset: 2 | 4): number {
  return Number(process.env.STAMPEDE_TEST_KAFKA_PORT ?? 19092) + offset;
}

/** A port N with N and N + 1 free right now (a broker needs both: client and controller). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await freePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
  throw new Error('no two adjacent free ports found');
}

function isFree(port: number): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export function tempDir(prefix = 'stampede-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startTarget(extraArgs: string[] = []): Promise<{ child: Child; url: string }> {
  const child = startCli(['target', '--port', '0', ...extraArgs]);
  const match = await child.waitForLine(/target listening on (http:\/\/\S+)/);
  return { child, url: match[1]! };
}

/**
 * An orchestrator, returned once it listens. Without a given port it takes a free one, and takes another
 * if some other process on the machine took that one between the check and the orchestrator's listen.
 */
export async function startOrchestratorProcess(storeFile = join(tempDir(), 'orchestrator.db'), port?: number, extraArgs: string[] = []): Promise<{ child: Child; url: string; storeFile: string; port: number }> {
  for (let attempt = 1; ; attempt++) {
    const chosenPort = port ?? (await freePort());
    const child = startCli(['orchestrator', '--kafka', testBrokers().join(','), '--orchestrator', `127.0.0.1:${chosenPort}`, '--store', storeFile, ...extraArgs]);
    try {
      const match = await child.waitForLine(/orchestrator listening on (http:\/\/\S+)/);
      return { child, url: match[1]!, storeFile, port: chosenPort };
    } catch (error) {
      const portTaken = port === undefined && attempt < 3 && child.stderr().includes('is already in use');
      if (!portTaken) throw error;
    }
  }
}

/** A driver process, returned once it says it registered: Kafka has its register message (no orchestrator needs to be there). */
export async function startRegisteredDriver(orchestratorUrl: string, extraArgs: string[] = []): Promise<{ child: Child; nodeId: string }> {
  const orchestrator = orchestratorUrl.replace(/^http:\/\//, '');
  const child = startCli(['driver', '--kafka', testBrokers().join(','), '--orchestrator', orchestrator, '--store', join(tempDir(), 'driver.db'), ...extraArgs]);
  const nodeId = (await child.waitForLine(/driver (\S+) registered/))[1]!;
  return { child, nodeId };
}

/**
 * Returns once the orchestrator lists the driver alive: the driver prints "registered" when Kafka has its
 * register message, which the orchestrator may not have read yet, and a test naming it would be refused.
 */
export async function startDriverProcess(orchestratorUrl: string, extraArgs: string[] = []): Promise<{ child: Child; nodeId: string }> {
  const { child, nodeId } = await startRegisteredDriver(orchestratorUrl, extraArgs);
  const isAlive = (drivers: { node_id: string; status: string }[]) => drivers.some((d) => d.node_id === nodeId && d.status === 'alive');
  await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestratorUrl}/api/drivers`), isAlive, 15_000, `driver ${nodeId} alive at the orchestrator`);
  return { child, nodeId };
}

/** A target, an orchestrator and one driver per argument list, each driver alive at the orchestrator. */
export async function startFleet(driverArgs: string[][]): Promise<{ targetUrl: string; orchestratorUrl: string; driverIds: string[] }> {
  const { url: targetUrl } = await startTarget();
  const { url: orchestratorUrl } = await startOrchestratorProcess();
  const driverIds: string[] = [];
  for (const args of driverArgs) driverIds.push((await startDriverProcess(orchestratorUrl, args)).nodeId);
  return { targetUrl, orchestratorUrl, driverIds };
}

export async function getJson<T = unknown>(url: string): Promise<T> {
  const response = await request(url);
  const text = await response.body.text();
  if (response.statusCode >= 400) throw new Error(`GET ${url} → ${response.statusCode}: ${text}`);
  return JSON.parse(text) as T;
}

export async function postJson<T = unknown>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.statusCode, body: (await response.body.json()) as T };
}

/** Polls until `read` returns a value that `done` accepts. */
export async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await read();
    if (done(last)) return last;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
}
