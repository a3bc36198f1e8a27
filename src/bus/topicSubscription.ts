import { randomBytes } from 'node:crypto';
import { Consumer, MessagesStreamModes, type Message, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from '../log/logger.js';
import { KAFKA_RETRY_BACKOFF, retryWithBackoff } from './backoff.js';
import { CLIENT_RETRIES, CLIENT_RETRY_DELAY_MS, clientConnectionOptions, CONSUMER_REQUEST_TIMEOUT_MS, type KafkaSecurity } from './kafkaConnection.js';

/** Where each partition resumes: `topic:partition` → the next offset to read. */
export type ResumeOffsets = Map<string, bigint>;

export type RawRecord = Message<Buffer, Buffer, Buffer, Buffer>;

export type TopicSubscriptionOptions = {
  brokers: string[];
  clientId: string;
  log: Logger;
  security?: KafkaSecurity | undefined;
  topics: string[];
  onRecord: (record: RawRecord) => void;
};

const FETCH_MAX_WAIT_MS = 200;
/** Kafka's ListOffsets timestamp for "the earliest offset still in the log". */
const EARLIEST_TIMESTAMP = -2n;

/**
 * One broadcast subscription: its own consumer group, offsets chosen by us, and a record of the next
 * offset of every partition. When the stream fails (the broker restarted, the network dropped) it
 * starts a new consumer from exactly those offsets, again and again (backing off with jitter) until it
 * is closed, so a broker outage delays messages but loses none.
 */
export class TopicSubscription {
  readonly #next: ResumeOffsets = new Map();
  #consumer: Consumer | undefined;
  #stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  #closed = false;
  #restarting = false;
  #deliveringSince: number | undefined;

  constructor(private readonly options: TopicSubscriptionOptions) {}

  /**
   * Since when (epoch ms) fetches have been succeeding; undefined while they fail or the consumer
   * restarts. Silence from the other nodes during such a time says nothing about them.
   */
  get deliveringSince(): number | undefined {
    return this.#deliveringSince;
  }

  /**
   * Resolves once the subscription is live: from `resumeFrom` where given, elsewhere at the log end.
   * A failed open leaves no consumer behind, so the caller may simply try again.
   */
  async open(resumeFrom?: ResumeOffsets): Promise<void> {
    try {
      await this.openConsumer(resumeFrom);
    } catch (error) {
      await this.closeConsumer();
      throw error;
    }
  }

  private async openConsumer(resumeFrom: ResumeOffsets | undefined): Promise<void> {
    const consumer = new Consumer({
      clientId: `${this.options.clientId}-consumer`,
      groupId: `stampede-${this.options.clientId}-${randomBytes(6).toString('hex')}`,
      ...clientConnectionOptions(this.options.brokers, this.options.security),
      retries: CLIENT_RETRIES,
      retryDelay: CLIENT_RETRY_DELAY_MS,
      requestTimeout: CONSUMER_REQUEST_TIMEOUT_MS,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    this.#consumer = consumer;
    consumer.on('client:performWithRetry', (operationId: string, attempt: number) => this.onFetchAttempt(operationId, attempt));
    const topics = this.options.topics;
    const ends = await consumer.listOffsets({ topics });
    const earliest = resumeFrom ? await consumer.listOffsets({ topics, timestamp: EARLIEST_TIMESTAMP }) : ends;
    const offsets = this.startOffsets(ends, earliest, resumeFrom);
    for (const { topic, partition, offset } of offsets) this.#next.set(`${topic}:${partition}`, offset);
    const stream = await consumer.consume({ topics, mode: MessagesStreamModes.MANUAL, offsets, autocommit: false });
    this.#stream = stream;
    stream.on('data', (record: RawRecord) => {
      this.#next.set(`${record.topic}:${record.partition}`, record.offset + 1n);
      this.options.onRecord(record);
    });
    stream.once('error', (error: Error) => void this.restart(error));
    this.#deliveringSince = Date.now();
    this.options.log.debug({ topics, offsets: offsets.map((o) => `${o.topic}:${o.partition}@${o.offset}`) }, 'subscribed');
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.closeConsumer();
  }

  /** A retried fetch means the broker did not answer; the first attempt of the next fetch means it did. */
  private onFetchAttempt(operationId: string, attempt: number): void {
    if (operationId !== 'fetch' || this.#restarting) return;
    if (attempt > 0) this.#deliveringSince = undefined;
    else this.#deliveringSince ??= Date.now();
  }

  private async restart(error: Error): Promise<void> {
    if (this.#closed || this.#restarting) return;
    this.#restarting = true;
    this.#deliveringSince = undefined;
    const topics = this.options.topics;
    this.options.log.warn({ err: error, topics }, 'Kafka consumer stream failed; restarting it where it stopped');
    await this.closeConsumer();
    const resumed = await retryWithBackoff(() => this.reopen(), {
      ...KAFKA_RETRY_BACKOFF,
      // The failed stream was the first attempt: even the first reopen waits a jittered moment.
      delayFirstAttempt: true,
      stopped: () => this.#closed,
      onFailure: (retryError, failures) => this.options.log.warn({ err: retryError, topics, failures }, 'Kafka consumer cannot resume yet'),
    });
    if (resumed) this.options.log.info({ topics }, 'Kafka consumer resumed');
    this.#restarting = false;
  }

  private async reopen(): Promise<true> {
    await this.open(new Map(this.#next));
    // Closed while the consumer was opening: it must not outlive the subscription.
    if (this.#closed) await this.closeConsumer();
    return true;
  }

  /**
   * A resume offset outside the log (a different or wiped broker, or retention passed it) would make
   * the fetch fail with OFFSET_OUT_OF_RANGE; reading from the earliest offset instead loses nothing,
   * and our consumers drop what they have already seen.
   */
  private startOffsets(ends: Map<string, bigint[]>, earliest: Map<string, bigint[]>, resumeFrom: ResumeOffsets | undefined) {
    return [...ends].flatMap(([topic, partitionEnds]) =>
      partitionEnds.map((end, partition) => {
        const resume = resumeFrom?.get(`${topic}:${partition}`);
        if (resume === undefined) return { topic, partition, offset: end };
        const first = earliest.get(topic)?.[partition] ?? 0n;
        if (resume >= first && resume <= end) return { topic, partition, offset: resume };
        this.options.log.warn({ topic, partition, resume: resume.toString(), earliest: first.toString(), end: end.toString() }, 'saved Kafka offset is outside the log; reading from the earliest offset');
        return { topic, partition, offset: first };
      }),
    );
  }

  private async closeConsumer(): Promise<void> {
    const stream = this.#stream;
    const consumer = this.#consumer;
    this.#stream = undefined;
    this.#consumer = undefined;
    // Closing is best effort: the broker may already be gone, and the process may be leaving.
    if (stream) await stream.close().catch(() => undefined);
    if (consumer) await closeConsumerQuietly(consumer);
  }
}

async function closeConsumerQuietly(consumer: Consumer): Promise<void> {
  try {
    await consumer.close(true);
  } catch {
    // Already disconnected.
  }
}
