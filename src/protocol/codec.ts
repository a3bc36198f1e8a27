import type { z } from 'zod';
import {
  controlMessage,
  heartbeatMessage,
  metricsMessage,
  registerMessage,
  testConfigMessage,
  triggerMessage,
  type ControlMessage,
  type HeartbeatMessage,
  type LatencyFields,
  type MetricsMessage,
  type RegisterMessage,
  type TestConfigMessage,
  type TriggerMessage,
} from './messages.js';
import { dataRequestMessage, dataRowsMessage, type DataRequestMessage, type DataRowsMessage } from './data.js';
import { fieldPath } from './fieldPath.js';
import { TOPICS, type TopicName } from './topics.js';
import { numberText } from './wireValues.js';

/** The decoded message type carried by each topic. */
export interface TopicMessages {
  register: RegisterMessage;
  test_config: TestConfigMessage;
  trigger: TriggerMessage;
  metrics: MetricsMessage;
  heartbeat: HeartbeatMessage;
  control: ControlMessage;
  data_requests: DataRequestMessage;
  data_rows: DataRowsMessage;
}

const schemas: { [T in TopicName]: z.ZodType<TopicMessages[T]> } = {
  [TOPICS.register]: registerMessage,
  [TOPICS.testConfig]: testConfigMessage,
  [TOPICS.trigger]: triggerMessage,
  [TOPICS.metrics]: metricsMessage,
  [TOPICS.heartbeat]: heartbeatMessage,
  [TOPICS.control]: controlMessage,
  [TOPICS.dataRequests]: dataRequestMessage,
  [TOPICS.dataRows]: dataRowsMessage,
};

/** Why a message was rejected: the topic, the field at fault (`(message)` for the whole), the reason. */
export class ProtocolError extends Error {
  override readonly name = 'ProtocolError';
  constructor(
    readonly topic: string,
    readonly field: string,
    readonly reason: string,
  ) {
    super(`${topic}: ${field}: ${reason}`);
  }
}

/**
 * `raw` is the parsed JSON object as it arrived, unknown fields included: what a signature covers. A
 * message that is a JSON object but breaks the schema keeps its `raw` too, so a reader can still answer it.
 */
export type DecodeResult<T> = { ok: true; value: T; raw: Readonly<Record<string, unknown>> } | { ok: false; error: ProtocolError; raw?: Readonly<Record<string, unknown>> };

const WHOLE_MESSAGE = '(message)';

/** Decodes bytes from a topic. Never throws: bad input comes back as a ProtocolError. */
export function decodeMessage<T extends TopicName>(topic: T, bytes: Buffer | string | undefined | null): DecodeResult<TopicMessages[T]> {
  if (bytes === undefined || bytes === null || bytes.length === 0) return reject(topic, WHOLE_MESSAGE, 'empty message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch {
    return reject(topic, WHOLE_MESSAGE, 'not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return reject(topic, WHOLE_MESSAGE, 'not a JSON object');
  // The input in each issue tells a missing field from one of the wrong type (zod 4 leaves it out unless asked).
  const result = schemas[topic].safeParse(parsed, { reportInput: true });
  if (result.success) return { ok: true, value: result.data, raw: parsed as Record<string, unknown> };
  const issue = result.error.issues[0];
  const field = issue && issue.path.length > 0 ? fieldPath(issue.path) : WHOLE_MESSAGE;
  const reason = issue?.code === 'invalid_type' && issue.input === undefined ? 'is required' : (issue?.message ?? 'invalid');
  return { ...reject(topic, field, reason), raw: parsed as Record<string, unknown> };
}

function reject(topic: string, field: string, reason: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: new ProtocolError(topic, field, reason) };
}

type WireObject = Record<string, unknown>;

function withoutUndefined(object: WireObject): WireObject {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined));
}

function encodeLatencies(metrics: LatencyFields): WireObject {
  return withoutUndefined(
    Object.fromEntries(Object.entries(metrics).map(([key, value]) => [key, value === undefined ? undefined : numberText(value)])),
  );
}

/** Spec fields that hold numbers go out as strings, as the spec's examples show them. */
const encoders: { [T in TopicName]: (message: TopicMessages[T]) => WireObject } = {
  register: (m) => withoutUndefined({ ...m }),
  test_config: (m) =>
    withoutUndefined({ ...m, test_message_delay: numberText(m.test_message_delay), message_count_per_driver: numberText(m.message_count_per_driver) }),
  trigger: (m) => ({ ...m }),
  metrics: (m) => withoutUndefined({ ...m, metrics: encodeLatencies(m.metrics) }),
  heartbeat: (m) => withoutUndefined({ ...m }),
  control: (m) => withoutUndefined({ ...m }),
  data_requests: (m) => withoutUndefined({ ...m }),
  data_rows: (m) => withoutUndefined({ ...m }),
};

/** The JSON object a message goes out as (before any signing). */
export function toWireObject<T extends TopicName>(topic: T, message: TopicMessages[T]): WireObject {
  return encoders[topic](message);
}

export function encodeMessage<T extends TopicName>(topic: T, message: TopicMessages[T]): string {
  return JSON.stringify(toWireObject(topic, message));
}
