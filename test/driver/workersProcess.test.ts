import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { KafkaBus } from '../../src/bus/index.js';
import { newTestId, type MetricsMessage, type TestConfigMessage } from '../../src/protocol/index.js';
import { decodeHistogram } from '../../src/stats/latencyHistogram.js';
import { startDriverProcess, type DriverProcess } from '../helpers/driverProcess.js';
import { connectTestBus, subscribeInbox, testBrokers, type Inbox } from '../helpers/kafka.js';
import { startRecordingServer, type RecordingServer } from '../helpers/recordingServer.js';

const nodeId = `driver-workers-${randomBytes(4).toString('hex')}`;
const storeDir = mkdtempSync(join(tmpdir(), 'stampede-workers-it-'));

describe('a driver with --workers 2 (child process, real Kafka, recording target)', () => {
  let bus: KafkaBus;
  let target: RecordingServer;
  let driver: DriverProcess;
  let inbox: Inbox<'metrics'>;
  let closeInbox: () => Promise<void>;

  const reportsFor = (testId: string): MetricsMessage[] => inbox.received.flatMap((d) => (d.topic === 'metrics' && d.message.test_id === testId ? [d.message] : []));
  const waitForFinal = async (testId: string, timeoutMs = 30_000): Promise<MetricsMessage> => {
    const found = await inbox.waitFor((d) => d.topic === 'metrics' && d.message.test_id === testId && d.message.final === true, timeoutMs, `the final report of ${testId}`);
    return found.message as MetricsMessage;
  };
  const runTest = async (overrides: Partial<TestConfigMessage>): Promise<string> => {
    const config: TestConfigMessage = { test_id: newTestId(), test_type: 'TSUNAMI', test_message_delay: 20, message_count_per_driver: 80, target_url: target.url, driver_ids: [nodeId], ...overrides };
    await bus.publish('test_config', config);
    await bus.publish('trigger', { test_id: config.test_id, trigger: 'YES' });
    return config.test_id;
  };

  before(async () => {
    bus = await connectTestBus(`workers-test-${randomBytes(3).toString('hex')}`);
    ({ inbox, close: closeInbox } = await subscribeInbox(bus, ['metrics']));
    target = await startRecordingServer();
    driver = await startDriverProcess(['--kafka', testBrokers().join(','), '--orchestrator', '127.0.0.1:7070', '--store', join(storeDir, 'driver.db'), '--id', nodeId, '--workers', '2']);
  });

  after(async () => {
    await driver?.kill();
    await closeInbox?.();
    await bus?.close();
    await target?.close();
    rmSync(storeDir, { recursive: true, force: true });
  });

  it('sends exactly N requests and publishes one report stream with one merged histogram', async () => {
    const testId = await runTest({});
    const final = await waitForFinal(testId);
    assert.equal(target.arrivals.length, 80);
    assert.deepEqual({ outcome: final.outcome, sent: final.sent, completed: final.completed, in_flight: final.in_flight }, { outcome: 'completed', sent: 80, completed: 80, in_flight: 0 });
    assert.equal(decodeHistogram(final.histogram ?? '').totalCount, 80);
    const reports = reportsFor(testId);
    assert.deepEqual(new Set(reports.map((r) => r.node_id)), new Set([nodeId]));
    assert.equal(reports.filter((r) => r.final).length, 1);
    const seqs = reports.map((r) => r.seq ?? 0).sort((a, b) => a - b);
    assert.deepEqual(seqs, Array.from({ length: seqs.length }, (_, i) => i + 1), 'one stream: seq 1, 2, 3…');
  });

  it('shuts down cleanly on SIGTERM during a test: an aborted final report, exit 0', { timeout: 60_000 }, async () => {
    const testId = await runTest({ test_message_delay: 10, message_count_per_driver: 100_000 });
    await inbox.waitFor((d) => d.topic === 'metrics' && d.message.test_id === testId && (d.message.sent ?? 0) > 0, 30_000, 'a report with requests sent');
    driver.child.kill('SIGTERM');
    const final = await waitForFinal(testId);
    assert.equal(final.outcome, 'aborted');
    assert.match(final.reason ?? '', /SIGTERM/);
    assert.equal(await driver.exited, 0);
  });
});
