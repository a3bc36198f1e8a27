import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { unstartedReport } from '../../src/driver/reporter.js';
import { ReportPublisher } from '../../src/driver/reportPublisher.js';
import { decodeMessage, type MetricsMessage } from '../../src/protocol/index.js';
import { MetricsStore } from '../../src/store/metricsStore.js';
import { tempDir } from '../helpers/processes.js';

/** The publisher warns about every outage it rides out; here the outages are the point. */
const log = pino({ level: 'silent' });
const dirs: string[] = [];
const newStoreFile = () => {
  const dir = tempDir('stampede-outbox-');
  dirs.push(dir);
  return join(dir, 'driver.db');
};

/** A broker that refuses while `down` is true, and remembers what it took (decoded, as a consumer would). */
function fakeBroker() {
  const broker = {
    down: false,
    attempts: 0,
    taken: [] as MetricsMessage[],
    publish: async (wire: string) => {
      broker.attempts += 1;
      if (broker.down) throw new Error('publishing to Kafka failed: connection refused');
      const decoded = decodeMessage('metrics', Buffer.from(wire));
      assert.ok(decoded.ok, 'the outbox stores valid metrics messages');
      broker.taken.push(decoded.value);
    },
  };
  return broker;
}

function report(testId: string, seq: number, final = false): MetricsMessage {
  const { outcome: _outcome, reason: _reason, final: _final, ...periodic } = unstartedReport('driver-a', testId, { outcome: 'rejected', reason: 'unused' });
  const counted = { ...periodic, seq, sent: seq, completed: seq };
  return final ? { ...counted, final: true, outcome: 'completed' } : counted;
}

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('report publisher (the driver outbox)', () => {
  after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

  it('stores a report before publishing, retries while the broker refuses, and marks it acknowledged once taken', async () => {
    const store = MetricsStore.open(newStoreFile());
    const broker = fakeBroker();
    broker.down = true;
    const publisher = new ReportPublisher({ outbox: store.outbox, publish: broker.publish, log });
    const final = report('test-a', 3, true);
    publisher.submit(final);
    assert.deepEqual(store.outbox.pending().map((r) => r.reportId), [final.report_id], 'stored before the broker took it');
    await waitUntil(() => broker.attempts >= 3);
    assert.equal(broker.taken.length, 0);
    broker.down = false;
    await waitUntil(() => broker.taken.length === 1);
    assert.equal(broker.taken[0]?.report_id, final.report_id, 'the same report_id on every attempt');
    await waitUntil(() => store.outbox.counts().acknowledged === 1);
    assert.deepEqual(store.outbox.counts(), { pending: 0, acknowledged: 1, superseded: 0 });
    await publisher.stop(1_000);
    store.close();
  });

  it('keeps only the newest periodic report of a test pending, and every final one', async () => {
    const store = MetricsStore.open(newStoreFile());
    const broker = fakeBroker();
    broker.down = true;
    const publisher = new ReportPublisher({ outbox: store.outbox, publish: broker.publish, log });
    for (let seq = 1; seq <= 5; seq++) publisher.submit(report('test-a', seq));
    publisher.submit(report('test-b', 1));
    publisher.submit(report('test-b', 2, true));
    const pending = store.outbox.pending();
    assert.deepEqual(pending.map((r) => [r.testId, r.seq, r.final]), [['test-a', 5, false], ['test-b', 2, true]]);
    broker.down = false;
    await waitUntil(() => store.outbox.counts().pending === 0);
    assert.deepEqual(broker.taken.map((m) => [m.test_id, m.seq]).slice(-2), [['test-a', 5], ['test-b', 2]]);
    assert.equal(broker.taken.find((m) => m.test_id === 'test-b')?.final, true);
    await publisher.stop(1_000);
    store.close();
  });

  it('a restarted driver publishes what its earlier run left unacknowledged', async () => {
    const file = newStoreFile();
    const broker = fakeBroker();
    broker.down = true;
    const first = MetricsStore.open(file);
    const before = new ReportPublisher({ outbox: first.outbox, publish: broker.publish, log });
    const final = report('test-a', 7, true);
    before.submit(final);
    assert.equal(await before.stop(200), 1, 'stopping leaves the unacknowledged report in the store');
    first.close();

    broker.down = false;
    const second = MetricsStore.open(file);
    const after = new ReportPublisher({ outbox: second.outbox, publish: broker.publish, log });
    assert.equal(after.pendingCount(), 1);
    after.flush();
    await waitUntil(() => broker.taken.length === 1);
    assert.equal(broker.taken[0]?.report_id, final.report_id);
    assert.equal(broker.taken[0]?.final, true);
    assert.equal(await after.stop(1_000), 0);
    second.close();
  });
});
