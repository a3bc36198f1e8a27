import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { KafkaSecurity } from '../bus/kafkaConnection.js';
import { BrokerError, BrokerSettingError } from './brokerErrors.js';
import { classArchive, classArchiveFlags, keepClassArchive } from './classArchive.js';
import type { Logger } from '../log/logger.js';

export type HostPort = { host: string; port: number };

/** One broker of the set: where it listens, what it tells clients, and its process when it runs. */
export type BrokerProcess = { nodeId: number; running: boolean; pid?: number; listen: string; address: string; controller: string; dir: string; startedAt?: string };

/** The broker set of a data dir. `address` is the bootstrap list clients use (every advertised address). */
export type RunningBroker = {
  running: true;
  pid: number;
  port: number;
  address: string;
  dataDir: string;
  startedAt?: string;
  brokers: BrokerProcess[];
  security: BrokerSecurity;
  /** Brokers listed but not running (one was killed): `kafka start` brings them back. */
  missing: number;
};
export type BrokerStatus = RunningBroker | { running: false; dataDir: string; brokers: BrokerProcess[] };

/** SASL (PLAIN and SCRAM-SHA-256/512 for this one user) and TLS on the client listener; the controller stays plaintext on loopback. */
export type BrokerSecurity = { saslUser?: string | undefined; tls: boolean };

export type StartOptions = {
  /** Where the (first) broker listens; further brokers take the next port pairs. */
  listen: HostPort;
  /** What the (first) broker tells clients; default: the listen address. */
  advertise?: HostPort | undefined;
  brokers?: number;
  saslUser?: string | undefined;
  /** The SASL user's password (from STAMPEDE_KAFKA_PASSWORD): written only to the broker's own files, mode 0600. */
  saslPassword?: string | undefined;
  tls?: boolean;
  dataDir: string;
  log?: Logger;
};

const CONTROLLER_HOST = '127.0.0.1';
const START_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const LOG_TAIL_LINES = 20;
const SASL_USER_PATTERN = /^[A-Za-z0-9._-]{1,100}$/;
/** Printable ASCII without space, quote or backslash: those would break the JAAS and --add-scram syntax the password is written in. */
const SASL_PASSWORD_PATTERN = /^[!#-[\]-~]{1,200}$/;

/** The code runs from dist/src/broker (or src/broker under a TS loader): both sit three levels below the package root. */
const infraDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'infra', 'kafka');
const libDir = join(infraDir, 'lib');

type BrokerLayout = { nodeId: number; listen: HostPort; advertise: HostPort; controllerPort: number };
type ClusterConfig = { clusterId: string; brokers: BrokerLayout[]; security: BrokerSecurity };

const clusterFile = (dataDir: string) => join(dataDir, 'cluster.json');
const pidFile = (dir: string) => join(dir, 'kafka.pid');
const stateFile = (dir: string) => join(dir, 'kafka.json');
const logFile = (dir: string) => join(dir, 'broker.log');
const propertiesFile = (dir: string) => join(dir, 'server.properties');
const tlsDir = (dataDir: string) => join(dataDir, 'tls');
/** The certificate clients trust for `--tls` (pass it as --kafka-ca). */
export const brokerCertificate = (dataDir: string) => join(tlsDir(resolve(dataDir)), 'broker-cert.pem');
const hostPort = ({ host, port }: HostPort) => `${host.includes(':') ? `[${host}]` : host}:${port}`;
/** One broker keeps the old layout (files in the data dir itself); a cluster puts each broker in broker-N/. */
const brokerDir = (dataDir: string, nodeId: number, count: number) => (count === 1 ? dataDir : join(dataDir, `broker-${nodeId}`));

/**
 * Starts the broker set unless it runs; brokers of a running set that are down (killed) are started
 * again with their old configuration and rejoin. Resolves once every broker answers a metadata request.
 */
