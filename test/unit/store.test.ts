import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { after, describe, it } from 'node:test';
import Database from 'better-sqlite3';
import { MetricsStore, SCHEMA_VERSION, type NewEvent } from '../../src/store/metricsStore.js';

const root = mkdtempSync(join(tmpdir(), 'stampede-store-'));
let fileCounter = 0;

/** A fresh database file in a folder that does not exist yet, so open() has to create it. */
function freshFile(): string {
  fileCounter++;
  return join(root, `case-${fileCounter}`, 'nested', 'metrics.db');
}

function withStore<T>(use: (store: MetricsStore, file: string) => T): T {
  const file = freshFile();
  const store = MetricsStore.open(file);
  try {
    return use(store, file);
  } finally {
    store.close();
  }
}

function report(testId: string, n: number, dedupeKey?: string): NewEvent {
  return { testId, type: 'report', payload: { n, latencies: [n, n + 1] }, dedupeKey };
}

after(() => rmSync(root, { recursive: true, force: true }));

describe('MetricsStore', () => {
  it('reads events back in append order with their fields', () => {
    withStore((store) => {
      const at = new Date('2025-01-02T03:04:05.678Z');
      const first = store.append({ testId: 't1', type: 'config', payload: { rate: 10 }, at, dedupeKey: 'k1' });
      const before = Date.now();
      const second = store.append(report('t1', 2));
      assert.ok(first !== null && second !== null && second > first);

      const [config, stored] = store.eventsFor('t1');
      assert.deepEqual(config, { seq: first, testId: 't1', type: 'config', at: at.toISOString(), payload: { rate: 10 }, dedupeKey: 'k1' });
      assert.equal(stored?.seq, second);
      assert.deepEqual(stored?.payload, { n: 2, latencies: [2, 3] });
      assert.equal(stored?.dedupeKey, null);
      assert.ok(Date.parse(stored?.at ?? '') >= before, 'at defaults to now');
    });
  });

  it('stores an event with a known dedupe key once and returns null for the repeat', () => {
    withStore((store) => {
      assert.equal(typeof store.append(report('t1', 1, 'driver-a/report-1')), 'number');
      assert.equal(store.append(report('t1', 99, 'driver-a/report-1')), null);
      assert.deepEqual(
        store.eventsFor('t1').map((e) => e.payload),
        [{ n: 1, latencies: [1, 2] }],
      );
    });
  });

  it('keeps every event without a dedupe key', () => {
    withStore((store) => {
      store.append(report('t1', 1));
      store.append(report('t1', 1));
      assert.equal(store.eventsFor('t1').length, 2);
    });
  });

  it('keeps events and values across close and reopen of the same file', () => {
    const file = freshFile();
    const writer = MetricsStore.open(file);
    writer.append(report('t1', 1, 'r1'));
    writer.setValue('node_id', 'driver-7');
    writer.close();

    const reader = MetricsStore.open(file);
    try {
      assert.deepEqual(reader.eventsFor('t1').map((e) => e.dedupeKey), ['r1']);
      assert.equal(reader.getValue('node_id'), 'driver-7');
      assert.equal(reader.append(report('t1', 1, 'r1')), null, 'dedupe keys survive a restart');
    } finally {
      reader.close();
    }
  });

  it('refuses a place it cannot create at once, with the reason, instead of hanging', () => {
    for (const file of ['/proc/stampede-nope/metrics.db', '/etc/hostname/metrics.db']) {
      assert.throws(() => MetricsStore.open(file), new RegExp(`cannot open the metrics store ${file}: `), file);
    }
  });

  it('records the schema version and uses WAL', () => {
    withStore((store, file) => {
      store.append(report('t1', 1));
      const db = new Database(file, { readonly: true });
      try {
        assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION);
        assert.equal(db.pragma('journal_mode', { simple: true }), 'wal');
      } finally {
        db.close();
      }
    });
  });

  it('refuses a file from a newer schema version', () => {
    const file = freshFile();
    MetricsStore.open(file).close();
    const db = new Database(file);
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`);
    db.close();
    assert.throws(() => MetricsStore.open(file), new RegExp(`schema version ${SCHEMA_VERSION + 1}; this build supports ${SCHEMA_VERSION}`));
  });

  it('upgrades a version 1 file (before the outbox) in place: events kept, outbox empty and usable', () => {
    const file = freshFile();
    mkdirSync(dirname(file), { recursive: true });
    const v1 = new Database(file);
    v1.exec(`CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, test_id TEXT NOT NULL, type TEXT NOT NULL, at TEXT NOT NULL, dedupe_key TEXT UNIQUE, payload TEXT NOT NULL);
             CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT);
             INSERT INTO events (test_id, type, at, dedupe_key, payload) VALUES ('t1', 'report_sent', '2026-01-01T00:00:00.000Z', 'r1', '{"seq":1}');`);
    v1.pragma('user_version = 1');
    v1.close();
    const store = MetricsStore.open(file);
    try {
      assert.deepEqual(store.eventsFor('t1').map((e) => e.payload), [{ seq: 1 }]);
      assert.deepEqual(store.outbox.counts(), { pending: 0, acknowledged: 0, superseded: 0 });
      store.outbox.add({ reportId: 'r2', testId: 't1', seq: 2, final: true, wire: '{}' });
      assert.deepEqual(store.outbox.pending().map((r) => r.reportId), ['r2']);
    } finally {
      store.close();
    }
  });

  it('appends many events in one transaction, null for duplicates within or before the batch', () => {
    withStore((store) => {
      store.append(report('t1', 0, 'dup-before'));
      const seqs = store.appendMany([report('t1', 1, 'a'), report('t1', 2, 'dup-before'), report('t1', 3, 'a'), report('t1', 4)]);
      assert.equal(seqs[1], null);
      assert.equal(seqs[2], null);
      assert.ok(typeof seqs[0] === 'number' && typeof seqs[3] === 'number' && seqs[3] > seqs[0]);
      assert.deepEqual(
        store.eventsFor('t1').map((e) => (e.payload as { n: number }).n),
        [0, 1, 4],
      );
    });
  });

  it('rolls back the whole batch when one event cannot be stored', () => {
    withStore((store) => {
      const bad: NewEvent = { testId: 't1', type: 'report', payload: undefined };
      assert.throws(() => store.appendMany([report('t1', 1), bad]), /payload of report event for test t1 is undefined/);
      assert.deepEqual(store.eventsFor('t1'), []);
    });
  });

  it('filters events by test', () => {
    withStore((store) => {
      const [a1, , a2] = store.appendMany([report('a', 1), report('b', 2), report('a', 3)]);
      assert.deepEqual(
        store.eventsFor('a').map((e) => e.seq),
        [a1, a2],
      );
      assert.deepEqual(store.eventsFor('missing'), []);
    });
  });

  it('reads the events of some types only, in order', () => {
    withStore((store) => {
      const [created, , , finished] = store.appendMany([
        { testId: 'a', type: 'test_created', payload: { n: 1 } },
        report('a', 2),
        { testId: 'b', type: 'test_created', payload: { n: 3 } },
        { testId: 'a', type: 'test_finished', payload: { n: 4 } },
      ]);
      assert.deepEqual([...store.eventsOfTypes(['test_created', 'test_finished'])].map((e) => [e.seq, e.testId, e.type, e.payload]), [
        [created, 'a', 'test_created', { n: 1 }],
        [created! + 2, 'b', 'test_created', { n: 3 }],
        [finished, 'a', 'test_finished', { n: 4 }],
      ]);
      assert.deepEqual([...store.eventsOfTypes([])], []);
    });
  });

  it('adds its read indexes (events by type, outbox by test) to a file of the same schema version without changing the version', () => {
    const file = freshFile();
    MetricsStore.open(file).close();
    const older = new Database(file);
    older.exec('DROP INDEX events_by_type; DROP INDEX outbox_by_test');
    older.close();
    MetricsStore.open(file).close();
    const db = new Database(file, { readonly: true });
    try {
      assert.equal(db.pragma('user_version', { simple: true }), SCHEMA_VERSION, 'a build without the indexes still opens the file');
      assert.ok(db.prepare("SELECT name FROM sqlite_master WHERE type = 'index' AND name = 'events_by_type'").get());
      // A driver's acknowledgement finds its test's settled reports by the index, not by a scan of the outbox.
      const plan = db.prepare<[], { detail: string }>("EXPLAIN QUERY PLAN DELETE FROM outbox WHERE final = 0 AND state != 'pending' AND test_id = 't'").all();
      assert.match(plan.map((row) => row.detail).join(' | '), /USING INDEX outbox_by_test/);
    } finally {
      db.close();
    }
  });

  it("bounds a driver's store: a test's final report acknowledged leaves one row, and only the newest tests stay, pending reports always", () => {
    withStore((store) => {
      const outgoing = (testId: string, seq: number, final = false) => ({ reportId: `${testId}-${seq}`, testId, seq, final, wire: `{"seq":${seq}}` });
      const rowsOf = (testId: string) => store.outbox.pending(1_000).filter((r) => r.testId === testId).length;
      for (let seq = 1; seq <= 3; seq++) {
        store.outbox.add(outgoing('long', seq));
        store.outbox.acknowledge(`long-${seq}`);
      }
      store.outbox.add(outgoing('long', 4, true));
      assert.deepEqual(store.outbox.counts(), { pending: 1, acknowledged: 3, superseded: 0 });
      store.outbox.acknowledge('long-4');
      assert.deepEqual(store.outbox.counts(), { pending: 0, acknowledged: 1, superseded: 0 }, 'the final report is on record, the periodic ones it holds are not');

      for (const testId of ['t1', 't2', 't3']) {
        store.append({ testId, type: 'test_config', payload: { testId }, dedupeKey: `test_config:${testId}` });
        store.outbox.add(outgoing(testId, 1, true));
        if (testId !== 't1') store.outbox.acknowledge(`${testId}-1`);
      }
      store.keepNewestTests(2);
      assert.deepEqual(['t1', 't2', 't3'].filter((id) => store.eventsFor(id).length > 0), ['t2', 't3'], "the oldest test's config goes");
      assert.equal(rowsOf('t1'), 1, 'a report Kafka has not acknowledged stays, however old its test');
      assert.deepEqual(store.outbox.counts(), { pending: 1, acknowledged: 2, superseded: 0 }, "the oldest acknowledged reports go ('long')");
      assert.equal(store.append({ testId: 't1', type: 'test_config', payload: {}, dedupeKey: 'test_config:t1' }) !== null, true, 'a forgotten config is stored anew');
    });
  });

  it('reads, writes and overwrites key/value pairs', () => {
    withStore((store) => {
      assert.equal(store.getValue('node_id'), undefined);
      store.setValue('node_id', 'a');
      store.setValue('node_id', 'b');
      assert.equal(store.getValue('node_id'), 'b');
    });
  });

  it('ingests a 10,000-event batch', () => {
    withStore((store) => {
      const events = Array.from({ length: 10_000 }, (_, i) => report(`t${i % 7}`, i, `report-${i}`));
      const seqs = store.appendMany(events);
      assert.equal(seqs.filter((seq) => seq !== null).length, 10_000);
      assert.equal(Array.from({ length: 7 }, (_, i) => store.eventsFor(`t${i}`).length).reduce((sum, count) => sum + count, 0), 10_000);
    });
  });
});
