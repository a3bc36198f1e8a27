import { KafkaBus, type Delivery } from '../../src/bus/index.js';
import { createLogger } from '../../src/log/logger.js';
import type { TopicName } from '../../src/protocol/index.js';

/** The broker every test uses: scripts/test.sh starts one and exports its address. */
export function testBrokers(): string[] {
  const brokers = process.env.KAFKA_BROKERS;
  if (!brokers) throw new Error('KAFKA_BROKERS is not set: run the tests with `npm test`, which starts a Kafka broker');
  return brokers.split(',');
}

export async function connectTestBus(clientId = 'test'): Promise<KafkaBus> {
  return KafkaBus.connect({ brokers: testBrokers(), clientId, log: createLogger(clientId, { test: true }) });
}

/** Collects every delivery on some topics, with a way to wait for one that matches. */
export class Inbox<T extends TopicName> {
  readonly received: Delivery<T>[] = [];
  readonly #waiters = new Set<() => void>();

  push(delivery: Delivery<T>): void {
    this.received.push(delivery);
    for (const wake of this.#waiters) wake();
  }

  async waitFor(predicate: (d: Delivery<T>) => boolean, timeoutMs = 10_000, what = 'a matching message'): Promise<Delivery<T>> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(predicate);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; got ${this.received.length} messages`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, left);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#waiters.add(done);
      }).finally(() => this.#waiters.clear());
    }
  }
}

export async function subscribeInbox<T extends TopicName>(bus: KafkaBus, topics: T[]): Promise<{ inbox: Inbox<T>; close: () => Promise<void> }> {
  const inbox = new Inbox<T>();
  const subscription = await bus.subscribe({ topics, onMessage: (d) => inbox.push(d) });
  return { inbox, close: () => subscription.close() };
}