export async function startKafka(options: StartOptions): Promise<{ alreadyRunning: boolean; status: RunningBroker }> {
  const { log } = options;
  const dataDir = resolve(options.dataDir);
  const current = kafkaStatus({ dataDir });
  if (current.running && current.missing === 0) {
    const security = probeSecurity(current.security, options.saslPassword, dataDir);
    await Promise.all(current.brokers.map((broker) => waitUntilAnswering(broker, security)));
    return { alreadyRunning: true, status: current };
  }
  requireCommand('java', 'Java 17 or newer runs the embedded Kafka broker (scripts/ensure-system-packages.sh installs it)');
  ensureJars(log);
  const config = current.running ? readClusterConfig(dataDir)! : await configureCluster(options, dataDir);
  const security = probeSecurity(config.security, options.saslPassword, dataDir);
  const toStart = config.brokers.filter((layout) => !current.brokers.some((b) => b.nodeId === layout.nodeId && b.running));
  for (const layout of toStart) {
    await requireFreePort(layout.listen, 'the Kafka port');
    await requireFreePort({ host: CONTROLLER_HOST, port: layout.controllerPort }, 'the Kafka controller port (port + 1)');
  }
  const startedAt = new Date();
  const launched = toStart.map((layout) => launchBroker(brokerDir(dataDir, layout.nodeId, config.brokers.length), config.brokers.length, startedAt));
  const status = kafkaStatus({ dataDir });
  await Promise.all(status.brokers.map((broker) => waitUntilAnswering(broker, security)));
  log?.debug({ brokerPids: launched, dataDir, startMs: Date.now() - startedAt.getTime() }, 'kafka brokers answering');
  const final = kafkaStatus({ dataDir });
  if (!final.running) throw new BrokerError(`the Kafka brokers in ${dataDir} exited right after answering; see broker.log`);
  return { alreadyRunning: false, status: final };
}

/** SIGTERM to every broker (a clean shutdown), then SIGKILL after 20 s; only ever to the pids our pid files name. */
export async function stopKafka(options: { dataDir: string; log?: Logger }): Promise<{ wasRunning: boolean; pid?: number; pids: number[]; killed?: boolean }> {
  const dataDir = resolve(options.dataDir);
  const running = kafkaStatus({ dataDir }).brokers.filter((broker) => broker.running);
  if (running.length === 0) {
    forgetAll(dataDir);
    return { wasRunning: false, pids: [] };
  }
  const results = await Promise.all(running.map((broker) => stopBroker(broker, options.log)));
  forgetAll(dataDir);
  const pids = running.map((broker) => broker.pid!);
  return { wasRunning: true, pid: pids[0]!, pids, killed: results.some((killed) => killed) };
}

