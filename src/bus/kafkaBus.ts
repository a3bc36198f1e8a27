import { Admin, ProduceAcks, Producer } from '@platformatic/kafka';
import type { Logger } from '../log/logger.js';
import { ALL_TOPICS, TOPICS, decodeMessage, isCommandTopic, signMessage, toWireObject, type ProtocolError, type TopicMessages, type TopicName } from '../protocol/index.js';
import { KAFKA_RETRY_BACKOFF, retryWithBackoff, type BackoffPolicy } from './backoff.js';
import { CLIENT_RETRIES, CLIENT_RETRY_DELAY_MS, clientConnectionOptions, HEARTBEAT_REQUEST_TIMEOUT_MS, permanentReason, transientReason, type KafkaSecurity } from './kafkaConnection.js';
import { TopicSubscription, type ResumeOffsets } from './topicSubscription.js';

export type BusOptions = {
  brokers: string[];
  clientId: string;
  log: Logger;
  /** TLS and SASL for a secured cluster. */
  security?: KafkaSecurity | undefined;
  /** Ends the wait for an unreachable broker (the node is told to stop while it waits). */
  signal?: AbortSignal | undefined;
  /** Signs every message published on a command topic (test_config, trigger, control) with this secret. */
  commandSecret?: string | undefined;
  /** The signing time; injectable so tests can sign in the past. */
  now?: () => number;
};

/** A decoded message with where it came from; `raw` is the JSON object as received (what a signature covers). */
export type Delivery<T extends TopicName = TopicName> = {
  [K in T]: { topic: K; message: TopicMessages[K]; raw: Readonly<Record<string, unknown>>; partition: number; offset: bigint; key: string | undefined };
}[T];

export type { ResumeOffsets };

/** A message that broke its topic's schema: why, and the JSON object as it arrived. */
export type MalformedDelivery<T extends TopicName = TopicName> = { topic: T; error: ProtocolError; raw: Readonly<Record<string, unknown>> };

export type SubscribeOptions<T extends TopicName> = {
  topics: readonly T[];
  onMessage: (delivery: Delivery<T>) => void;
  /** Also told of each malformed message that was a JSON object (after it is logged and counted). */
  onMalformed?: (malformed: MalformedDelivery<T>) => void;
  /** Start from these offsets where given (e.g. restored from a store); elsewhere at the end of the log. */
  resumeFrom?: ResumeOffsets;
  /** Only messages with a key it accepts are decoded and delivered (data rows addressed to one driver); the others cost no parsing. */
  acceptKey?: (key: string | undefined) => boolean;
};

export type Subscription = { close(): Promise<void>; readonly deliveringSince: number | undefined };

/** Rejected (malformed) messages per topic, and messages whose handler threw. */
export type BusCounters = { rejected: Record<string, number>; handlerErrors: number };

type PendingMessage = { message: { topic: string; value: string; key?: string }; resolve: () => void; reject: (error: Error) => void };

/** How long one batch keeps being retried (re-reading where each partition's leader is) before its callers are told it failed. */
const SEND_RETRY_WINDOW_MS = 6_000;
const SEND_RETRY_BACKOFF: BackoffPolicy = { firstDelayMs: 100, maxDelayMs: 1_000 };

/**
 * One producer and the messages waiting for it. Messages published while a send is in flight go out
 * together in the next one: the idempotent producer rejects overlapping sends
 * (OUT_OF_ORDER_SEQUENCE_NUMBER), and batching keeps callers that do not await from queueing one round
 * trip each. A failed send is retried with fresh metadata: the client itself retries a batch against
 * the leader it first looked up, which after a broker's death is the dead one until its cached metadata
 * ages out, so a partition leader's failover would otherwise cost seconds more than the cluster's own.
 */
class SendLane {
  readonly #pending: PendingMessage[] = [];
  #sending = false;

  constructor(
    readonly producer: Producer<string, string, string, string>,
    private readonly describe: (topics: string) => string,
    private readonly log: Logger,
  ) {}

