import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { KafkaBus } from '../src/bus/index.js';
import { newReportId, newTestId, TOPICS, type TopicMessages, type TopicName } from '../src/protocol/index.js';
import { connectTestBus, Inbox, subscribeInbox } from './helpers/kafka.js';

describe('the Kafka bus on a real broker', () => {
  let bus: KafkaBus;
  before(async () => {
    bus = await connectTestBus('bus-test');
  });
  after(async () => {
    await bus.close();
  });

  it('is receiving within two seconds of subscribing and round-trips every message type', async () => {
    const started = Date.now();
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.register, TOPICS.testConfig, TOPICS.trigger, TOPICS.metrics, TOPICS.heartbeat, TOPICS.control, TOPICS.dataRequests, TOPICS.dataRows]);
    const subscribeMs = Date.now() - started;
    assert.ok(subscribeMs < 5_000, `subscribing took ${subscribeMs} ms`);
    const testId = newTestId();
    const samples: { [T in TopicName]: TopicMessages[T] } = {
      register: { node_id: `driver-${testId}`, node_IP: '127.0.0.1:7001', message_type: 'DRIVER_NODE_REGISTER' },
      test_config: { test_id: testId, test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 3, throughput_per_driver: 50 },
      trigger: { test_id: testId, trigger: 'YES' },
      metrics: { node_id: 'n', test_id: testId, report_id: newReportId(), metrics: { mean_latency: 2.5, median_latency: 2, min_latency: 1, max_latency: 3 }, sent: 3, completed: 3, final: true },
      heartbeat: { node_id: `driver-${testId}`, heartbeat: 'YES', timestamp: new Date().toISOString(), state: 'idle' },
      control: { message_type: 'CANCEL_TEST', test_id: testId },
      data_requests: { message_type: 'TAKE_ROWS', test_id: testId, node_id: 'n', source: 'users', request_id: 1, rows: 10 },
      data_rows: { test_id: testId, node_id: 'n', source: 'users', request_id: 1, columns: ['user', 'note'], first_row: 0, rows: [['a', null]], total_rows: 1, pass: 1 },
    };
    const sentAt = Date.now();
    for (const [topic, message] of Object.entries(samples)) await bus.publish(topic as TopicName, message as never);
    for (const [topic, message] of Object.entries(samples)) {
      const delivery = await inbox.waitFor((d) => d.topic === topic && JSON.stringify(d.message).includes(testId), 5_000, topic);
      assert.deepEqual(delivery.message, message, topic);
    }
    assert.ok(Date.now() - sentAt < 5_000);
    await close();
  });

  it('rejects and counts garbage on every topic, and still delivers the next good message', async () => {
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.register, TOPICS.testConfig, TOPICS.trigger, TOPICS.metrics, TOPICS.heartbeat]);
    const before = { ...bus.counters.rejected };
    const noise = randomBytes(1024 * 1024).toString('latin1');
    const garbage = ['not json', '{"node_id": 5}', '[]', noise, '{"test_id":"x","test_type":"FLOOD","test_message_delay":"0","message_count_per_driver":"1"}'];
    const topics = [TOPICS.register, TOPICS.testConfig, TOPICS.trigger, TOPICS.metrics, TOPICS.heartbeat];
    for (const topic of topics) for (const text of garbage) await bus.publishRaw(topic, text);
    const testId = newTestId();
    await bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES' });
    await inbox.waitFor((d) => d.topic === 'trigger' && d.message.test_id === testId, 10_000, 'the good trigger after garbage');
    for (const topic of topics) {
      assert.equal((bus.counters.rejected[topic] ?? 0) - (before[topic] ?? 0), garbage.length, `rejected on ${topic}`);
    }
    assert.equal(inbox.received.filter((d) => d.topic !== 'trigger' || d.message.test_id !== testId).length, 0, 'no garbage was delivered');
    await close();
  });

  it('delivers, in order, many publishes that nobody awaited one by one', async () => {
    const { inbox, close } = await subscribeInbox(bus, [TOPICS.trigger]);
    const testIds = Array.from({ length: 200 }, () => newTestId());
    await Promise.all(testIds.map((testId) => bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES' })));
    await inbox.waitFor((d) => d.message.test_id === testIds.at(-1), 10_000, 'the last of 200 triggers');
    const seen = inbox.received.map((d) => d.message.test_id).filter((id) => testIds.includes(id));
    assert.deepEqual(seen, testIds);
    await close();
  });

  it('reads from the earliest offset when a saved offset lies outside the log', async () => {
    const testId = newTestId();
    await bus.publish(TOPICS.trigger, { test_id: testId, trigger: 'YES' });
    const inbox = new Inbox<'trigger'>();
    // An offset far past the log end, as an orchestrator restarted against a fresh broker would hold.
    const subscription = await bus.subscribe({ topics: [TOPICS.trigger], onMessage: (d) => inbox.push(d), resumeFrom: new Map([['trigger:0', 10n ** 12n]]) });
    await inbox.waitFor((d) => d.message.test_id === testId, 10_000, 'the trigger published before subscribing');
    const later = newTestId();
    await bus.publish(TOPICS.trigger, { test_id: later, trigger: 'YES' });
    await inbox.waitFor((d) => d.message.test_id === later, 10_000, 'a trigger published after subscribing');
    await subscription.close();
  });
});
