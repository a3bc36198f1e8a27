import { existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { OUTBOX_SCHEMA, ReportOutbox } from './reportOutbox.js';

export type NewEvent = {
  testId: string;
  type: string;
  payload: unknown;
  /** Events sharing a key are stored once, so a redelivered Kafka message is not counted twice. */
  dedupeKey?: string;
  at?: Date;
};

export type StoredEvent = {
  seq: number;
  testId: string;
  type: string;
  /** ISO-8601 timestamp. */
  at: string;
  payload: unknown;
  dedupeKey: string | null;
};

/**
 * Creates the missing directories one level at a time. Node's recursive mkdirSync never returns for a
 * path under /proc (it retries ENOENT forever); one level at a time fails at once with ENOENT.
 */
function createParentDirectories(file: string): void {
  const missing: string[] = [];
  for (let dir = dirname(file); !existsSync(dir); dir = dirname(dir)) {
    missing.unshift(dir);
    if (dirname(dir) === dir) break;
  }
  for (const dir of missing) mkdirSync(dir);
}

/** Bump with a migration in migrate() whenever the schema changes. */
export const SCHEMA_VERSION = 2;

const SCHEMA_V1 = `
  CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    test_id TEXT NOT NULL,
    type TEXT NOT NULL,
    at TEXT NOT NULL,
    dedupe_key TEXT UNIQUE,
    payload TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS events_by_test ON events (test_id, seq);
  CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT);
`;

/** Each version's additions, in order: a file at version n gets every later one. */
const MIGRATIONS: readonly string[] = [SCHEMA_V1, OUTBOX_SCHEMA];

/**
 * Indexes only speed reads up: created at every open when missing, never a new schema version, so a build
 * without them still opens the file (SQLite keeps every index up to date on its writes all the same).
 * events_by_type: a restart reads a finished test's summary from its test_created and test_finished
 * events, at a cost that follows the number of tests, not of reports. outbox_by_test: each of a driver's
 * acknowledgements looks up its test's settled reports, else a scan of the whole outbox on the load's
 * event loop (about 170,000 rows a day into a soak at 2 reports a second).
 */
const INDEXES = `
  CREATE INDEX IF NOT EXISTS events_by_type ON events (type, seq);
  CREATE INDEX IF NOT EXISTS outbox_by_test ON outbox (test_id, final);
`;

type EventRow = { seq: number; test_id: string; type: string; at: string; dedupe_key: string | null; payload: string };
type EventParams = { testId: string; type: string; at: string; dedupeKey: string | null; payload: string };

const EVENT_COLUMNS = 'seq, test_id, type, at, dedupe_key, payload';

/**
 * Append-only, event-sourced log of a node's metrics plus a small key/value table, and the driver's
 * outbox of reports. The driver keeps every report there before it is sent; the orchestrator keeps
 * everything it ingested, keyed by test id.
 */
export class MetricsStore {
  readonly outbox: ReportOutbox;
  private readonly insertEvent;
  private readonly selectEventsForTest;
  private readonly selectEventsOfTypes;
  private readonly selectValue;
  private readonly upsertValue;
  private readonly appendInTransaction;
  private readonly removeInTransaction;
  private readonly keepNewestTestsInTransaction;

  private constructor(private readonly db: Database.Database) {
    this.insertEvent = db.prepare<EventParams>(
      `INSERT INTO events (test_id, type, at, dedupe_key, payload) VALUES (@testId, @type, @at, @dedupeKey, @payload)
       ON CONFLICT (dedupe_key) DO NOTHING`,
    );
    this.selectEventsForTest = db.prepare<[string], EventRow>(
      `SELECT ${EVENT_COLUMNS} FROM events WHERE test_id = ? ORDER BY seq`,
    );
    this.selectEventsOfTypes = db.prepare<[string], EventRow>(`SELECT ${EVENT_COLUMNS} FROM events WHERE type IN (SELECT value FROM json_each(?)) ORDER BY seq`);
    this.selectValue = db.prepare<[string], string | null>('SELECT value FROM kv WHERE key = ?').pluck();
    this.upsertValue = db.prepare<[string, string]>(
      'INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
    );
    this.appendInTransaction = db.transaction((events: readonly NewEvent[]) => events.map((event) => this.append(event)));
    const deleteEvents = db.prepare<[string]>('DELETE FROM events WHERE test_id = ?');
    this.removeInTransaction = db.transaction((ids: readonly string[], note: string) => {
      for (const id of ids) {
        deleteEvents.run(id);
        this.upsertValue.run(removedKey(id), note);
      }
    });
    this.outbox = new ReportOutbox(db);
    const dropEventsOfOlderTests = db.prepare<[number]>('DELETE FROM events WHERE test_id NOT IN (SELECT test_id FROM events GROUP BY test_id ORDER BY MAX(seq) DESC LIMIT ?)');
    this.keepNewestTestsInTransaction = db.transaction((count: number) => {
      dropEventsOfOlderTests.run(count);
      this.outbox.keepNewestTests(count);
    });
  }

  static open(file: string): MetricsStore {
    let db: Database.Database;
    try {
      createParentDirectories(file);
      db = new Database(file);
    } catch (error) {
      throw new Error(`cannot open the metrics store ${file}: ${(error as Error).message}`, { cause: error });
    }
    try {
      db.pragma('journal_mode = WAL');
      // In WAL mode NORMAL stays consistent and survives a process crash; only a power loss can drop the
      // latest commits, a fair price for not syncing on every commit at thousands of events a second.
      db.pragma('synchronous = NORMAL');
      migrate(db, file);
      db.exec(INDEXES);
      return new MetricsStore(db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Returns the new event's seq, or null when an event with the same dedupe key is stored already. */
  append(event: NewEvent): number | null {
    const result = this.insertEvent.run({
      testId: event.testId,
      type: event.type,
      at: (event.at ?? new Date()).toISOString(),
      dedupeKey: event.dedupeKey ?? null,
      payload: payloadJson(event),
    });
    return result.changes === 0 ? null : Number(result.lastInsertRowid);
  }

  /** One transaction: all or nothing, and far cheaper than a commit per event. */
  appendMany(events: readonly NewEvent[]): (number | null)[] {
    return this.appendInTransaction(events);
  }

  eventsFor(testId: string): StoredEvent[] {
    return this.selectEventsForTest.all(testId).map(toStoredEvent);
  }

  /**
   * The events of these types only, in order (a restart sums up finished tests without reading their
   * reports): SQLite sorts the rows of these types by seq first, then hands them over one at a time, so
   * no other event is read. Nothing may write to the store until the iteration ends.
   */
  *eventsOfTypes(types: readonly string[]): Generator<StoredEvent> {
    for (const row of this.selectEventsOfTypes.iterate(JSON.stringify(types))) yield toStoredEvent(row);
  }

  /**
   * Deletes the events of each id (a test's or a plan's) in one transaction and keeps a note of why under
   * its id, so a reader asking for it later is told it was removed rather than that it never was.
   */
  removeEvents(ids: readonly string[], note: string): void {
    this.removeInTransaction(ids, note);
  }

  /**
   * A driver's store, bounded: keeps the events and settled reports of the newest `count` tests (by their
   * latest row) and drops the rest; a report not yet acknowledged by Kafka always stays. Never for an
   * orchestrator's store, whose events are the history (retention.ts removes from it by policy).
   */
  keepNewestTests(count: number): void {
    this.keepNewestTestsInTransaction(count);
  }

  /** Why an id's events were removed, if they were. */
  removalNote(id: string): string | undefined {
    return this.getValue(removedKey(id));
  }

  getValue(key: string): string | undefined {
    return this.selectValue.get(key) ?? undefined;
  }

  setValue(key: string, value: string): void {
    this.upsertValue.run(key, value);
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}

function migrate(db: Database.Database, file: string): void {
  const version = db.pragma('user_version', { simple: true }) as number;
  if (version === SCHEMA_VERSION) return;
  if (version > SCHEMA_VERSION || version < 0) {
    throw new Error(`metrics store ${file} has schema version ${String(version)}; this build supports ${SCHEMA_VERSION}`);
  }
  db.transaction(() => {
    for (const schema of MIGRATIONS.slice(version)) db.exec(schema);
    db.pragma(`user_version = ${SCHEMA_VERSION}`);
  })();
}

function payloadJson(event: NewEvent): string {
  let json: string | undefined;
  try {
    json = JSON.stringify(event.payload);
  } catch (error) {
    throw new Error(`payload of ${event.type} event for test ${event.testId} is not JSON-serializable`, { cause: error });
  }
  if (json === undefined) {
    throw new Error(`payload of ${event.type} event for test ${event.testId} is ${typeof event.payload}, not JSON`);
  }
  return json;
}

function toStoredEvent(row: EventRow): StoredEvent {
  return {
    seq: row.seq,
    testId: row.test_id,
    type: row.type,
    at: row.at,
    payload: parsePayload(row),
    dedupeKey: row.dedupe_key,
  };
}

function parsePayload(row: EventRow): unknown {
  try {
    return JSON.parse(row.payload);
  } catch (error) {
    throw new Error(`event ${row.seq} (${row.type}, test ${row.test_id}) has a corrupt JSON payload`, { cause: error });
  }
}

function removedKey(id: string): string {
  return `removed:${id}`;
}
