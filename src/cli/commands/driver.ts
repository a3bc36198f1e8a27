import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { commandSecrets } from '../commandSecrets.js';
import { applyLogFormat, logFormatHelp, LOG_FORMAT_OPTION, parseCommandFlags, parseFlags, parseHostPort, parsePositiveInt, requireString } from '../args.js';
import { watchInterrupt } from '../interrupt.js';
import { KAFKA_FLAGS, KAFKA_FLAGS_HELP, parseKafkaFlags } from '../kafkaFlags.js';
import { UsageError } from '../usageError.js';
import { loadWithSmallYoungGeneration } from '../youngGeneration.js';
import type { DriverNode, DriverNodeOptions } from '../../driver/driverNode.js';
import type { WorkersSetting } from '../../driver/loadEngines.js';
import { DEFAULT_CONCURRENCY } from '../../driver/load/index.js';
import { createLogger } from '../../log/logger.js';
import { newNodeId } from '../../protocol/ids.js';

const USAGE = `Usage: stampede driver --kafka HOST:PORT --orchestrator HOST:PORT [options]

A driver node: registers through Kafka, heartbeats every second, runs a test when triggered
(TSUNAMI: fixed gap between request starts; AVALANCHE: as fast as allowed), and publishes its
metrics every 500 ms and once more at the end. Every report is stored (--store) before it is
published and kept until Kafka acknowledges it, however long Kafka is away; what is still
unpublished when the driver stops goes out when it starts again with the same store.
SIGINT/SIGTERM abort a running test, publish its final report, deregister and exit 0.

Options:
${KAFKA_FLAGS_HELP}
  --orchestrator HOST:PORT  the orchestrator's address (required; logged, all traffic goes via Kafka)
  --id ID                   this node's unique id (default: generated, e.g. driver-1a2b3c4d5e6f7a8b)
  --store FILE              the driver's store and report outbox (default .stampede/driver-<id>.db)
  --target URL              target for tests whose config names no target_url
  --concurrency N           AVALANCHE: most requests in flight, unless the test says (default ${DEFAULT_CONCURRENCY})
  --workers N|auto          worker threads that send the load, each with its own connections and
                            its share of the schedule; the main thread keeps Kafka, reports and
                            the store. 1 (the default): the load runs on the driver's own thread;
                            auto: this host's cores shared by the drivers running on it, counted
                            at each test's start (one driver on 8 cores: 8; four: 2 each)
  --listen HOST:PORT        address of /health and /metrics, published as node_IP; port 0 picks
                            a free one (default 127.0.0.1:0). On 0.0.0.0 (or ::) the node_IP is
                            this host's address on the route to the first Kafka broker
  --ca-file FILE            PEM certificate(s) of a private CA to trust for https targets, besides
                            the system's (repeatable); a test's tls_insecure accepts any certificate
  --secret-file FILE        shared secret of the orchestrator (one per line; repeatable): obey only
                            test_config, trigger and control signed with it within 60 s. Without it
                            (or STAMPEDE_SECRET) the driver obeys unsigned commands, as the spec has them
${logFormatHelp(28)}
  -h, --help                show this help

Logs: on stderr (STAMPEDE_LOG_LEVEL=debug for detail). Stdout gets one line once registered.`;

const OPTIONS = {
  ...KAFKA_FLAGS,
  orchestrator: { type: 'string' },
  id: { type: 'string' },
  store: { type: 'string' },
  target: { type: 'string' },
  concurrency: { type: 'string' },
  workers: { type: 'string' },
  listen: { type: 'string' },
  'secret-file': { type: 'string', multiple: true },
  'ca-file': { type: 'string', multiple: true },
  ...LOG_FORMAT_OPTION,
} as const;

/** The id names the store file, so it is kept to characters safe in a file name. */
const NODE_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,199}$/;
/** Shutdown waits for the final report; a stuck handle after that must not keep the process alive. */
const EXIT_AFTER_STOP_MS = 3_000;

type FlagValues = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];
type Settings = Omit<DriverNodeOptions, 'log'> & { kafka: string };

function parseNodeId(value: string | undefined): string {
  if (value === undefined) return newNodeId('driver');
  if (!NODE_ID_PATTERN.test(value)) throw new UsageError(`--id must be 1-200 letters, digits, '.', '_' or '-' (starting with a letter or digit), got "${value}"`);
  return value;
}