/** Running means: the pid file names a live java kafka.Kafka started with this broker's properties. */
export function kafkaStatus(options: { dataDir: string }): BrokerStatus {
  const dataDir = resolve(options.dataDir);
  const config = readClusterConfig(dataDir);
  if (!config) return { running: false, dataDir, brokers: [] };
  const brokers = config.brokers.map((layout): BrokerProcess => {
    const dir = brokerDir(dataDir, layout.nodeId, config.brokers.length);
    const pid = readPid(dir);
    const running = pid !== undefined && isOurBroker(pid, dir);
    const startedAt = running ? readState(dir)?.startedAt : undefined;
    const where = { listen: hostPort(layout.listen), address: hostPort(layout.advertise), controller: hostPort({ host: CONTROLLER_HOST, port: layout.controllerPort }), dir };
    return { nodeId: layout.nodeId, running, ...(running ? { pid } : {}), ...where, ...(startedAt ? { startedAt } : {}) };
  });
  const first = brokers.find((broker) => broker.running);
  if (!first) return { running: false, dataDir, brokers };
  return {
    running: true,
    pid: first.pid!,
    port: config.brokers[0]!.advertise.port,
    address: brokers.map((broker) => broker.address).join(','),
    dataDir,
    ...(first.startedAt ? { startedAt: first.startedAt } : {}),
    brokers,
    security: config.security,
    missing: brokers.filter((broker) => !broker.running).length,
  };
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

function requestedSecurity(options: StartOptions): BrokerSecurity {
  return { ...(options.saslUser === undefined ? {} : { saslUser: options.saslUser }), tls: options.tls === true };
}

/** How our own readiness probe connects: as the broker's SASL user, trusting its generated certificate. */
function probeSecurity(security: BrokerSecurity, password: string | undefined, dataDir: string): KafkaSecurity | undefined {
  if (security.saslUser !== undefined && password === undefined) {
    throw new BrokerSettingError(`the broker in ${dataDir} uses SASL (user ${security.saslUser}): set STAMPEDE_KAFKA_PASSWORD to its password`);
  }
  const sasl = security.saslUser !== undefined ? { mechanism: 'SCRAM-SHA-256' as const, username: security.saslUser, password: password! } : undefined;
  const tls = security.tls ? { ca: existsSync(brokerCertificate(dataDir)) ? readFileSync(brokerCertificate(dataDir), 'utf8') : undefined } : undefined;
  return sasl || tls ? { sasl, tls } : undefined;
}

/** Lays the brokers out on consecutive port pairs, writes their properties and formats their storage (once). */
async function configureCluster(options: StartOptions, dataDir: string): Promise<ClusterConfig> {
  const count = options.brokers ?? 1;
  if (count !== 1 && count !== 3) throw new BrokerSettingError(`--brokers must be 1 or 3, got ${count}`);
  const advertise = options.advertise ?? options.listen;
  if (isWildcard(advertise.host)) throw new BrokerSettingError(`--advertise must be an address clients can reach, not ${advertise.host} (give --advertise HOST:PORT when listening on ${options.listen.host})`);
  requireValidPort(options.listen.port + 2 * (count - 1), '--listen');
  requireValidPort(advertise.port + 2 * (count - 1), '--advertise');
  const security = requestedSecurity(options);
  requireSaslCredentials(options);
  const previous = readClusterConfig(dataDir);
  if (previous && previous.brokers.length !== count) {
    throw new BrokerSettingError(`${dataDir} holds a ${previous.brokers.length}-broker cluster; use another --data-dir for ${count} broker${count === 1 ? '' : 's'}`);
  }
  if (previous && previous.security.saslUser !== security.saslUser) {
    throw new BrokerSettingError(`${dataDir} was formatted ${previous.security.saslUser ? `for SASL user ${previous.security.saslUser}` : 'without SASL'}; use another --data-dir`);
  }
  const brokers = Array.from({ length: count }, (_, index): BrokerLayout => ({
    nodeId: index + 1,
    listen: { host: options.listen.host, port: options.listen.port + 2 * index },
    advertise: { host: advertise.host, port: advertise.port + 2 * index },
    controllerPort: options.listen.port + 2 * index + 1,
  }));
  const config: ClusterConfig = { clusterId: previous?.clusterId ?? newClusterId(), brokers, security };
  mkdirSync(dataDir, { recursive: true });
  const tlsStores = security.tls ? ensureTlsStores(dataDir, brokers) : undefined;
  for (const layout of brokers) {
    const dir = brokerDir(dataDir, layout.nodeId, count);
    mkdirSync(dir, { recursive: true });
    writeServerProperties(dir, layout, config, options.saslPassword, tlsStores);
    formatStorageOnce(dir, config, options.saslPassword, options.log);
  }
  writeFileSync(clusterFile(dataDir), JSON.stringify(config, null, 2) + '\n');
  return config;
}

function requireSaslCredentials(options: StartOptions): void {
  if (options.saslUser === undefined) return;
  if (!SASL_USER_PATTERN.test(options.saslUser)) throw new BrokerSettingError(`--sasl-user must be 1-100 letters, digits, '.', '_' or '-', got "${options.saslUser}"`);
  if (options.saslPassword === undefined) throw new BrokerSettingError('--sasl-user needs the password in STAMPEDE_KAFKA_PASSWORD (never a flag)');
  if (!SASL_PASSWORD_PATTERN.test(options.saslPassword)) throw new BrokerSettingError('STAMPEDE_KAFKA_PASSWORD must be 1-200 printable ASCII characters without spaces, quotes or backslashes');
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

function requireValidPort(port: number, flag: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65534) throw new BrokerSettingError(`${flag}: the Kafka port must be 1 to 65534 (the controller uses port + 1; a cluster takes consecutive pairs), got ${port}`);
}

function requireCommand(command: string, hint: string): void {
  const found = (process.env.PATH ?? '').split(delimiter).some((dir) => dir !== '' && existsSync(join(dir, command)));
  if (!found) throw new BrokerError(`${command} not found on PATH: ${hint}`);
}

function requireFreePort(where: HostPort, what: string): Promise<void> {
  return new Promise((done, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new BrokerError(error.code === 'EADDRINUSE' ? `${what} ${hostPort(where)} is already in use by another program` : `cannot listen on ${what} ${hostPort(where)}: ${error.message}`)),
    );
    probe.listen(where.port, where.host, () => probe.close(() => done()));
  });
}

