import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';
import { UnreachableError, UsageError } from '../cli/usageError.js';
import type { Logger } from '../log/logger.js';

export type RunningBroker = { running: true; pid: number; port: number; address: string; dataDir: string; startedAt?: string };
export type BrokerStatus = RunningBroker | { running: false; dataDir: string };

/** The environment is in the way (Java missing, port taken, broker not coming up): one line, exit code 1. */
export class BrokerError extends UnreachableError {}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 20;

/** The code runs from dist/src/broker (or src/broker under a TS loader): both sit three levels below the package root. */
const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'infra', 'kafka');
const libDir = join(infraDir, 'lib');

const pidFile = (dataDir: string) => join(dataDir, 'kafka.pid');
const stateFile = (dataDir: string) => join(dataDir, 'kafka.json');
const logFile = (dataDir: string) => join(dataDir, 'broker.log');
const propertiesFile = (dataDir: string) => join(dataDir, 'server.properties');
const address = (port: number) => `${HOST}:${port}`;

/** Starts the broker unless ours already runs; resolves once it answers a metadata request. */
export async function startKafka(options: { port: number; dataDir: string; log?: Logger }): Promise<{ alreadyRunning: boolean; status: RunningBroker }> {
  const { port, log } = options;
  const dataDir = resolve(options.dataDir);
  requireValidPort(port);
  const current = kafkaStatus({ dataDir });
  if (current.running) {
    await waitUntilAnswering(current.port, current.pid, dataDir);
    return { alreadyRunning: true, status: current };
  }
  requireCommand('java', 'Java 17 or newer runs the embedded Kafka broker (scripts/ensure-system-packages.sh installs it)');
  ensureJars(log);
  await requireFreePort(port, 'the Kafka port');
  await requireFreePort(port + 1, 'the Kafka controller port (port + 1)');
  mkdirSync(dataDir, { recursive: true });
  writeServerProperties(dataDir, port);
  formatStorageOnce(dataDir, log);
  const startedAt = new Date();
  const pid = launchBroker(dataDir);
  writeFileSync(pidFile(dataDir), `${pid}\n`);
  writeFileSync(stateFile(dataDir), JSON.stringify({ port, pid, startedAt: startedAt.toISOString() }) + '\n');
  await waitUntilAnswering(port, pid, dataDir);
  log?.debug({ brokerPid: pid, address: address(port), dataDir, startMs: Date.now() - startedAt.getTime() }, 'kafka broker answering');
  return { alreadyRunning: false, status: { running: true, pid, port, address: address(port), dataDir, startedAt: startedAt.toISOString() } };
}

/** SIGTERM (a clean shutdown), then SIGKILL after 20 s; only ever to the pid our pid file names. */
export async function stopKafka(options: { dataDir: string; log?: Logger }): Promise<{ wasRunning: boolean; pid?: number; killed?: boolean }> {
  const dataDir = resolve(options.dataDir);
  const status = kafkaStatus({ dataDir });
  if (!status.running) {
    forgetBroker(dataDir);
    return { wasRunning: false };
  }
  signal(status.pid, 'SIGTERM');
  const killed = !(await waitForExit(status.pid, dataDir, STOP_TIMEOUT_MS));
  if (killed) {
    options.log?.warn({ brokerPid: status.pid }, `kafka broker still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; sending SIGKILL`);
    signal(status.pid, 'SIGKILL');
    await waitForExit(status.pid, dataDir, 5_000);
  }
  forgetBroker(dataDir);
  return { wasRunning: true, pid: status.pid, killed };
}

/** Running means: the pid file names a live java kafka.Kafka that was started with this data dir. */
export function kafkaStatus(options: { dataDir: string }): BrokerStatus {
  const dataDir = resolve(options.dataDir);
  const pid = readPid(dataDir);
  if (pid === undefined || !isOurBroker(pid, dataDir)) return { running: false, dataDir };
  const state = readState(dataDir);
  const port = state?.port ?? readPortFromProperties(dataDir);
  return { running: true, pid, port, address: address(port), dataDir, ...(state?.startedAt ? { startedAt: state.startedAt } : {}) };
}

/** The jars come from Maven Central once; after that lib/ is reused. */
export function ensureJars(log?: Logger): void {
  if (hasKafkaJar()) return;
  requireCommand('mvn', 'Maven fetches the Kafka jars once (scripts/ensure-system-packages.sh installs it)');
  log?.info({ dir: libDir }, 'fetching the Kafka broker jars from Maven Central (first start only)');
  const result = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], { cwd: infraDir, encoding: 'utf8' });
  if (result.status !== 0 || !hasKafkaJar()) {
    throw new BrokerError(`fetching the Kafka jars with Maven in ${infraDir} failed: ${tail(`${result.stdout ?? ''}${result.stderr ?? result.error?.message ?? ''}`, 5, ' | ')}`);
  }
}

function hasKafkaJar(): boolean {
  return existsSync(libDir) && readdirSync(libDir).some((name) => /^kafka_2\.13-.*\.jar$/.test(name));
}

function requireValidPort(port: number): void {
  if (!Number.isInteger(port) || port < 1 || port > 65534) throw new UsageError(`the Kafka port must be 1 to 65534 (the controller uses port + 1), got ${port}`);
}

function requireCommand(command: string, hint: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
  if (!found) throw new BrokerError(`${command} not found on PATH: ${hint}`);
}

