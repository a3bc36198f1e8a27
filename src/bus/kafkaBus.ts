import { randomBytes } from 'node:crypto';
import { Admin, Consumer, MessagesStreamModes, ProduceAcks, Producer, type MessagesStream } from '@platformatic/kafka';
import type { Logger } from '../log/logger.js';
import { ALL_TOPICS, decodeMessage, encodeMessage, type ProtocolError, type TopicMessages, type TopicName } from '../protocol/index.js';

export type BusOptions = { brokers: string[]; clientId: string; log: Logger };

/** A decoded message with where it came from. */
export type Delivery<T extends TopicName = TopicName> = {
  [K in T]: { topic: K; message: TopicMessages[K]; partition: number; offset: bigint; key: string | undefined };
}[T];

/** Where each partition resumes: `topic:partition` → the next offset to read. */
export type ResumeOffsets = Map<string, bigint>;

export type SubscribeOptions<T extends TopicName> = {
  topics: readonly T[];
  onMessage: (delivery: Delivery<T>) => void;
  /** Start from these offsets where given (e.g. restored from a store); elsewhere at the end of the log. */
  resumeFrom?: ResumeOffsets;
};

export type Subscription = { close(): Promise<void> };

/** Rejected (malformed) messages per topic, and messages whose handler threw. */
export type BusCounters = { rejected: Record<string, number>; handlerErrors: number };

const FETCH_MAX_WAIT_MS = 200;

type PendingMessage = { message: { topic: string; value: string; key?: string }; resolve: () => void; reject: (error: Error) => void };

/** Kafka's ListOffsets timestamp for "the earliest offset still in the log". */
const EARLIEST_TIMESTAMP = -2n;

/**
 * The only module that talks to Kafka. Every subscriber sees every message (one consumer group
 * per subscription, offsets chosen by us), so a driver and an orchestrator each get the whole
 * stream. A subscription is live when `subscribe` resolves: it starts at the log end offsets read
 * before it joined, so nothing published after that is missed.
 */
export class KafkaBus {
  readonly counters: BusCounters = { rejected: {}, handlerErrors: 0 };
  readonly #subscriptions = new Set<Subscription>();
  readonly #pending: PendingMessage[] = [];
  #sending = false;

  private constructor(
    private readonly options: BusOptions,
    private readonly producer: Producer<string, string, string, string>,
  ) {}

  static async connect(options: BusOptions): Promise<KafkaBus> {
    await ensureTopics(options);
    const producer = new Producer<string, string, string, string>({
      clientId: `${options.clientId}-producer`,
      bootstrapBrokers: options.brokers,
      acks: ProduceAcks.ALL,
      idempotent: true,
      retries: 5,
      serializers: { key: stringToBuffer, value: stringToBuffer, headerKey: stringToBuffer, headerValue: stringToBuffer },
    });
    return new KafkaBus(options, producer);
  }

  async publish<T extends TopicName>(topic: T, message: TopicMessages[T], key?: string): Promise<void> {
    await this.publishRaw(topic, encodeMessage(topic, message), key);
  }

