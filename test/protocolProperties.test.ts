import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  ALL_TOPICS,
  controlMessage,
  decodeMessage,
  encodeMessage,
  heartbeatMessage,
  dataRequestMessage,
  dataRowsMessage,
  metricsMessage,
  ProtocolError,
  registerMessage,
  testConfigMessage,
  triggerMessage,
  type TopicName,
} from '../src/protocol/index.js';

const RUNS = 2_000;

/** The field names of every topic's message, read from the schemas so a new field is covered at once. */
const fieldsOf: Record<TopicName, string[]> = {
  register: Object.keys(registerMessage.shape),
  test_config: Object.keys(testConfigMessage.shape),
  trigger: Object.keys(triggerMessage.shape),
  metrics: Object.keys(metricsMessage.shape),
  heartbeat: Object.keys(heartbeatMessage.shape),
  control: Object.keys(controlMessage.shape),
  data_requests: Object.keys(dataRequestMessage.shape),
  data_rows: Object.keys(dataRowsMessage.shape),
};
const latencyFields = Object.keys(metricsMessage.shape.metrics.shape);

/** Values that have broken decoders before: out of the Date range, subnormal, huge, numeric text. */
const edgeNumber = fc.constantFrom(1e308, -1e300, 9e15, -9e15, 8.64e15, 8.64e15 + 1, 1e11, 5e-324, -0, 2 ** 53, 1e21, Number.MAX_SAFE_INTEGER + 2);
const numericText = fc.oneof(fc.double({ noNaN: true }).map(String), edgeNumber.map(String), fc.constantFrom('9e15', '-1e300', '1e308', ' 7 ', '+1', '.5', '1e', '0x10', 'Infinity'));
const dateText = fc.oneof(fc.date({ noInvalidDate: true }).map((d) => d.toISOString()), fc.constantFrom('+275760-09-13T00:00:00.000Z', '-271821-04-20T00:00:00.000Z', '+275760-09-13T00:00:00.001Z', 'yesterday'));
const enumText = fc.constantFrom('YES', 'yes', 'TSUNAMI', 'avalanche', 'DRIVER_NODE_REGISTER', 'CANCEL_TEST', 'idle', 'running', 'warmup', 'completed', 'http://127.0.0.1:1/x', '__proto__', 'constructor');
const fieldValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.jsonValue({ maxDepth: 2 }),
  edgeNumber,
  numericText,
  dateText,
  enumText,
  fc.array(fc.oneof(fc.string(), enumText), { maxLength: 3 }),
  fc.dictionary(fc.oneof(fc.string(), enumText), fc.oneof(fc.integer(), numericText, edgeNumber), { maxKeys: 3 }),
  fc.record(Object.fromEntries(latencyFields.map((f) => [f, fc.oneof(fc.double(), numericText, edgeNumber, fc.jsonValue({ maxDepth: 1 }))])), { requiredKeys: [] }),
);

function shapedLike(topic: TopicName): fc.Arbitrary<Record<string, unknown>> {
  return fc.record(Object.fromEntries(fieldsOf[topic].map((field) => [field, fieldValue])), { requiredKeys: [] });
}

/** Either a decoded message that encodes and decodes again to itself, or a rejection naming a field. */
function assertDecodesOrRejects(topic: TopicName, bytes: Buffer | string): void {
  const result = decodeMessage(topic, bytes);
  if (!result.ok) {
    assert.ok(result.error instanceof ProtocolError);
    assert.ok(result.error.field.length > 0 && result.error.reason.length > 0, result.error.message);
    return;
  }
  const again = decodeMessage(topic, encodeMessage(topic, result.value as never));
  assert.ok(again.ok, `re-encoded ${topic} message was rejected: ${again.ok ? '' : again.error.message}`);
  assert.deepEqual(again.value, result.value);
}

describe('every topic decoder, fed anything', () => {
  for (const topic of ALL_TOPICS) {
    it(`${topic}: arbitrary JSON values decode or are rejected, never throw`, () => {
      fc.assert(fc.property(fc.jsonValue(), (value) => assertDecodesOrRejects(topic, JSON.stringify(value) ?? 'null')), { numRuns: RUNS });
    });

    it(`${topic}: objects with the real field names and random values decode or are rejected`, () => {
      fc.assert(fc.property(shapedLike(topic), (message) => assertDecodesOrRejects(topic, JSON.stringify(message))), { numRuns: RUNS });
    });

    it(`${topic}: arbitrary bytes decode or are rejected`, () => {
      fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => assertDecodesOrRejects(topic, Buffer.from(bytes))), { numRuns: RUNS });
    });
  }

  it('rejects out-of-range dates as a field error', () => {
    const cases: [TopicName, Record<string, unknown>][] = [
      ['heartbeat', { node_id: 'n', heartbeat: 'YES', timestamp: 1e308 }],
      ['heartbeat', { node_id: 'n', heartbeat: 'YES', timestamp: '9e15' }],
      ['heartbeat', { node_id: 'n', heartbeat: 'YES', timestamp: -1e300 }],
      ['test_config', { test_id: 't', test_type: 'AVALANCHE', test_message_delay: '0', message_count_per_driver: '1', created_at: 1e308 }],
      ['register', { node_id: 'n', node_IP: 'x', message_type: 'DRIVER_NODE_REGISTER', timestamp: '9e15' }],
      ['metrics', { node_id: 'n', test_id: 't', report_id: 'r', metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 }, timestamp: -1e300 }],
    ];
    for (const [topic, message] of cases) {
      const result = decodeMessage(topic, JSON.stringify(message));
      assert.equal(result.ok, false, JSON.stringify(message));
      if (!result.ok) assert.equal(result.error.field, message.timestamp === undefined ? 'created_at' : 'timestamp', result.error.message);
    }
  });
});
