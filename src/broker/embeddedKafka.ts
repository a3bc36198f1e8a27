import { spawn, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Admin } from '@platformatic/kafka';

export type BrokerStatus = { running: false } | { running: true; pid: number; address: string; dataDir: string };

/** What the user can fix (Java missing, port taken, broker not coming up): shown as one line. */
export class BrokerError extends Error {
  override readonly name = 'BrokerError';
}

const HOST = '127.0.0.1';
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;

/** dist/src/broker → the package root, where infra/kafka lives. */
const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'infra', 'kafka');
const libDir = join(infraDir, 'lib');

const pidFile = (dataDir: string) => join(dataDir, 'kafka.pid');
const stateFile = (dataDir: string) => join(dataDir, 'kafka.json');
const logFile = (dataDir: string) => join(dataDir, 'broker.log');

/** Starts the broker unless ours already runs; resolves once it answers a metadata request. */
export async function startKafka(options: { port: number; dataDir: string }): Promise<{ alreadyRunning: boolean; status: BrokerStatus }> {
  const dataDir = resolve(options.dataDir);
  const current = kafkaStatus(dataDir);
  if (current.running) return { alreadyRunning: true, status: current };
  requireCommand('java', 'Java 17 is needed to run the embedded Kafka broker (apt-get install openjdk-17-jre-headless)');
  ensureJars();
  await requireFreePort(options.port, '--port');
  await requireFreePort(options.port + 1, `the controller port (--port + 1)`);
  mkdirSync(dataDir, { recursive: true });
  const properties = writeServerProperties(dataDir, options.port);
  formatStorageOnce(dataDir, properties);
  const pid = launchBroker(dataDir, properties);
  writeFileSync(pidFile(dataDir), String(pid));
  writeFileSync(stateFile(dataDir), JSON.stringify({ port: options.port, pid, startedAt: new Date().toISOString() }));
  await waitUntilAnswering(options.port, pid, dataDir);
  return { alreadyRunning: false, status: { running: true, pid, address: `${HOST}:${options.port}`, dataDir } };
}

export async function stopKafka(options: { dataDir: string }): Promise<{ wasRunning: boolean; pid?: number }> {
  const dataDir = resolve(options.dataDir);
  const status = kafkaStatus(dataDir);
  if (!status.running) {
    rmSync(pidFile(dataDir), { force: true });
    return { wasRunning: false };
  }
  process.kill(status.pid, 'SIGTERM');
  if (!(await waitForExit(status.pid, STOP_TIMEOUT_MS))) {
    process.kill(status.pid, 'SIGKILL');
    await waitForExit(status.pid, 5_000);
  }
  rmSync(pidFile(dataDir), { force: true });
  return { wasRunning: true, pid: status.pid };
}

/** Running means: the pid file names a live process that is our java kafka.Kafka. */
export function kafkaStatus(dataDir: string): BrokerStatus {
  const dir = resolve(dataDir);
  if (!existsSync(pidFile(dir))) return { running: false };
  const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
  if (!Number.isInteger(pid) || pid <= 0 || !isKafkaProcess(pid)) return { running: false };
  const state = readState(dir);
  return { running: true, pid, address: `${HOST}:${state?.port ?? '?'}`, dataDir: dir };
}

function readState(dataDir: string): { port: number } | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dataDir), 'utf8')) as { port: number };
  } catch {
    return undefined;
  }
}

function isKafkaProcess(pid: number): boolean {
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
    return cmdline.includes('java') && cmdline.includes('kafka.Kafka');
  } catch {
    return false;
  }
}

function requireCommand(command: string, hint: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
  if (!found) throw new BrokerError(`${command} not found: ${hint}`);
}