type TlsStores = { keystore: string; truststore: string; password: string };

function listenerName(security: BrokerSecurity): string {
  return `${security.saslUser !== undefined ? 'SASL_' : ''}${security.tls ? 'SSL' : 'PLAINTEXT'}`;
}

function writeServerProperties(dir: string, layout: BrokerLayout, config: ClusterConfig, password: string | undefined, tls: TlsStores | undefined): void {
  const count = config.brokers.length;
  const replicas = Math.min(3, count);
  const minInSync = replicas >= 3 ? 2 : 1;
  const client = listenerName(config.security);
  const voters = config.brokers.map((b) => `${b.nodeId}@${hostPort({ host: CONTROLLER_HOST, port: b.controllerPort })}`).join(',');
  const lines = [
    'process.roles=broker,controller',
    `node.id=${layout.nodeId}`,
    `controller.quorum.voters=${voters}`,
    `listeners=${client}://${hostPort(layout.listen)},CONTROLLER://${hostPort({ host: CONTROLLER_HOST, port: layout.controllerPort })}`,
    `advertised.listeners=${client}://${hostPort(layout.advertise)}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=${client}:${client},CONTROLLER:PLAINTEXT`,
    `inter.broker.listener.name=${client}`,
    `log.dirs=${join(dir, 'logs')}`,
    'num.partitions=1',
    `default.replication.factor=${replicas}`,
    `offsets.topic.replication.factor=${replicas}`,
    'offsets.topic.num.partitions=1',
    `transaction.state.log.replication.factor=${replicas}`,
    `transaction.state.log.min.isr=${minInSync}`,
    `share.coordinator.state.topic.replication.factor=${replicas}`,
    `share.coordinator.state.topic.min.isr=${minInSync}`,
    `min.insync.replicas=${minInSync}`,
    // A new consumer group must receive at once, not after the default 3 s join delay.
    'group.initial.rebalance.delay.ms=0',
    // After a SIGKILL the old incarnation's registration blocks the new one (DuplicateBrokerRegistration)
    // until its session expires: 9 s by default, 3 s here. The broker heartbeats its own controller in
    // the same JVM, so a short session costs nothing; see docs/decisions.md. In a cluster the session
    // is shorter still: a killed broker is fenced (its partitions get new leaders) after 1.5 s.
    ...(count > 1 ? ['broker.session.timeout.ms=1500', 'broker.heartbeat.interval.ms=250', 'controller.quorum.fetch.timeout.ms=1000', 'controller.quorum.election.timeout.ms=500'] : ['broker.session.timeout.ms=3000', 'broker.heartbeat.interval.ms=500']),
    'auto.create.topics.enable=true',
    'message.max.bytes=4194304',
    // A load tester's own traffic is disposable: keep the disk small.
    'log.retention.hours=24',
    'log.retention.bytes=268435456',
    'log.segment.bytes=67108864',
    ...saslProperties(client, config.security.saslUser, password),
    ...tlsProperties(tls),
  ];
  writeFileSync(propertiesFile(dir), lines.join('\n') + '\n', { mode: 0o600 });
  chmodSync(propertiesFile(dir), 0o600);
}

/** PLAIN and SCRAM for the one user; brokers speak PLAIN among themselves (no dependency on SCRAM metadata while the quorum forms). */
function saslProperties(listener: string, user: string | undefined, password: string | undefined): string[] {
  if (user === undefined || password === undefined) return [];
  const prefix = `listener.name.${listener.toLowerCase()}`;
  const scram = `org.apache.kafka.common.security.scram.ScramLoginModule required username="${user}" password="${password}";`;
  return [
    'sasl.enabled.mechanisms=PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    'sasl.mechanism.inter.broker.protocol=PLAIN',
    `${prefix}.plain.sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required username="${user}" password="${password}" user_${user}="${password}";`,
    `${prefix}.scram-sha-256.sasl.jaas.config=${scram}`,
    `${prefix}.scram-sha-512.sasl.jaas.config=${scram}`,
  ];
}

function tlsProperties(tls: TlsStores | undefined): string[] {
  if (!tls) return [];
  return [
    'ssl.keystore.type=PKCS12',
    `ssl.keystore.location=${tls.keystore}`,
    `ssl.keystore.password=${tls.password}`,
    `ssl.key.password=${tls.password}`,
    'ssl.truststore.type=PKCS12',
    `ssl.truststore.location=${tls.truststore}`,
    `ssl.truststore.password=${tls.password}`,
  ];
}