  enqueue(message: PendingMessage['message']): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#pending.push({ message, resolve, reject });
      if (!this.#sending) void this.sendPending();
    });
  }

  private async sendPending(): Promise<void> {
    this.#sending = true;
    while (this.#pending.length > 0) {
      const batch = this.#pending.splice(0, this.#pending.length);
      try {
        await this.sendWithFreshLeaders(batch.map((entry) => entry.message));
        for (const entry of batch) entry.resolve();
      } catch (error) {
        const topics = [...new Set(batch.map((entry) => entry.message.topic))].join(', ');
        const failure = new Error(`${this.describe(topics)} failed: ${(error as Error).message}`, { cause: error });
        for (const entry of batch) entry.reject(failure);
      }
    }
    this.#sending = false;
  }

  private async sendWithFreshLeaders(messages: PendingMessage['message'][]): Promise<void> {
    const deadline = Date.now() + SEND_RETRY_WINDOW_MS;
    let lastError: unknown;
    const sent = await retryWithBackoff(
      async () => {
        await this.producer.send({ messages });
        return true;
      },
      {
        ...SEND_RETRY_BACKOFF,
        stopped: () => Date.now() >= deadline,
        onFailure: (error, failures) => {
          lastError = error;
          this.log.debug({ err: error, failures, producer: this.producer.clientId }, 'Kafka send failed; retrying with fresh metadata');
          this.producer.clearMetadata();
        },
      },
    );
    if (sent === undefined) throw lastError instanceof Error ? lastError : new Error(String(lastError));
  }
}

/**
 * The only module that talks to Kafka. Every subscriber sees every message (one consumer group
 * per subscription, offsets chosen by us), so a driver and an orchestrator each get the whole
 * stream. A subscription is live when `subscribe` resolves: it starts at the log end offsets read
 * before it joined, so nothing published after that is missed.
 * Heartbeats go out through a producer of their own, so a report batch retried while its partition
 * changes leader never holds a driver's heartbeat back long enough to have it judged lost.
 */
export class KafkaBus {
  readonly counters: BusCounters = { rejected: {}, handlerErrors: 0 };
  readonly #subscriptions = new Set<Subscription>();
  #closed = false;

  private constructor(
    private readonly options: BusOptions,
    private readonly reports: SendLane,
    private readonly heartbeats: SendLane,
  ) {}

  static async connect(options: BusOptions): Promise<KafkaBus> {
    await ensureTopics(options);
    const serializers = { key: stringToBuffer, value: stringToBuffer, headerKey: stringToBuffer, headerValue: stringToBuffer };
    const connection = { ...clientConnectionOptions(options.brokers, options.security), retries: CLIENT_RETRIES, retryDelay: CLIENT_RETRY_DELAY_MS };
    const describe = (topics: string) => `publishing to Kafka topic "${topics}" at ${options.brokers.join(',')}`;
    const reports = new Producer<string, string, string, string>({ clientId: `${options.clientId}-producer`, ...connection, acks: ProduceAcks.ALL, idempotent: true, serializers });
    // A heartbeat only says "alive now": a copy on the leader is enough, and a duplicate harms nobody.
    const heartbeats = new Producer<string, string, string, string>({ clientId: `${options.clientId}-heartbeats`, ...connection, requestTimeout: HEARTBEAT_REQUEST_TIMEOUT_MS, connectTimeout: HEARTBEAT_REQUEST_TIMEOUT_MS, acks: ProduceAcks.LEADER, serializers });
    return new KafkaBus(options, new SendLane(reports, describe, options.log), new SendLane(heartbeats, describe, options.log));
  }

  async publish<T extends TopicName>(topic: T, message: TopicMessages[T], key?: string): Promise<void> {
    await this.publishRaw(topic, this.encode(topic, message), key);
  }

  private encode<T extends TopicName>(topic: T, message: TopicMessages[T]): string {
    const wire = toWireObject(topic, message);
    const secret = this.options.commandSecret;
    if (secret === undefined || !isCommandTopic(topic)) return JSON.stringify(wire);
    return JSON.stringify(signMessage(topic, wire, secret, (this.options.now ?? Date.now)()));
  }

  /** Sends bytes as they are: for our own messages through `publish`, and for tests of bad input. */
  publishRaw(topic: string, value: string, key?: string): Promise<void> {
    const lane = topic === TOPICS.heartbeat ? this.heartbeats : this.reports;
    return lane.enqueue({ topic, value, ...(key === undefined ? {} : { key }) });
  }

