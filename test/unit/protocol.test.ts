import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { decodeMessage, encodeMessage, newNodeId, newReportId, newTestId, TOPICS } from '../../src/protocol/index.js';

function decoded<T>(result: { ok: true; value: T } | { ok: false; error: Error }): T {
  if (!result.ok) assert.fail(`expected a decoded message, got ${result.error.message}`);
  return result.value;
}

describe('protocol', () => {
  it('reads the spec example test_config with every value quoted', () => {
    const text = '{ "test_id": "t-1", "test_type": "TSUNAMI", "test_message_delay": "250", "message_count_per_driver": "1000" }';
    const message = decoded(decodeMessage(TOPICS.testConfig, text));
    assert.equal(message.test_message_delay, 250);
    assert.equal(message.message_count_per_driver, 1000);
    assert.equal(message.test_type, 'TSUNAMI');
  });

  it('reads numbers given as JSON numbers too', () => {
    const message = decoded(decodeMessage(TOPICS.testConfig, JSON.stringify({ test_id: 't', test_type: 'avalanche', test_message_delay: 0, message_count_per_driver: 7 })));
    assert.equal(message.message_count_per_driver, 7);
    assert.equal(message.test_type, 'AVALANCHE');
  });

  it('writes spec numbers as strings and keeps the spec field names', () => {
    const text = encodeMessage(TOPICS.testConfig, { test_id: 't', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 5, throughput_per_driver: 100 });
    const raw = JSON.parse(text) as Record<string, unknown>;
    assert.equal(raw.test_message_delay, '0');
    assert.equal(raw.message_count_per_driver, '5');
    assert.equal(raw.throughput_per_driver, 100);
    const metrics = JSON.parse(
      encodeMessage(TOPICS.metrics, { node_id: 'n', test_id: 't', report_id: 'r', metrics: { mean_latency: 1.5, median_latency: 1, min_latency: 0.5, max_latency: 9 } }),
    ) as { metrics: Record<string, unknown> };
    assert.deepEqual(metrics.metrics, { mean_latency: '1.5', median_latency: '1', min_latency: '0.5', max_latency: '9' });
  });

  it('round-trips every message type through encode and decode', () => {
    const samples = {
      register: { node_id: 'driver-1', node_IP: '127.0.0.1:7001', message_type: 'DRIVER_NODE_REGISTER' as const },
      test_config: { test_id: 't', test_type: 'TSUNAMI' as const, test_message_delay: 10, message_count_per_driver: 3, driver_ids: ['a', 'b'], target_url: 'http://127.0.0.1:8080/ping', warmup_count_per_driver: 20 },
      trigger: { test_id: 't', trigger: 'YES' as const },
      metrics: { node_id: 'n', test_id: 't', report_id: 'r', metrics: { mean_latency: 2, median_latency: 2, min_latency: 1, max_latency: 3, p99_latency: 3 }, sent: 4, completed: 3, errors: { http_500: 1 }, final: true, seq: 2, phase: 'workload' as const, warmup_completed: 20 },
      heartbeat: { node_id: 'n', heartbeat: 'YES' as const, timestamp: '2026-11-24T08:00:00.000Z', state: 'running' as const, test_id: 't' },
      control: { message_type: 'CANCEL_TEST' as const, test_id: 't', reason: 'user' },
    };
    for (const [topic, message] of Object.entries(samples)) {
      const t = topic as keyof typeof samples;
      assert.deepEqual(decoded(decodeMessage(t, encodeMessage(t, message as never))), message, topic);
    }
  });

  it('names the field at fault and never throws', () => {
    const cases: [string, string, string][] = [
      [TOPICS.testConfig, '{"test_id":"t","test_type":"FLOOD","test_message_delay":"0","message_count_per_driver":"1"}', 'test_type'],
      [TOPICS.testConfig, '{"test_id":"t","test_type":"TSUNAMI","test_message_delay":"-1","message_count_per_driver":"1"}', 'test_message_delay'],
      [TOPICS.testConfig, '{"test_id":"t","test_type":"TSUNAMI","test_message_delay":"0","message_count_per_driver":"1.5"}', 'message_count_per_driver'],
      [TOPICS.testConfig, '{"test_id":"t","test_type":"TSUNAMI","test_message_delay":"0"}', 'message_count_per_driver'],
      [TOPICS.testConfig, '{"test_id":"t","test_type":"TSUNAMI","test_message_delay":"1","message_count_per_driver":"1","warmup_count_per_driver":"-5"}', 'warmup_count_per_driver'],
      [TOPICS.register, '{"node_id":"n","node_IP":"x","message_type":"HELLO"}', 'message_type'],
      [TOPICS.metrics, '{"node_id":"n","test_id":"t","report_id":"r","metrics":{"mean_latency":1,"median_latency":1,"min_latency":1,"max_latency":1},"phase":"cooldown"}', 'phase'],
      [TOPICS.metrics, '{"node_id":"n","test_id":"t","report_id":"r","metrics":{"mean_latency":"fast"}}', 'metrics.mean_latency'],
      [TOPICS.heartbeat, '{"node_id":"n","heartbeat":"YES","timestamp":"yesterday"}', 'timestamp'],
      [TOPICS.trigger, 'not json at all', '(message)'],
      [TOPICS.trigger, '[1,2]', '(message)'],
      [TOPICS.trigger, '', '(message)'],
    ];
    for (const [topic, text, field] of cases) {
      const result = decodeMessage(topic as 'trigger', text);
      assert.equal(result.ok, false, text);
      if (!result.ok) assert.equal(result.error.field, field, `${text}: ${result.error.message}`);
    }
  });

  it('cuts error samples from a peer to 5 per kind and 300 characters instead of refusing the report', () => {
    const report = {
      node_id: 'n',
      test_id: 't',
      report_id: 'r',
      metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 },
      error_samples: { tls: ['x'.repeat(1_000)], timeout: ['1', '2', '3', '4', '5', '6', '7'] },
    };
    const message = decoded(decodeMessage(TOPICS.metrics, JSON.stringify(report)));
    assert.deepEqual(message.error_samples, { tls: ['x'.repeat(300)], timeout: ['1', '2', '3', '4', '5'] });
    const wrongType = decodeMessage(TOPICS.metrics, JSON.stringify({ ...report, error_samples: { tls: 'not a list' } }));
    assert.equal(!wrongType.ok && wrongType.error.field, 'error_samples.tls');
  });

  it('accepts heartbeat timestamps as ISO-8601 or epoch seconds or milliseconds', () => {
    for (const timestamp of ['2026-11-24T08:00:00Z', '1795507200', 1795507200000]) {
      const message = decoded(decodeMessage(TOPICS.heartbeat, JSON.stringify({ node_id: 'n', heartbeat: 'YES', timestamp })));
      assert.match(message.timestamp, /^\d{4}-\d\d-\d\dT/);
    }
  });

  it('makes unique ids', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => [newNodeId('driver'), newTestId(), newReportId()]).flat());
    assert.equal(ids.size, 3000);
    assert.ok(newTestId(1000) < newTestId(2000), 'test ids sort by creation time');
  });
});