/**
 * A self-signed certificate for every address a client may use (each advertised host, localhost), made
 * once with the JDK's keytool; clients trust it through --kafka-ca <data dir>/tls/broker-cert.pem.
 */
function ensureTlsStores(dataDir: string, brokers: BrokerLayout[]): TlsStores {
  const dir = tlsDir(dataDir);
  const stores = { keystore: join(dir, 'broker.p12'), truststore: join(dir, 'trust.p12'), passwordFile: join(dir, 'store-password') };
  if (existsSync(stores.keystore) && existsSync(stores.truststore) && existsSync(brokerCertificate(dataDir))) {
    return { keystore: stores.keystore, truststore: stores.truststore, password: readFileSync(stores.passwordFile, 'utf8').trim() };
  }
  requireCommand('keytool', 'the JDK\'s keytool makes the broker\'s self-signed certificate');
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const password = randomBytes(18).toString('base64url');
  writeFileSync(stores.passwordFile, password + '\n', { mode: 0o600 });
  const hosts = new Set(['localhost', '127.0.0.1', ...brokers.map((b) => b.advertise.host)]);
  const san = [...hosts].map((host) => (/^[\d.]+$|:/.test(host) ? `ip:${host}` : `dns:${host}`)).join(',');
  const keytool = (args: string[]) => {
    const result = spawnSync('keytool', args, { encoding: 'utf8' });
    if (result.status !== 0) throw new BrokerError(`keytool ${args[0]} failed: ${tail(result.stderr || result.stdout, 3, ' | ')}`);
  };
  keytool(['-genkeypair', '-alias', 'stampede-kafka', '-keyalg', 'RSA', '-keysize', '2048', '-validity', '3650', '-dname', 'CN=stampede-kafka', '-ext', `SAN=${san}`, '-storetype', 'PKCS12', '-keystore', stores.keystore, '-storepass', password, '-keypass', password]);
  keytool(['-exportcert', '-rfc', '-alias', 'stampede-kafka', '-keystore', stores.keystore, '-storepass', password, '-file', brokerCertificate(dataDir)]);
  keytool(['-importcert', '-noprompt', '-alias', 'stampede-kafka', '-file', brokerCertificate(dataDir), '-storetype', 'PKCS12', '-keystore', stores.truststore, '-storepass', password]);
  return { keystore: stores.keystore, truststore: stores.truststore, password };
}

/** SCRAM credentials live in the cluster metadata: in KRaft they are added when the storage is formatted. */
function formatStorageOnce(dir: string, config: ClusterConfig, password: string | undefined, log?: Logger): void {
  if (existsSync(join(dir, 'logs', 'meta.properties'))) return;
  const user = config.security.saslUser;
  const scram = user !== undefined && password !== undefined ? ['SCRAM-SHA-256', 'SCRAM-SHA-512'].flatMap((m) => ['--add-scram', `${m}=[name=${user},password="${password}"]`]) : [];
  const shared = classArchiveFlags(classArchive(libDir, dir), { writeDraft: false });
  const result = spawnSync('java', [...shared, '-cp', `${libDir}/*`, 'kafka.tools.StorageTool', 'format', '-t', config.clusterId, '-c', propertiesFile(dir), ...scram], { encoding: 'utf8' });
  if (result.status !== 0) throw new BrokerError(`formatting Kafka storage in ${dir} failed: ${tail(result.stderr || result.stdout, 3, ' | ')}`);
  log?.debug({ dir, clusterId: config.clusterId }, 'kafka storage formatted');
}

/** Kafka's own form (as `kafka-storage random-uuid`): 16 random bytes in URL-safe base64, never led by '-', which would read as a flag. */
function newClusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

