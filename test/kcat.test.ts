import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';
import type { KafkaBus } from '../src/bus/index.js';
import { newReportId, newTestId, TOPICS, type StartSecond } from '../src/protocol/index.js';
import { connectTestBus, subscribeInbox, testBrokers } from './helpers/kafka.js';
import { kcatProduce } from './helpers/kcat.js';

/** kcat (librdkafka) is an independent client: it checks our wire format against the spec's text. */
function kcatReadLast(topic: string, count: number): string[] {
  // Other tests leave megabytes of garbage on these topics: allow for it in the buffer.
  const output = execFileSync('kcat', ['-b', testBrokers().join(','), '-C', '-t', topic, '-o', `-${count}`, '-e', '-q'], { encoding: 'utf8', timeout: 15_000, maxBuffer: 256 * 1024 * 1024 });
  return output.trim().split('\n');
}

function parseObject(line: string): Record<string, unknown>[] {
  try {
    // Other tests put garbage on the topics too, some of it valid JSON that is not an object.
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? [value as Record<string, unknown>] : [];
  } catch {
    return [];
  }
}

describe('wire format checked with kcat', () => {
  let bus: KafkaBus;
  before(async () => {
    bus = await connectTestBus('kcat-test');
  });
  after(async () => {
    await bus.close();
  });

  it('decodes the spec example messages produced by kcat, values as strings', async () => {
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.register, TOPICS.testConfig, TOPICS.trigger, TOPICS.metrics, TOPICS.heartbeat]);
    const testId = newTestId();
    kcatProduce('register', `{ "node_id": "kcat-${testId}", "node_IP": "127.0.0.1:9000", "message_type": "DRIVER_NODE_REGISTER" }`);
    kcatProduce('test_config', `{ "test_id": "${testId}", "test_type": "AVALANCHE", "test_message_delay": "0", "message_count_per_driver": "100" }`);
    kcatProduce('trigger', `{ "test_id": "${testId}", "trigger": "YES" }`);
    kcatProduce('metrics', `{ "node_id": "kcat-${testId}", "test_id": "${testId}", "report_id": "r-1", "metrics": { "mean_latency": "1.5", "median_latency": "1.2", "min_latency": "0.4", "max_latency": "9" } }`);
    kcatProduce('heartbeat', `{ "node_id": "kcat-${testId}", "heartbeat": "YES", "timestamp": "1795507200" }`);
    const config = await inbox.waitFor((d) => d.topic === 'test_config' && d.message.test_id === testId, 10_000, 'test_config');
    assert.equal(config.topic === 'test_config' && config.message.message_count_per_driver, 100);
    const metrics = await inbox.waitFor((d) => d.topic === 'metrics' && d.message.test_id === testId, 10_000, 'metrics');
    assert.equal(metrics.topic === 'metrics' && metrics.message.metrics.median_latency, 1.2);
    await inbox.waitFor((d) => d.topic === 'register' && d.message.node_id === `kcat-${testId}`, 10_000, 'register');
    await inbox.waitFor((d) => d.topic === 'trigger' && d.message.test_id === testId, 10_000, 'trigger');
    const heartbeat = await inbox.waitFor((d) => d.topic === 'heartbeat' && d.message.node_id === `kcat-${testId}`, 10_000, 'heartbeat');
    assert.equal(heartbeat.topic === 'heartbeat' && heartbeat.message.timestamp, '2026-11-24T08:00:00.000Z');
    await close();
  });

  it('publishes messages that kcat reads back with exactly the spec field names', async () => {
    const testId = newTestId();
    await bus.publish(TOPICS.testConfig, { test_id: testId, test_type: 'TSUNAMI', test_message_delay: 25, message_count_per_driver: 40 });
    await bus.publish(TOPICS.metrics, { node_id: 'n', test_id: testId, report_id: newReportId(), metrics: { mean_latency: 3, median_latency: 2, min_latency: 1, max_latency: 7 } });
    await bus.publish(TOPICS.register, { node_id: `n-${testId}`, node_IP: '127.0.0.1:1', message_type: 'DRIVER_NODE_REGISTER' });
    await bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES' });
    await bus.publish(TOPICS.heartbeat, { node_id: `n-${testId}`, heartbeat: 'YES', timestamp: new Date().toISOString() });
    const read = (topic: string) => kcatReadLast(topic, 20).flatMap((line) => parseObject(line));
    const config = read('test_config').find((m) => m.test_id === testId);
    assert.deepEqual(config, { test_id: testId, test_type: 'TSUNAMI', test_message_delay: '25', message_count_per_driver: '40' });
    const metrics = read('metrics').find((m) => m.test_id === testId);
    assert.deepEqual(Object.keys(metrics ?? {}).sort(), ['metrics', 'node_id', 'report_id', 'test_id']);
    assert.deepEqual(metrics?.metrics, { mean_latency: '3', median_latency: '2', min_latency: '1', max_latency: '7' });
    assert.deepEqual(Object.keys(read('register').find((m) => m.node_id === `n-${testId}`) ?? {}).sort(), ['message_type', 'node_IP', 'node_id']);
    assert.deepEqual(read('trigger').find((m) => m.test_id === testId), { test_id: testId, trigger: 'YES' });
    assert.deepEqual(Object.keys(read('heartbeat').find((m) => m.node_id === `n-${testId}`) ?? {}).sort(), ['heartbeat', 'node_id', 'timestamp']);
  });

  it("a report by intended start and a pipelined config keep the spec's fields as they are, the extensions beside them", async () => {
    const testId = newTestId();
    const startSeconds: StartSecond[] = [{ s: 0, started: 50, completed: 49, errors: 1, latency: [[1000, 40], [2048, 9]] }];
    await bus.publish(TOPICS.metrics, { node_id: 'n', test_id: testId, report_id: newReportId(), metrics: { mean_latency: 3, median_latency: 2, min_latency: 1, max_latency: 7 }, start_seconds: startSeconds });
    await bus.publish(TOPICS.testConfig, { test_id: testId, test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 40, concurrency: 8, pipelining: 4 });
    const read = (topic: string) => kcatReadLast(topic, 20).flatMap((line) => parseObject(line)).find((m) => m.test_id === testId);
    const metrics = read('metrics');
    assert.deepEqual(metrics?.metrics, { mean_latency: '3', median_latency: '2', min_latency: '1', max_latency: '7' });
    assert.deepEqual(metrics?.start_seconds, startSeconds);
    const config = read('test_config');
    assert.deepEqual([config?.test_type, config?.test_message_delay, config?.message_count_per_driver, config?.pipelining], ['AVALANCHE', '0', '40', 4]);
  });

  it("a trigger with the shared start keeps the spec's fields as they are, start_at beside them for those who read it", async () => {
    const testId = newTestId();
    const startAt = Date.now() + 200;
    await bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES', start_at: startAt });
    const trigger = kcatReadLast('trigger', 20).flatMap((line) => parseObject(line)).find((m) => m.test_id === testId);
    assert.deepEqual(trigger, { test_id: testId, trigger: 'YES', start_at: startAt });
  });
});
