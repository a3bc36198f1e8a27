import { kafkaStatus, startKafka, stopKafka, type BrokerStatus } from '../../broker/embeddedKafka.js';
import { translateBrokerErrors } from '../brokerErrors.js';
import { UsageError } from '../usageError.js';
import { freePortPair, isListening, requireFreePort } from './ports.js';

const DEMO_KAFKA_DATA_DIR = '.stampede/kafka';

/** The broker the demo talks to, and how to let it go: stopped only if the demo started it. */
export type DemoKafka = { brokers: string; startedByDemo: boolean; pid: number | undefined; release(): Promise<void> };

/** What the demo does about Kafka, with the line that tells the user, decided before anything starts. */
export type KafkaPlan = { use: 'embedded' | 'foreign'; brokers: string; notice: string } | { use: 'start'; port: number; notice: string | undefined };

export type KafkaSituation = {
  port: number;
  /** whether the user named the port with --kafka-port, rather than the default */
  portGiven: boolean;
  /** whether something accepts connections on the port */
  portListening: boolean;
  /** the embedded broker of the demo's data directory, from `stampede kafka start` or an earlier demo */
  embedded: BrokerStatus;
  /** a port P with P and P + 1 free, for when the default one is taken */
  freePort: () => Promise<number>;
};

/**
 * Never drives someone else's broker by accident: a broker the demo did not start is used only when
 * --kafka-port names it; on the default port it is left alone and the demo starts its own elsewhere.
 * The embedded broker of the demo's own data directory is the demo's to use.
 */
export async function planDemoKafka(situation: KafkaSituation): Promise<KafkaPlan> {
  const { port, portGiven, portListening, embedded } = situation;
  if (embedded.running && (!portGiven || embedded.port === port)) {
    return { use: 'embedded', brokers: embedded.address, notice: `using the embedded broker already running at ${embedded.address} (data ${embedded.dataDir})` };
  }
  if (embedded.running) {
    throw new UsageError(`--kafka-port ${port}: the demo's own broker already runs on ${embedded.port} (data ${embedded.dataDir}); pass --kafka-port ${embedded.port}, or stop it with \`stampede kafka stop --data-dir ${embedded.dataDir}\``);
  }
  if (portListening && portGiven) {
    return { use: 'foreign', brokers: `127.0.0.1:${port}`, notice: `using the broker already running at 127.0.0.1:${port}, which the demo did not start (named by --kafka-port)` };
  }
  if (portListening) {
    const other = await situation.freePort();
    return { use: 'start', port: other, notice: `127.0.0.1:${port} already has a broker (or another program) the demo did not start; leaving it alone and starting the demo's own on ${other} (pass --kafka-port ${port} to use that one)` };
  }
  return { use: 'start', port, notice: undefined };
}

/** Plans as above, prints the plan's notice through `say`, then borrows or starts the broker. */
export async function ensureDemoKafka(port: number, portGiven: boolean, say: (line: string) => void): Promise<DemoKafka> {
  const plan = await planDemoKafka({ port, portGiven, portListening: await isListening(port), embedded: kafkaStatus({ dataDir: DEMO_KAFKA_DATA_DIR }), freePort: freePortPair });
  if (plan.notice) say(plan.notice);
  if (plan.use !== 'start') return { brokers: plan.brokers, startedByDemo: false, pid: undefined, release: async () => undefined };
  const flag = portGiven ? '--kafka-port' : 'the Kafka port';
  await requireFreePort(plan.port, flag);
  await requireFreePort(plan.port + 1, flag, 'the broker also needs port + 1 for its controller');
  const { status } = await translateBrokerErrors(() => startKafka({ listen: { host: '127.0.0.1', port: plan.port }, dataDir: DEMO_KAFKA_DATA_DIR }));
  return {
    brokers: status.address,
    startedByDemo: true,
    pid: status.pid,
    release: async () => {
      await stopKafka({ dataDir: DEMO_KAFKA_DATA_DIR });
    },
  };
}