/** The jars come from Maven Central once; after that lib/ is reused. */
export function ensureJars(): void {
  if (hasKafkaJar()) return;
  requireCommand('mvn', 'Maven is needed once to fetch the Kafka jars (apt-get install maven)');
  const result = spawnSync('mvn', ['-q', '-B', '-Dstyle.color=never', 'dependency:copy-dependencies', '-DoutputDirectory=lib'], { cwd: infraDir, encoding: 'utf8' });
  if (result.status !== 0 || !hasKafkaJar()) {
    const output = `${result.stdout ?? ''}${result.stderr ?? ''}`.trim().split('\n').slice(-5).join(' | ');
    throw new BrokerError(`fetching the Kafka jars with Maven failed (in ${infraDir}): ${output}`);
  }
}

function hasKafkaJar(): boolean {
  return existsSync(libDir) && readdirSync(libDir).some((name) => /^kafka_2\.13-.*\.jar$/.test(name));
}

function requireFreePort(port: number, what: string): Promise<void> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new BrokerError(error.code === 'EADDRINUSE' ? `${what} ${HOST}:${port} is already in use by another program` : `cannot use ${what} ${HOST}:${port}: ${error.message}`)),
    );
    probe.listen(port, HOST, () => probe.close(() => resolvePort()));
  });
}

function writeServerProperties(dataDir: string, port: number): string {
  const file = join(dataDir, 'server.properties');
  const lines = [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@${HOST}:${port + 1}`,
    `listeners=PLAINTEXT://${HOST}:${port},CONTROLLER://${HOST}:${port + 1}`,
    `advertised.listeners=PLAINTEXT://${HOST}:${port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${join(dataDir, 'logs')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'min.insync.replicas=1',
    // A new consumer group must be receiving at once, not after the default 3 s join delay.
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    'message.max.bytes=4194304',
    'log.retention.hours=24',
    'log.segment.bytes=67108864',
  ];
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function formatStorageOnce(dataDir: string, properties: string): void {
  if (existsSync(join(dataDir, 'logs', 'meta.properties'))) return;
  const result = spawnSync('java', ['-cp', `${libDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', randomUUID(), '-c', properties], { encoding: 'utf8' });
  if (result.status !== 0) throw new BrokerError(`formatting Kafka storage in ${dataDir} failed: ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' | ')}`);
}

function launchBroker(dataDir: string, properties: string): number {
  const log = openSync(logFile(dataDir), 'a');
  const child = spawn(
    'java',
    ['-Xms256m', '-Xmx512m', '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', `-Dkafka.logs.dir=${dataDir}`, `-Dlog4j2.configurationFile=${join(infraDir, 'log4j2.properties')}`, '-cp', `${libDir}/*`, 'kafka.Kafka', properties],
    { detached: true, stdio: ['ignore', log, log] },
  );
  closeSync(log);
  child.unref();
  if (child.pid === undefined) throw new BrokerError('could not start java for the Kafka broker');
  return child.pid;
}

async function waitUntilAnswering(port: number, pid: number, dataDir: string): Promise<void> {
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (!isKafkaProcess(pid)) throw new BrokerError(`the Kafka broker exited during start-up; last lines of ${logFile(dataDir)}:\n${lastLines(dataDir)}`);
    if (await answersMetadata(port)) return;
    await sleep(300);
  }
  throw new BrokerError(`the Kafka broker did not answer on ${HOST}:${port} within ${START_TIMEOUT_MS / 1000} s; last lines of ${logFile(dataDir)}:\n${lastLines(dataDir)}`);
}

async function answersMetadata(port: number): Promise<boolean> {
  const admin = new Admin({ clientId: 'stampede-kafka-probe', bootstrapBrokers: [`${HOST}:${port}`], retries: 0, timeout: 2_000 });
  try {
    await admin.metadata({ topics: [] });
    return true;
  } catch {
    return false;
  } finally {
    await admin.close().catch(() => undefined);
  }
}

function lastLines(dataDir: string, count = 20): string {
  try {
    return readFileSync(logFile(dataDir), 'utf8').trimEnd().split('\n').slice(-count).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isKafkaProcess(pid)) return true;
    await sleep(200);
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
