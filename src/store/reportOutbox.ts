import type Database from 'better-sqlite3';

/** What the outbox needs to know of a report besides its bytes. */
export type OutgoingReport = {
  reportId: string;
  testId: string;
  seq: number;
  /** A final report is never superseded. */
  final: boolean;
  /** The message exactly as it goes on the wire, so what was stored is what is sent, after any restart. */
  wire: string;
};

export type PendingReport = OutgoingReport & { storedAt: string };

/**
 * pending: written, not yet acknowledged by the broker; acknowledged: the broker has it;
 * superseded: a later cumulative report of the same test made it redundant before it went out.
 */
export type OutboxState = 'pending' | 'acknowledged' | 'superseded';

export const OUTBOX_SCHEMA = `
  CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    report_id TEXT NOT NULL UNIQUE,
    test_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    final INTEGER NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'acknowledged', 'superseded')),
    stored_at TEXT NOT NULL,
    settled_at TEXT,
    payload TEXT NOT NULL
  );
  CREATE INDEX IF NOT EXISTS outbox_by_state ON outbox (state, id);
`;

type OutboxRow = { report_id: string; test_id: string; seq: number; final: number; stored_at: string; payload: string };

/**
 * The driver's metrics reports on their way to Kafka. A report is written here before anyone tries to
 * publish it and stays `pending` until the broker acknowledges it, so neither a broker outage of any
 * length nor a crash of the driver loses it: whatever is pending is published when Kafka answers
 * again, or when the driver starts next. Reports are cumulative, so a newer report of a test
 * supersedes its older pending periodic ones; a final report is never superseded.
 */
export class ReportOutbox {
  private readonly insert;
  private readonly supersede;
  private readonly selectPending;
  private readonly settle;
  private readonly countByState;
  private readonly addInTransaction;
  private readonly acknowledgeInTransaction;
  private readonly dropSettledOfOlderTests;

  constructor(db: Database.Database) {
    this.insert = db.prepare<{ reportId: string; testId: string; seq: number; final: number; storedAt: string; payload: string }>(
      `INSERT INTO outbox (report_id, test_id, seq, final, state, stored_at, payload)
       VALUES (@reportId, @testId, @seq, @final, 'pending', @storedAt, @payload)
       ON CONFLICT (report_id) DO NOTHING`,
    );
    this.supersede = db.prepare<{ testId: string; seq: number; at: string }>(
      `UPDATE outbox SET state = 'superseded', settled_at = @at
       WHERE test_id = @testId AND state = 'pending' AND final = 0 AND seq < @seq`,
    );
    this.selectPending = db.prepare<[number], OutboxRow>(
      `SELECT report_id, test_id, seq, final, stored_at, payload FROM outbox WHERE state = 'pending' ORDER BY id LIMIT ?`,
    );
    this.settle = db.prepare<{ reportId: string; state: OutboxState; at: string }>(
      'UPDATE outbox SET state = @state, settled_at = @at WHERE report_id = @reportId',
    );
    this.countByState = db.prepare<[], { state: OutboxState; count: number }>('SELECT state, COUNT(*) AS count FROM outbox GROUP BY state');
    const dropSettledPeriodic = db.prepare<{ reportId: string }>(
      `DELETE FROM outbox WHERE final = 0 AND state != 'pending'
       AND test_id = (SELECT test_id FROM outbox WHERE report_id = @reportId AND final = 1)`,
    );
    this.acknowledgeInTransaction = db.transaction((reportId: string, at: string) => {
      this.settle.run({ reportId, state: 'acknowledged', at });
      dropSettledPeriodic.run({ reportId });
    });
    this.dropSettledOfOlderTests = db.prepare<[number]>(
      `DELETE FROM outbox WHERE state != 'pending'
       AND test_id NOT IN (SELECT test_id FROM outbox GROUP BY test_id ORDER BY MAX(id) DESC LIMIT ?)`,
    );
    this.addInTransaction = db.transaction((report: OutgoingReport, storedAt: string) => {
      this.supersede.run({ testId: report.testId, seq: report.seq, at: storedAt });
      this.insert.run({
        reportId: report.reportId,
        testId: report.testId,
        seq: report.seq,
        final: report.final ? 1 : 0,
        storedAt,
        payload: report.wire,
      });
    });
  }

  /** Stores a report to publish (one transaction with superseding the older ones it replaces). */
  add(report: OutgoingReport): void {
    this.addInTransaction(report, new Date().toISOString());
  }

  /** Oldest first: a test's final report goes out after what it supersedes would have. */
  pending(limit = 100): PendingReport[] {
    return this.selectPending.all(limit).map((row) => ({
      reportId: row.report_id,
      testId: row.test_id,
      seq: row.seq,
      final: row.final === 1,
      storedAt: row.stored_at,
      wire: row.payload,
    }));
  }

  /**
   * The broker has it. Wins over `superseded`: a report that did go out is on record as sent. A final
   * report acknowledged settles its test: its periodic reports sent or superseded are dropped (reports are
   * cumulative, the final holds what they held), so a long test leaves one row, not one per report.
   */
  acknowledge(reportId: string): void {
    this.acknowledgeInTransaction(reportId, new Date().toISOString());
  }

  /** Drops the settled reports of all but the newest `count` tests; a report not yet acknowledged always stays. */
  keepNewestTests(count: number): void {
    this.dropSettledOfOlderTests.run(count);
  }

  counts(): Record<OutboxState, number> {
    const counts: Record<OutboxState, number> = { pending: 0, acknowledged: 0, superseded: 0 };
    for (const { state, count } of this.countByState.all()) counts[state] = count;
    return counts;
  }
}