function parseTarget(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`--target must be an http(s) URL, got "${value}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new UsageError(`--target must be an http(s) URL, got "${value}"`);
  return url.href;
}

/** 1 (the default): the driver's own thread; `auto`: the host's cores shared with its other drivers. */
function parseWorkers(value: string | undefined): WorkersSetting {
  if (value === undefined) return 1;
  if (value === 'auto') return 'auto';
  const workers = Number(value);
  if (!Number.isInteger(workers) || workers <= 0) throw new UsageError(`--workers must be a positive integer or auto, got "${value}"`);
  return workers;
}

/** Like HOST:PORT elsewhere, but port 0 (any free port) is allowed. */
function parseListen(value: string | undefined): { host: string; port: number } {
  if (value === undefined) return { host: '127.0.0.1', port: 0 };
  const anyPort = /^(.+):0$/.exec(value);
  if (anyPort?.[1]) return { host: parseHostPort(`${anyPort[1]}:1`, 'listen').host, port: 0 };
  return parseHostPort(value, 'listen');
}

function parseSettings(values: FlagValues): Settings {
  const kafka = requireString(values.kafka, 'kafka');
  const { brokers, security } = parseKafkaFlags(values);
  const orchestrator = requireString(values.orchestrator, 'orchestrator');
  parseHostPort(orchestrator, 'orchestrator');
  const nodeId = parseNodeId(values.id);
  if (values.store === '') throw new UsageError('--store must not be empty');
  return {
    kafka,
    brokers,
    security,
    orchestrator,
    nodeId,
    storeFile: values.store ?? join('.stampede', `driver-${nodeId}.db`),
    defaultTarget: parseTarget(values.target),
    defaultConcurrency: parsePositiveInt(values.concurrency, 'concurrency', DEFAULT_CONCURRENCY),
    workers: parseWorkers(values.workers),
    listen: parseListen(values.listen),
    secrets: commandSecrets(values['secret-file']),
    caCertificates: readCaFiles(values['ca-file']),
  };
}

/** The PEM files of --ca-file, read once at start: a file that is missing or holds no certificate is a bad flag. */
function readCaFiles(files: string[] | undefined): Buffer | undefined {
  if (!files || files.length === 0) return undefined;
  return Buffer.concat(
    files.map((file) => {
      let pem: Buffer;
      try {
        pem = readFileSync(file);
      } catch (error) {
        throw new UsageError(`--ca-file ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
      }
      if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new UsageError(`--ca-file ${file} holds no PEM certificate (-----BEGIN CERTIFICATE-----)`);
      return Buffer.concat([pem, Buffer.from('\n')]);
    }),
  );
}

/**
 * The driver's modules (the Kafka client, zod, SQLite, the HTTP client) load once the flags are good: help and a
 * flag mistake answer at once.
 */
function loadDriverProgram() {
  return loadWithSmallYoungGeneration(async () => {
    const [{ DriverNode }, { KafkaWaitAbortedError }] = await Promise.all([import('../../driver/driverNode.js'), import('../../bus/index.js')]);
    return { DriverNode, KafkaWaitAbortedError };
  });
}

/** An error's first line: the user's message; the rest (a cause, a stack) goes to the debug log. */
function firstLine(text: string): string {
  return text.split('\n')[0] ?? text;
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, OPTIONS, USAGE, 'driver');
  if (!values) return 0;
  applyLogFormat(values['log-format']);
  const settings = parseSettings(values);
  const { DriverNode, KafkaWaitAbortedError } = await loadDriverProgram();
  const log = createLogger('driver', { node_id: settings.nodeId });
  const stopSignal = watchInterrupt().signaled;
  const stopWaiting = new AbortController();
  void stopSignal.then(() => stopWaiting.abort());
  let node: DriverNode;
  try {
    node = await DriverNode.start({ ...settings, log, signal: stopWaiting.signal });
  } catch (error) {
    if (error instanceof KafkaWaitAbortedError) return 0;
    // Startup fails on the outside world (Kafka down, port taken): one line for the user, the stack in the log.
    log.debug({ err: error }, 'driver failed to start');
    console.error(`stampede driver: ${firstLine((error as Error).message)}`);
    return 1;
  }
  console.log(`driver ${node.nodeId} registered (kafka ${settings.kafka})`);

  const signal = await stopSignal;
  await node.stop(`received ${signal}`);
  setTimeout(() => process.exit(0), EXIT_AFTER_STOP_MS).unref();
  return 0;
}
