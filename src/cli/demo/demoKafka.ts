import { kafkaStatus, startKafka, stopKafka } from '../../broker/embeddedKafka.js';
import { isListening, requireFreePort } from './ports.js';

const DEMO_KAFKA_DATA_DIR = '.stampede/kafka';

/** The broker the demo talks to, and how to let it go: stopped only if the demo started it. */
export type DemoKafka = { brokers: string; startedByDemo: boolean; pid: number | undefined; release(): Promise<void> };

/**
 * Uses whatever broker already listens on the port (the user's, or the test suite's) or the embedded
 * one still running from an earlier `stampede kafka start`; otherwise starts the embedded one.
 */
export async function ensureDemoKafka(port: number): Promise<DemoKafka> {
  if (await isListening(port)) return borrowed(`127.0.0.1:${port}`);
  const running = kafkaStatus({ dataDir: DEMO_KAFKA_DATA_DIR });
  if (running.running) return borrowed(running.address);
  await requireFreePort(port, '--kafka-port');
  await requireFreePort(port + 1, '--kafka-port', 'the broker also needs port + 1 for its controller');
  const { status } = await startKafka({ port, dataDir: DEMO_KAFKA_DATA_DIR });
  return {
    brokers: status.address,
    startedByDemo: true,
    pid: status.pid,
    release: async () => {
      await stopKafka({ dataDir: DEMO_KAFKA_DATA_DIR });
    },
  };
}

function borrowed(brokers: string): DemoKafka {
  return { brokers, startedByDemo: false, pid: undefined, release: async () => undefined };
}
