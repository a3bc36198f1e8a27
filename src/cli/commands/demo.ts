import { mkdirSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { applyLogFormat, logFormatHelp, LOG_FORMAT_OPTION, parseCommandFlags, parseFlags, parseHostPort, parsePositiveInt } from '../args.js';
import { ServiceStartError, startChildService, type ChildService } from '../demo/childService.js';
import { ensureDemoKafka, type DemoKafka } from '../demo/demoKafka.js';
import { requireFreePort } from '../demo/ports.js';
import { watchInterrupt, type Interrupt } from '../interrupt.js';
import { OrchestratorClient, OrchestratorError, type CreateTestBody } from '../run/orchestratorClient.js';
import { createProgressView } from '../run/progressView.js';
import { summaryTable } from '../run/summaryTable.js';
import { runTestSession } from '../run/testSession.js';
import { UnreachableError, UsageError } from '../usageError.js';

const USAGE = `Usage: stampede demo [--drivers N] [--exit] [--kafka-port 9092] [--port 7070] [--target-port 8080]

Everything on one machine: the embedded Kafka broker, the target server, the orchestrator and N
drivers as child processes; then a TSUNAMI and an AVALANCHE test with live progress and summaries,
and the dashboard's address. Keeps running until Ctrl-C (or exits at once with --exit), then stops
every process it started, and Kafka only if it started it. Child logs: .stampede/demo-logs/<name>.log (JSON unless --log-format pretty).

Options:
  --drivers N         driver processes to start (default 2)
  --exit              stop everything and exit after the two tests
  --kafka-port PORT   the Kafka broker's port (default 9092). A broker the demo did not start is
                      used only when this flag names its port; on the default port it is left
                      alone and the demo starts its own on a free port
  --port PORT         the orchestrator's REST API and dashboard (default 7070)
  --target-port PORT  the target server (default 8080)
${logFormatHelp(22)}
  -h, --help          show this help`;

const OPTIONS = {
  drivers: { type: 'string' },
  exit: { type: 'boolean' },
  'kafka-port': { type: 'string' },
  port: { type: 'string' },
  'target-port': { type: 'string' },
  ...LOG_FORMAT_OPTION,
} as const;

const LOG_DIR = '.stampede/demo-logs';
const ORCHESTRATOR_STORE = '.stampede/demo-orchestrator.db';
const READY_TIMEOUT_MS = 60_000;
const DRIVERS_ALIVE_TIMEOUT_MS = 30_000;
const MAX_DRIVERS = 64;
const EXIT_INTERRUPTED = 130;

type FlagValues = ReturnType<typeof parseFlags<typeof OPTIONS>>['values'];
type Settings = { drivers: number; exitAfterTests: boolean; kafkaPort: number; kafkaPortGiven: boolean; port: number; targetPort: number };
type DemoTest = { title: string; body: Omit<CreateTestBody, 'target_url' | 'drivers' | 'trigger'> };

const DEMO_TESTS: DemoTest[] = [
  // 100 warm-up requests 10 ms apart last a second: long enough for the live view to show the warm-up.
  {
    title: 'TSUNAMI: 200 requests per driver, one every 10 ms, after 100 warm-up requests',
    body: { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 200, warmup_count_per_driver: 100 },
  },
  {
    title: 'AVALANCHE: 5,000 requests per driver, no rate cap, after 500 warm-up requests',
    body: { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 5_000, warmup_count_per_driver: 500 },
  },
];

/** Raised when Ctrl-C arrives while the demo is still starting or testing. */
class Interrupted extends Error {
  override readonly name = 'Interrupted';
}

function parsePort(value: string | undefined, flag: string, fallback: number): number {
  return value === undefined ? fallback : parseHostPort(`127.0.0.1:${value}`, flag).port;
}

function parseSettings(values: FlagValues): Settings {
  const drivers = parsePositiveInt(values.drivers, 'drivers', 2);
  if (drivers > MAX_DRIVERS) throw new UsageError(`--drivers must be at most ${MAX_DRIVERS}, got ${drivers}`);
  const settings = {
    drivers,
    exitAfterTests: values.exit ?? false,
    kafkaPort: parsePort(values['kafka-port'], 'kafka-port', 9092),
    kafkaPortGiven: values['kafka-port'] !== undefined,
    port: parsePort(values.port, 'port', 7070),
    targetPort: parsePort(values['target-port'], 'target-port', 8080),
  };
  if (settings.port === settings.targetPort) throw new UsageError(`--port and --target-port must differ, both are ${settings.port}`);
  if ([settings.port, settings.targetPort].includes(settings.kafkaPort)) throw new UsageError(`--kafka-port ${settings.kafkaPort} is also given as --port or --target-port`);
  return settings;
}

/** Everything the demo started, stopped in reverse order of starting. */
class StartedProcesses {
  readonly #stops: { name: string; stop: () => Promise<void> }[] = [];

  add(name: string, stop: () => Promise<void>): void {
    this.#stops.push({ name, stop });
  }

  async stopAll(): Promise<void> {
    for (const { name, stop } of this.#stops.splice(0).reverse()) {
      await stop().catch((error: Error) => console.error(`stampede demo: stopping ${name} failed: ${error.message}`));
    }
  }
}

function untilInterrupted<T>(work: Promise<T>, interrupt: Interrupt): Promise<T> {
  return Promise.race([work, interrupt.signaled.then(() => Promise.reject(new Interrupted()))]);
}

async function startKafka(settings: Settings, started: StartedProcesses): Promise<DemoKafka> {
  const kafka = await ensureDemoKafka(settings.kafkaPort, settings.kafkaPortGiven, (line) => console.log(`kafka         ${line}`));
  if (kafka.startedByDemo) {
    started.add('kafka', kafka.release);
    console.log(`kafka         started at ${kafka.brokers} (pid ${kafka.pid})`);
  }
  return kafka;
}

async function startService(name: string, args: string[], ready: RegExp, started: StartedProcesses): Promise<{ service: ChildService; match: RegExpMatchArray }> {
  const service = startChildService(name, args, LOG_DIR);
  started.add(name, service.stop);
  const match = await service.waitForOutput(ready, READY_TIMEOUT_MS);
  console.log(`${name.padEnd(13)} pid ${service.pid}  (log ${service.logFile})`);
  return { service, match };
}

/**
 * Each demo begins with an empty orchestrator store: the store keeps Kafka offsets, and offsets saved
 * against another broker (or a since-deleted one) are out of range on this one, which stalls metrics.
 */
function forgetEarlierDemo(): void {
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${ORCHESTRATOR_STORE}${suffix}`, { force: true });
}

async function startCluster(settings: Settings, brokers: string, started: StartedProcesses): Promise<{ targetUrl: string; driverIds: string[] }> {
  const target = await startService('target', ['target', '--port', String(settings.targetPort)], /target listening on (http:\/\/\S+)/, started);
  const targetUrl = `${target.match[1]}/ping`;
  const orchestratorAddress = `127.0.0.1:${settings.port}`;
  forgetEarlierDemo();
  await startService('orchestrator', ['orchestrator', '--kafka', brokers, '--orchestrator', orchestratorAddress, '--store', ORCHESTRATOR_STORE], /orchestrator listening on/, started);
  const driverIds = Array.from({ length: settings.drivers }, (_, i) => `demo-driver-${i + 1}`);
  await Promise.all(
    driverIds.map((id) =>
      startService(id, ['driver', '--kafka', brokers, '--orchestrator', orchestratorAddress, '--id', id, '--store', `.stampede/${id}.db`, '--target', targetUrl], /registered/, started),
    ),
  );
  return { targetUrl, driverIds };
}

async function waitForDriversAlive(client: OrchestratorClient, driverIds: string[]): Promise<void> {
  const deadline = Date.now() + DRIVERS_ALIVE_TIMEOUT_MS;
  for (;;) {
    const alive = new Set((await client.drivers()).filter((d) => d.status === 'alive').map((d) => d.node_id));
    const missing = driverIds.filter((id) => !alive.has(id));
    if (missing.length === 0) return;
    if (Date.now() > deadline) throw new UnreachableError(`drivers not alive at the orchestrator after ${DRIVERS_ALIVE_TIMEOUT_MS / 1000} s: ${missing.join(', ')} (logs in ${LOG_DIR})`);
    await sleep(250);
  }
}

/** Runs the two tests; false when one of them did not complete. */
async function runDemoTests(client: OrchestratorClient, targetUrl: string, driverIds: string[], interrupt: Interrupt): Promise<boolean> {
  let allCompleted = true;
  for (const { title, body } of DEMO_TESTS) {
    console.log(`\n── ${title} ──`);
    const outcome = await runTestSession({
      client,
      body: { ...body, target_url: targetUrl, drivers: driverIds, trigger: true },
      progress: createProgressView(process.stdout.isTTY ? 'tty' : 'plain', process.stdout),
      interrupted: interrupt.signaled,
    });
    console.log(`\n${summaryTable(outcome.test)}`);
    if (outcome.interrupted) throw new Interrupted();
    allCompleted &&= outcome.test.state === 'completed';
  }
  return allCompleted;
}

async function runDemo(settings: Settings, started: StartedProcesses, interrupt: Interrupt): Promise<number> {
  mkdirSync(LOG_DIR, { recursive: true });
  const kafka = await untilInterrupted(startKafka(settings, started), interrupt);
  const { targetUrl, driverIds } = await untilInterrupted(startCluster(settings, kafka.brokers, started), interrupt);
  const client = new OrchestratorClient({ host: '127.0.0.1', port: settings.port });
  await untilInterrupted(waitForDriversAlive(client, driverIds), interrupt);
  const allCompleted = await runDemoTests(client, targetUrl, driverIds, interrupt);
  console.log(`\ndashboard: ${client.baseUrl}/`);
  if (!settings.exitAfterTests) {
    console.log('press Ctrl-C to stop the demo');
    await interrupt.signaled;
  }
  return allCompleted ? 0 : 1;
}

export async function run(argv: string[]): Promise<number> {
  const values = parseCommandFlags(argv, OPTIONS, USAGE, 'demo');
  if (!values) return 0;
  applyLogFormat(values['log-format']);
  const settings = parseSettings(values);
  await requireFreePort(settings.port, '--port');
  await requireFreePort(settings.targetPort, '--target-port');
  const interrupt = watchInterrupt();
  const started = new StartedProcesses();
  try {
    return await runDemo(settings, started, interrupt);
  } catch (error) {
    return reportFailure(error);
  } finally {
    interrupt.dispose();
    console.log('stopping the demo’s processes…');
    await started.stopAll();
    console.log('demo stopped');
  }
}

function reportFailure(error: unknown): number {
  if (error instanceof Interrupted) return EXIT_INTERRUPTED;
  if (error instanceof OrchestratorError || error instanceof ServiceStartError) {
    console.error(`stampede demo: ${error.message}`);
    return 1;
  }
  throw error;
}