  /**
   * Resolves once the subscription is live. Until then a transient failure is retried as long as it
   * takes (waitForKafka): a fresh cluster answers COORDINATOR_NOT_AVAILABLE for seconds while it creates
   * its offsets topic, and a broker may be restarting.
   */
  async subscribe<T extends TopicName>(options: SubscribeOptions<T>): Promise<Subscription> {
    const { brokers, clientId, log, security } = this.options;
    const topics = [...options.topics];
    const topicSubscription = new TopicSubscription({ brokers, clientId, log, security, topics, onRecord: (record) => this.deliver(record, options) });
    try {
      await waitForKafka(this.options, {
        attempt: () => topicSubscription.open(options.resumeFrom),
        policy: KAFKA_RETRY_BACKOFF,
        waiting: 'cannot subscribe to Kafka yet; retrying with backoff',
        context: { topics },
        stopped: () => this.#closed,
      });
      if (this.#closed) throw new KafkaWaitAbortedError(`the bus closed while subscribing to ${topics.join(',')}`);
    } catch (error) {
      await topicSubscription.close();
      throw error;
    }
    const subscription: Subscription = {
      close: async () => {
        this.#subscriptions.delete(subscription);
        await topicSubscription.close();
      },
      get deliveringSince() {
        return topicSubscription.deliveringSince;
      },
    };
    this.#subscriptions.add(subscription);
    return subscription;
  }

  private deliver<T extends TopicName>(record: { topic: string; partition: number; offset: bigint; key: Buffer | undefined; value: Buffer | undefined }, options: SubscribeOptions<T>): void {
    const topic = record.topic as T;
    const key = record.key && record.key.length > 0 ? record.key.toString('utf8') : undefined;
    if (options.acceptKey && !options.acceptKey(key)) return;
    const decoded = decodeMessage(topic, record.value);
    if (!decoded.ok) {
      this.countRejected(decoded.error, record);
      const raw = decoded.raw;
      if (raw && options.onMalformed) this.handle(topic, record.offset, () => options.onMalformed?.({ topic, error: decoded.error, raw }));
      return;
    }
    this.handle(topic, record.offset, () => options.onMessage({ topic, message: decoded.value, raw: decoded.raw, partition: record.partition, offset: record.offset, key } as Delivery<T>));
  }

  private handle(topic: string, offset: bigint, handler: () => void): void {
    try {
      handler();
    } catch (error) {
      this.counters.handlerErrors += 1;
      this.options.log.error({ err: error, topic, offset: offset.toString() }, 'handling a Kafka message failed; skipped');
    }
  }

  private countRejected(error: ProtocolError, record: { topic: string; partition: number; offset: bigint; value: Buffer | undefined }): void {
    this.counters.rejected[record.topic] = (this.counters.rejected[record.topic] ?? 0) + 1;
    this.options.log.warn(
      { topic: record.topic, partition: record.partition, offset: record.offset.toString(), field: error.field, reason: error.reason, bytes: record.value?.length ?? 0 },
      'malformed Kafka message skipped',
    );
  }

  /** Since when every subscription has been receiving from Kafka; undefined while one cannot. */
  deliveringSince(): number | undefined {
    let since = 0;
    for (const subscription of this.#subscriptions) {
      const own = subscription.deliveringSince;
      if (own === undefined) return undefined;
      since = Math.max(since, own);
    }
    return since;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((s) => s.close()));
    for (const lane of [this.reports, this.heartbeats]) await lane.producer.close().catch((error: Error) => this.options.log.debug({ err: error }, 'closing a Kafka producer failed'));
  }
}

function stringToBuffer(value: string | undefined): Buffer | undefined {
  return value === undefined ? undefined : Buffer.from(value, 'utf8');
}

/** A refused password or a failed TLS handshake: retrying cannot help, the node should stop and say why. */
export class KafkaRefusedError extends Error {}

/** The broker is down or the node was told to stop while waiting for it. */
export class KafkaWaitAbortedError extends Error {}