function requireFreePort(port: number, what: string): Promise<void> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new BrokerError(error.code === 'EADDRINUSE' ? `${what} ${address(port)} is already in use by another program` : `cannot listen on ${what} ${address(port)}: ${error.message}`)),
    );
    probe.listen(port, HOST, () => probe.close(() => done()));
  });
}

function writeServerProperties(dataDir: string, port: number): void {
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${address(port + 1)}`,
    `listeners=PLAINTEXT://${address(port)},CONTROLLER://${address(port + 1)}`,
    `advertised.listeners=PLAINTEXT://${address(port)}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'min.insync.replicas=1',
    // A new consumer group must receive at once, not after the default 3 s join delay.
    'group.initial.rebalance.delay.ms=0',
    // After a SIGKILL the old incarnation's registration blocks the new one (DuplicateBrokerRegistration)
    // until its session expires: 9 s by default, 3 s here. The broker heartbeats its own controller in
    // the same JVM, so a short session costs nothing; see docs/decisions.md.
    'broker.session.timeout.ms=3000',
    'broker.heartbeat.interval.ms=500',
    'auto.create.topics.enable=true',
    'message.max.bytes=4194304',
    // A load tester's own traffic is disposable: keep the disk small.
    'log.retention.hours=24',
    'log.retention.bytes=268435456',
    'log.segment.bytes=67108864',
  ];
  writeFileSync(propertiesFile(dataDir), lines.join('\n') + '\n');
}

function formatStorageOnce(dataDir: string, log?: Logger): void {
  if (existsSync(join(dataDir, 'logs', 'meta.properties'))) return;
  const clusterId = newClusterId();
  const result = spawnSync('java', ['-cp', `${libDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', clusterId, '-c', propertiesFile(dataDir)], { encoding: 'utf8' });
  if (result.status !== 0) throw new BrokerError(`formatting Kafka storage in ${dataDir} failed: ${tail(result.stderr || result.stdout, 3, ' | ')}`);
  log?.debug({ dataDir, clusterId }, 'kafka storage formatted');
}

/** Kafka's own form (as `kafka-storage random-uuid`): 16 random bytes in URL-safe base64, never led by '-', which would read as a flag. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function launchBroker(dataDir: string): number {
  const output = openSync(logFile(dataDir), 'a');
  const jvm = ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-Djava.awt.headless=true'];
  const logging = [`-Dkafka.logs.dir=${dataDir}`, `-Dlog4j2.configurationFile=${join(infraDir, 'log4j2.properties')}`];
  const child = spawn('java', [...jvm, ...logging, '-cp', `${libDir}/*`, 'kafka.Kafka', propertiesFile(dataDir)], { detached: true, stdio: ['ignore', output, output] });
  closeSync(output);
  child.unref();
  if (child.pid === undefined) throw new BrokerError('could not start java for the Kafka broker');
  return child.pid;
}

async function waitUntilAnswering(port: number, pid: number, dataDir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isOurBroker(pid, dataDir)) {
      forgetBroker(dataDir);
      throw new BrokerError(`the Kafka broker (pid ${pid}) exited during start-up; last lines of ${logFile(dataDir)}:\n${logTail(dataDir)}`);
    }
    if (await answersMetadata(port)) return;
    await sleep(250);
  }
  const stopHint = `it still runs: \`stampede kafka stop --data-dir ${dataDir}\` ends it`;
  throw new BrokerError(`the Kafka broker (pid ${pid}) did not answer on ${address(port)} within ${START_TIMEOUT_MS / 1000} s (${stopHint}); last lines of ${logFile(dataDir)}:\n${logTail(dataDir)}`);
}

/** A TCP connect succeeds long before the broker serves requests: ask for real metadata. */
async function answersMetadata(port: number): Promise<boolean> {
  const admin = new Admin({ clientId: 'stampede-kafka-probe', bootstrapBrokers: [address(port)], retries: 0, timeout: 2_000 });
  try {
    await admin.metadata({ topics: [] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function readPid(dataDir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dataDir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readState(dataDir: string): { port: number; startedAt?: string } | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as { port: number; startedAt?: string };
  } catch {
    return undefined;
  }
}

function readPortFromProperties(dataDir: string): number {
  const match = /^advertised\.listeners=PLAINTEXT:\/\/[^:]+:(\d+)/m.exec(readFileSync(propertiesFile(dataDir), 'utf8'));
  return Number(match?.[1] ?? NaN);
}

/** A pid can be reused after a reboot: trust it only while its command line is our java kafka.Kafka. */
function isOurBroker(pid: number, dataDir: string): boolean {
  try {
    const args = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
    return (args[0] ?? '').endsWith('java') && args.includes('kafka.Kafka') && args.includes(propertiesFile(dataDir));
  } catch {
    return false;
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForExit(pid: number, dataDir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurBroker(pid, dataDir)) return true;
    await sleep(200);
  }
  return false;
}

function forgetBroker(dataDir: string): void {
  rmSync(pidFile(dataDir), { force: true });
  rmSync(stateFile(dataDir), { force: true });
}

function logTail(dataDir: string): string {
  try {
    return tail(readFileSync(logFile(dataDir), 'utf8'), LOG_TAIL_LINES, '\n');
  } catch {
    return '(no broker.log)';
  }
}

function tail(text: string, lines: number, separator: string): string {
  return text.trimEnd().split('\n').slice(-lines).join(separator);
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}