function launchBroker(dir: string, count: number, startedAt: Date): number {
  const output = openSync(logFile(dir), 'a');
  // Three JVMs share the machine with the load: each gets less heap than a lone broker.
  const heap = count === 1 ? ['-Xms256m', '-Xmx512m'] : ['-Xms128m', '-Xmx384m'];
  const jvm = [...heap, '-XX:+UseSerialGC', '-Djava.awt.headless=true', ...classArchiveFlags(classArchive(libDir, dir), { writeDraft: true })];
  const logging = [`-Dkafka.logs.dir=${dir}`, `-Dlog4j2.configurationFile=${join(infraDir, 'log4j2.properties')}`];
  const child = spawn('java', [...jvm, ...logging, '-cp', `${libDir}/*`, 'kafka.Kafka', propertiesFile(dir)], { detached: true, stdio: ['ignore', output, output] });
  closeSync(output);
  child.unref();
  if (child.pid === undefined) throw new BrokerError('could not start java for the Kafka broker');
  writeFileSync(pidFile(dir), `${child.pid}\n`);
  writeFileSync(stateFile(dir), JSON.stringify({ pid: child.pid, startedAt: startedAt.toISOString() }) + '\n');
  return child.pid;
}

/** Loads the Kafka client only here: `kafka stop`, `kafka status` and a mistaken flag need none of its 30 MB and 0.3 s. */
async function waitUntilAnswering(broker: BrokerProcess, security: KafkaSecurity | undefined): Promise<void> {
  const { answersMetadata } = await import('../bus/metadataProbe.js');
  const { pid, dir } = broker;
  const deadline = Date.now() + START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (pid === undefined || !isOurBroker(pid, dir)) {
      forgetBroker(dir);
      throw new BrokerError(`the Kafka broker ${broker.nodeId} (pid ${pid}) exited during start-up; last lines of ${logFile(dir)}:\n${logTail(dir)}`);
    }
    if (await answersMetadata(broker.address, security)) return;
    await sleep(250);
  }
  const stopHint = `it still runs: \`stampede kafka stop\` with this --data-dir ends it`;
  throw new BrokerError(`the Kafka broker ${broker.nodeId} (pid ${pid}) did not answer on ${broker.address} within ${START_TIMEOUT_MS / 1000} s (${stopHint}); last lines of ${logFile(dir)}:\n${logTail(dir)}`);
}

async function stopBroker(broker: BrokerProcess, log?: Logger): Promise<boolean> {
  const pid = broker.pid!;
  const archive = classArchive(libDir, broker.dir);
  const writesDraft = archive !== undefined && commandLine(pid).includes(`-XX:ArchiveClassesAtExit=${archive.draft}`);
  signal(pid, 'SIGTERM');
  const killed = !(await waitForExit(pid, broker.dir, STOP_TIMEOUT_MS));
  if (killed) {
    log?.warn({ brokerPid: pid }, `kafka broker still running ${STOP_TIMEOUT_MS / 1000} s after SIGTERM; sending SIGKILL`);
    signal(pid, 'SIGKILL');
    await waitForExit(pid, broker.dir, 5_000);
  } else if (writesDraft) {
    keepClassArchive(archive);
  }
  return killed;
}

function readClusterConfig(dataDir: string): ClusterConfig | undefined {
  try {
    return JSON.parse(readFileSync(clusterFile(dataDir), 'utf8')) as ClusterConfig;
  } catch {
    return undefined;
  }
}

function readPid(dir: string): number | undefined {
  try {
    const pid = Number(readFileSync(pidFile(dir), 'utf8').trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function readState(dir: string): { startedAt?: string } | undefined {
  try {
    return JSON.parse(readFileSync(stateFile(dir), 'utf8')) as { startedAt?: string };
  } catch {
    return undefined;
  }
}

/** A pid can be reused after a reboot: trust it only while its command line is our java kafka.Kafka. */
function isOurBroker(pid: number, dir: string): boolean {
  const args = commandLine(pid);
  return (args[0] ?? '').endsWith('java') && args.includes('kafka.Kafka') && args.includes(propertiesFile(dir));
}

/** A process's arguments; none once it has exited. */
function commandLine(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

async function waitForExit(pid: number, dir: string, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!isOurBroker(pid, dir)) return true;
    await sleep(200);
  }
  return false;
}

function forgetBroker(dir: string): void {
  rmSync(pidFile(dir), { force: true });
  rmSync(stateFile(dir), { force: true });
}

function forgetAll(dataDir: string): void {
  const config = readClusterConfig(dataDir);
  for (const layout of config?.brokers ?? []) forgetBroker(brokerDir(dataDir, layout.nodeId, config!.brokers.length));
}

function logTail(dir: string): string {
  try {
    return tail(readFileSync(logFile(dir), 'utf8'), LOG_TAIL_LINES, '\n');
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