  /**
   * Sends bytes as they are: for our own messages through `publish`, and for tests of bad input.
   * Messages published while a send is in flight go out together in the next one: the idempotent
   * producer rejects overlapping sends (OUT_OF_ORDER_SEQUENCE_NUMBER), and batching keeps callers
   * that do not await (heartbeats beside reports) from queueing one round trip each.
   */
  publishRaw(topic: string, value: string, key?: string): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ message: { topic, value, ...(key === undefined ? {} : { key }) }, resolve, reject });
      if (!this.#sending) void this.sendPending();
    });
  }

  private async sendPending(): Promise<void> {
    this.#sending = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#pending.length);
      try {
        await this.producer.send({ messages: batch.map((entry) => entry.message) });
        for (const entry of batch) entry.resolve();
      } catch (error) {
        const topics = [...new Set(batch.map((entry) => entry.message.topic))].join(', ');
        const failure = new Error(`publishing to Kafka topic "${topics}" at ${this.options.brokers.join(',')} failed: ${(error as Error).message}`, { cause: error });
        for (const entry of batch) entry.reject(failure);
      }
    }
    this.#sending = false;
  }

  async subscribe<T extends TopicName>(options: SubscribeOptions<T>): Promise<Subscription> {
    const consumer = new Consumer({
      clientId: `${this.options.clientId}-consumer`,
      groupId: `stampede-${this.options.clientId}-${randomBytes(6).toString('hex')}`,
      bootstrapBrokers: this.options.brokers,
      maxWaitTime: FETCH_MAX_WAIT_MS,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
    });
    const topics = [...options.topics];
    const ends = await consumer.listOffsets({ topics });
    const earliest = options.resumeFrom ? await consumer.listOffsets({ topics, timestamp: EARLIEST_TIMESTAMP }) : ends;
    const offsets = this.startOffsets(ends, earliest, options.resumeFrom);
    const stream = await consumer.consume({ topics, mode: MessagesStreamModes.MANUAL, offsets, autocommit: false });
    stream.on('data', (record) => this.deliver(record, options.onMessage));
    stream.on('error', (error: Error) => this.options.log.error({ err: error, topics }, 'Kafka consumer stream failed'));
    const subscription: Subscription = {
      close: async () => {
        this.#subscriptions.delete(subscription);
        await closeQuietly(stream, consumer);
      },
    };
    this.#subscriptions.add(subscription);
    this.options.log.debug({ topics, offsets: offsets.map((o) => `${o.topic}:${o.partition}@${o.offset}`) }, 'subscribed');
    return subscription;
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

  private deliver<T extends TopicName>(record: { topic: string; partition: number; offset: bigint; key: Buffer | undefined; value: Buffer | undefined }, onMessage: (delivery: Delivery<T>) => void): void {
    const topic = record.topic as T;
    const decoded = decodeMessage(topic, record.value);
    if (!decoded.ok) {
      this.countRejected(decoded.error, record);
      return;
    }
    const key = record.key && record.key.length > 0 ? record.key.toString('utf8') : undefined;
    try {
      onMessage({ topic, message: decoded.value, partition: record.partition, offset: record.offset, key } as Delivery<T>);
    } catch (error) {
      this.counters.handlerErrors += 1;
      this.options.log.error({ err: error, topic, offset: record.offset.toString() }, 'handling a Kafka message failed; skipped');
    }
  }

  private countRejected(error: ProtocolError, record: { topic: string; partition: number; offset: bigint; value: Buffer | undefined }): void {
    this.counters.rejected[record.topic] = (this.counters.rejected[record.topic] ?? 0) + 1;
    this.options.log.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset.toString(), field: error.field, reason: error.reason, bytes: record.value?.length ?? 0 },
      'malformed Kafka message skipped',
    );
  }

  async close(): Promise<void> {
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    await this.producer.close().catch((error: Error) => this.options.log.debug({ err: error }, 'closing the Kafka producer failed'));
  }
}

function stringToBuffer(value: string | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'utf8');
}


async function closeQuietly(stream: MessagesStream<Buffer, Buffer, Buffer, Buffer>, consumer: Consumer): Promise<void> {
  try {
    await stream.close();
    await consumer.close(true);
  } catch {
    // Closing is best effort: the broker may already be gone, and the process is leaving.
  }
}

/** Creates any of our topics the cluster lacks, with the cluster's default partitions and replicas. */
async function ensureTopics(options: BusOptions): Promise<void> {
  const admin = new Admin({ clientId: `${options.clientId}-admin`, bootstrapBrokers: options.brokers, retries: 3 });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = ALL_TOPICS.filter((topic) => !existing.has(topic));
    if (missing.length > 0) {
      await createTopicsTolerantly(admin, missing);
      options.log.info({ topics: missing }, 'created Kafka topics');
    }
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${options.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Another node may create the same topic at the same moment: "already exists" is success. */
async function createTopicsTolerantly(admin: Admin, topics: string[]): Promise<void> {
  try {
    await admin.createTopics({ topics, partitions: -1, replicas: -1 });
  } catch (error) {
    if (!/already exists/i.test(String((error as Error).message) + JSON.stringify((error as { errors?: unknown }).errors ?? ''))) throw error;
  }
}