const CONNECT_BACKOFF: BackoffPolicy = { firstDelayMs: 500, maxDelayMs: 5_000 };
/** While the broker is unreachable, one log line this often, not one per attempt. */
const UNREACHABLE_LOG_EVERY_MS = 3_000;

/** Waits for the cluster as long as it takes (waitForKafka), then creates any of our topics it lacks. */
async function ensureTopics(options: BusOptions): Promise<void> {
  const where = options.brokers.join(',');
  await waitForKafka(options, {
    attempt: () => createMissingTopics(options),
    policy: CONNECT_BACKOFF,
    waiting: `cannot reach Kafka at ${where} yet; retrying with backoff`,
  });
}

type KafkaWait = {
  attempt: () => Promise<void>;
  policy: BackoffPolicy;
  /** The warning logged while it fails. */
  waiting: string;
  context?: Record<string, unknown>;
  /** Ends the wait besides the node's signal. */
  stopped?: () => boolean;
};

/**
 * Runs a start-up step against Kafka until it succeeds, however long the cluster takes (brokers come
 * and go), with jittered exponential backoff and a warning every few seconds of failure, not one per
 * attempt. A permanent failure (authentication, TLS) ends the wait at once with KafkaRefusedError; the
 * node's signal or `stopped` with KafkaWaitAbortedError.
 */
async function waitForKafka(options: BusOptions, wait: KafkaWait): Promise<void> {
  const where = options.brokers.join(',');
  let lastLogMs = Date.now();
  let lastError: unknown;
  // retryWithBackoff says "stopped" with undefined, so each success is told apart as true.
  const succeeded = await retryWithBackoff(() => wait.attempt().then(() => true as const), {
    ...wait.policy,
    stopped: () => options.signal?.aborted === true || wait.stopped?.() === true,
    isPermanent: (error) => permanentReason(error) !== undefined,
    onFailure: (error, failures) => {
      lastError = error;
      if (Date.now() - lastLogMs < UNREACHABLE_LOG_EVERY_MS) return;
      lastLogMs = Date.now();
      options.log.warn({ kafka: where, ...wait.context, failures, reason: transientReason(error) }, wait.waiting);
    },
  }).catch((error: unknown) => {
    const permanent = permanentReason(error);
    throw permanent ? new KafkaRefusedError(`Kafka ${permanent.broker ? `broker ${permanent.broker}` : `at ${where}`} refused ${options.clientId}: ${permanent.reason}`, { cause: error }) : error;
  });
  if (succeeded === undefined) throw new KafkaWaitAbortedError(`stopped while waiting for Kafka at ${where}`, { cause: lastError });
}

/** Replication as the cluster allows: 3 copies (2 in sync to acknowledge) once it has 3 brokers, else one per broker. */
async function createMissingTopics(options: BusOptions): Promise<void> {
  const admin = new Admin({ clientId: `${options.clientId}-admin`, ...clientConnectionOptions(options.brokers, options.security), retries: 0 });
  try {
    const existing = new Set(await admin.listTopics());
    const missing = ALL_TOPICS.filter((topic) => !existing.has(topic));
    if (missing.length === 0) return;
    const brokerCount = (await admin.metadata({ topics: [] })).brokers.size;
    const replicas = Math.max(1, Math.min(3, brokerCount));
    await createTopicsTolerantly(admin, missing, replicas);
    options.log.info({ topics: missing, replicas }, 'created Kafka topics');
  } catch (error) {
    throw new Error(`cannot reach Kafka at ${options.brokers.join(',')}: ${(error as Error).message}`, { cause: error });
  } finally {
    await admin.close().catch(() => undefined);
  }
}

/** Another node may create the same topic at the same moment: "already exists" is success. */
async function createTopicsTolerantly(admin: Admin, topics: string[], replicas: number): Promise<void> {
  const configs = replicas >= 3 ? [{ name: 'min.insync.replicas', value: '2' }] : [];
  try {
    await admin.createTopics({ topics, partitions: -1, replicas, configs });
  } catch (error) {
    if (!/already exists/i.test(String((error as Error).message) + JSON.stringify((error as { errors?: unknown }).errors ?? ''))) throw error;
  }
}
