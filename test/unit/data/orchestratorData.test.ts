import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestBody, fieldErrors } from '../../../src/api/createTest.js';
import { DataCatalog, type DataSummary } from '../../../src/orchestrator/data/dataCatalog.js';
import { dataFigures, sourceReader } from '../../../src/orchestrator/data/dataFigures.js';
import { applyGrant, circularStart, emptyDealing, grantKey, nextGrant, type GrantRequest, type RowGrant, type SourceDealing } from '../../../src/orchestrator/data/rowDealing.js';
import { dataRowCounts, testDataProblems, testsReading } from '../../../src/orchestrator/data/testData.js';
import type { TestEvent } from '../../../src/orchestrator/testEvents.js';
import { applyTestEvent, createProjection, type TestProjection } from '../../../src/orchestrator/testProjection.js';
import { metricsMessage, testConfigMessage } from '../../../src/protocol/index.js';

/**
 * Test data, the orchestrator's side: how unique rows are dealt (rowDealing), what a test's figures say
 * about its rows (dataFigures), and a test's data checked against the kept files (testData).
 */

const everyRow = (_first: number, count: number) => count;

/** A request of driver `node_id` with everything else defaulted. */
function request(node_id: string, request_id: number, fields: Partial<GrantRequest> = {}): GrantRequest {
  return { node_id, request_id, wanted: 1_000, totalRows: 100, cycle: false, drivers: 1, fitting: everyRow, ...fields };
}

/** A copy of what a dealing holds, for comparing before and after. */
function snapshot(dealing: SourceDealing) {
  return { nextRow: dealing.nextRow, pass: dealing.pass, exhausted: dealing.exhausted, dealt: dealing.dealt, dealtTo: [...dealing.dealtTo], grants: [...dealing.grants.keys()] };
}

/** The upper bound the module documents for one grant that can run out: a 1/(2·drivers) share of what is left, at least one row. */
const shareOf = (left: number, drivers: number) => Math.max(1, Math.ceil(left / (2 * drivers)));

type Asked = { driver: number; wanted: number };

/** Several drivers asking in the given order, then round-robin until no row is left (or `cycle`'s budget is spent). */
function deal(totalRows: number, drivers: number, asked: readonly Asked[], cycle = false, extraRounds = 0) {
  const dealing = emptyDealing();
  const ids = new Array<number>(drivers).fill(0);
  const grants: RowGrant[] = [];
  const violations: string[] = [];
  const ask = ({ driver, wanted }: Asked) => {
    const before = dealing.nextRow >= totalRows && cycle ? 0 : dealing.nextRow;
    const left = totalRows - before;
    const grant = nextGrant(dealing, request(`d${driver}`, ++ids[driver]!, { wanted, totalRows, drivers, cycle }));
    if (grant.rows > 0) {
      if (!cycle && grant.rows > shareOf(left, drivers)) violations.push(`grant of ${grant.rows} with ${left} left and ${drivers} drivers`);
      // cycling rows never run out: a grant is what the driver asks for, up to the pass's end
      if (cycle && grant.rows !== Math.min(Math.max(1, wanted), left)) violations.push(`cycle: grant of ${grant.rows} for ${wanted} wanted with ${left} left`);
      if (grant.rows > Math.max(1, wanted)) violations.push(`grant of ${grant.rows} for ${wanted} wanted`);
      if (grant.first_row !== before) violations.push(`grant from ${grant.first_row}, expected ${before}`);
      if (grant.first_row + grant.rows > totalRows) violations.push(`grant past the file: ${grant.first_row}+${grant.rows} > ${totalRows}`);
      grants.push(grant);
    }
    // as the orchestrator does: only a grant of rows is written to the event log
    if (grant.rows > 0) applyGrant(dealing, grant);
    return grant;
  };
  for (const one of asked) ask(one);
  let rounds = 0;
  for (let driver = 0; (cycle ? rounds < extraRounds : !dealing.exhausted) && rounds < 100_000; driver = (driver + 1) % drivers, rounds++) ask({ driver, wanted: 7 });
  return { dealing, grants, violations, ask };
}

const askedArb = (drivers: number) => fc.array(fc.record({ driver: fc.nat({ max: drivers - 1 }), wanted: fc.integer({ min: 1, max: 1_000 }) }), { maxLength: 40 });
const scenarioArb = fc.record({ totalRows: fc.integer({ min: 1, max: 400 }), drivers: fc.integer({ min: 1, max: 6 }) }).chain(({ totalRows, drivers }) => fc.record({ totalRows: fc.constant(totalRows), drivers: fc.constant(drivers), asked: askedArb(drivers) }));

describe('rowDealing: unique rows with on_exhausted stop', () => {
  it('deals consecutive rows from row 0, as many as wanted when that is within the share', () => {
    const dealing = emptyDealing();
    const first = nextGrant(dealing, request('d1', 1, { wanted: 10 }));
    assert.deepEqual(first, { node_id: 'd1', request_id: 1, first_row: 0, rows: 10, pass: 1, exhausted: false });
    applyGrant(dealing, first);
    const second = nextGrant(dealing, request('d2', 1, { wanted: 5 }));
    assert.deepEqual(second, { node_id: 'd2', request_id: 1, first_row: 10, rows: 5, pass: 1, exhausted: false });
    applyGrant(dealing, second);
    assert.equal(dealing.nextRow, 15);
    assert.equal(dealing.dealt, 15);
    assert.deepEqual([...dealing.dealtTo], [['d1', 10], ['d2', 5]]);
    assert.deepEqual([...dealing.grants.keys()], [grantKey('d1', 1), grantKey('d2', 1)]);
  });

  it('takes at most a 1/(2·drivers) share of what is left, at least one row', () => {
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { totalRows: 100, drivers: 2 })).rows, 25);
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { totalRows: 101, drivers: 2 })).rows, 26);
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { totalRows: 100, drivers: 0 })).rows, 50, 'no drivers counts as one');
    const nearEnd = { ...emptyDealing(), nextRow: 99 };
    assert.deepEqual(nextGrant(nearEnd, request('d1', 7, { drivers: 50 })), { node_id: 'd1', request_id: 7, first_row: 99, rows: 1, pass: 1, exhausted: true });
  });

  it('flags the grant that takes the last row exhausted, and deals nothing after it', () => {
    const dealing = { ...emptyDealing(), nextRow: 96 };
    const steps: RowGrant[] = [];
    for (let id = 1; id <= 4; id++) {
      const grant = nextGrant(dealing, request('d1', id, { wanted: 50 }));
      steps.push(grant);
      if (grant.rows > 0) applyGrant(dealing, grant);
    }
    assert.deepEqual(
      steps.map((grant) => [grant.first_row, grant.rows, grant.exhausted]),
      [
        [96, 2, false],
        [98, 1, false],
        [99, 1, true],
        [100, 0, true],
      ],
    );
    assert.equal(dealing.exhausted, true);
    assert.equal(dealing.nextRow, 100);
    assert.equal(dealing.dealt, 4);
  });

  it('a file without rows is exhausted at once (stop) and gives nothing in cycle', () => {
    assert.deepEqual(nextGrant(emptyDealing(), request('d1', 1, { totalRows: 0 })), { node_id: 'd1', request_id: 1, first_row: 0, rows: 0, pass: 1, exhausted: true });
    assert.deepEqual(nextGrant(emptyDealing(), request('d1', 1, { totalRows: 0, cycle: true })), { node_id: 'd1', request_id: 1, first_row: 0, rows: 0, pass: 1, exhausted: false });
  });

  it('lets `fitting` limit the count, asked with the next row and the count before fitting, never below one row', () => {
    const calls: [number, number][] = [];
    const grant = nextGrant({ ...emptyDealing(), nextRow: 40 }, request('d1', 1, { wanted: 30, drivers: 1, fitting: (first, count) => (calls.push([first, count]), Math.min(count, 4)) }));
    assert.deepEqual(calls, [[40, 30]]);
    assert.equal(grant.rows, 4);
    assert.equal(grant.exhausted, false);
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { fitting: () => 0 })).rows, 1, 'a row too large for a message still moves the dealing on');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 500 }), fc.integer({ min: 1, max: 1_000 }), fc.integer({ min: 1, max: 50 }), (totalRows, wanted, fit) => {
        const limited = nextGrant(emptyDealing(), request('d1', 1, { totalRows, wanted, fitting: (_first, count) => Math.min(count, fit) }));
        return limited.rows === Math.min(fit, wanted, shareOf(totalRows, 1)) && limited.exhausted === (limited.rows === totalRows);
      }),
    );
  });

  it('(property) grants never overlap, stay within the file and the share, and together deal every row exactly once; only the last is exhausted', () => {
    fc.assert(
      fc.property(scenarioArb, ({ totalRows, drivers, asked }) => {
        const { dealing, grants, violations } = deal(totalRows, drivers, asked);
        assert.deepEqual(violations, []);
        const seen = new Array<number>(totalRows).fill(0);
        for (const grant of grants) for (let row = grant.first_row; row < grant.first_row + grant.rows; row++) seen[row]! += 1;
        assert.deepEqual(seen, new Array<number>(totalRows).fill(1), 'every row dealt exactly once');
        assert.deepEqual(
          grants.map((grant) => grant.exhausted),
          grants.map((_, i) => i === grants.length - 1),
        );
        assert.ok(grants.every((grant) => grant.pass === 1));
        assert.equal(dealing.dealt, totalRows);
        assert.equal([...dealing.dealtTo.values()].reduce((a, b) => a + b, 0), totalRows);
        for (const [node, rows] of dealing.dealtTo) assert.equal(rows, grants.filter((grant) => grant.node_id === node).reduce((sum, grant) => sum + grant.rows, 0));
        const after = nextGrant(dealing, request('d0', 1_000_000, { totalRows, drivers }));
        assert.equal(after.rows, 0);
        assert.equal(after.exhausted, true);
      }),
      { numRuns: 150 },
    );
  });

  it('(property) re-applying a grant (same node and request id) changes nothing, and replaying the grants rebuilds the same dealing', () => {
    fc.assert(
      fc.property(scenarioArb, fc.nat(), ({ totalRows, drivers, asked }, pick) => {
        const { dealing, grants } = deal(totalRows, drivers, asked);
        const before = snapshot(dealing);
        const again = grants[pick % grants.length]!;
        applyGrant(dealing, again);
        applyGrant(dealing, { ...again, first_row: 0, rows: 3, exhausted: false });
        assert.deepEqual(snapshot(dealing), before);
        const replayed = emptyDealing();
        for (const grant of [...grants, ...grants]) applyGrant(replayed, grant);
        assert.deepEqual(snapshot(replayed), before);
      }),
      { numRuns: 100 },
    );
  });

  it('a restarted dealing (rebuilt from the grants so far) deals on from exactly where it stopped', () => {
    const { grants, dealing } = deal(50, 2, [
      { driver: 0, wanted: 5 },
      { driver: 1, wanted: 8 },
    ]);
    const rebuilt = emptyDealing();
    for (const grant of grants.slice(0, 2)) applyGrant(rebuilt, grant);
    const next = nextGrant(rebuilt, request('d0', 2, { totalRows: 50, drivers: 2, wanted: 7 }));
    assert.equal(next.first_row, 13);
    assert.equal(dealing.exhausted, true);
  });
});

describe('rowDealing: on_exhausted cycle', () => {
  it('starts pass 2 at row 0 after the last row, and never flags a grant exhausted', () => {
    const dealing = { ...emptyDealing(), nextRow: 99, dealt: 99 };
    const end = nextGrant(dealing, request('d1', 1, { cycle: true, wanted: 20 }));
    assert.deepEqual(end, { node_id: 'd1', request_id: 1, first_row: 99, rows: 1, pass: 1, exhausted: false });
    applyGrant(dealing, end);
    const wrapped = nextGrant(dealing, request('d2', 1, { cycle: true, wanted: 20 }));
    assert.deepEqual(wrapped, { node_id: 'd2', request_id: 1, first_row: 0, rows: 20, pass: 2, exhausted: false });
    applyGrant(dealing, wrapped);
    assert.equal(dealing.pass, 2);
    assert.equal(dealing.nextRow, 20);
    assert.equal(dealing.dealt, 120);
  });

  it('takes what the driver asks for, up to the end of the pass, whatever the drivers (rows that never run out)', () => {
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { cycle: true, wanted: 80, drivers: 4 })).rows, 80);
    assert.equal(nextGrant({ ...emptyDealing(), nextRow: 70 }, request('d1', 1, { cycle: true, wanted: 80, drivers: 4 })).rows, 30);
    assert.equal(nextGrant(emptyDealing(), request('d1', 1, { cycle: true, wanted: 80, fitting: (_first, count) => Math.min(count, 6) })).rows, 6);
  });

  it('(property) passes count up by one, a grant never spans two passes, and each finished pass deals every row once', () => {
    fc.assert(
      fc.property(scenarioArb, fc.integer({ min: 1, max: 300 }), ({ totalRows, drivers, asked }, extraRounds) => {
        const { dealing, grants, violations } = deal(totalRows, drivers, asked, true, extraRounds);
        assert.deepEqual(violations, []);
        assert.equal(dealing.exhausted, false);
        assert.ok(grants.every((grant) => !grant.exhausted));
        const byPass = new Map<number, number[]>();
        let previous: RowGrant | undefined;
        for (const grant of grants) {
          if (previous) {
            const wraps = previous.first_row + previous.rows === totalRows;
            assert.equal(grant.pass, previous.pass + (wraps ? 1 : 0));
            assert.equal(grant.first_row, wraps ? 0 : previous.first_row + previous.rows);
          } else assert.equal(grant.pass, 1);
          const rows = byPass.get(grant.pass) ?? [];
          for (let row = grant.first_row; row < grant.first_row + grant.rows; row++) rows.push(row);
          byPass.set(grant.pass, rows);
          previous = grant;
        }
        for (const [pass, rows] of byPass) {
          if (pass === dealing.pass) assert.deepEqual(rows, Array.from({ length: dealing.nextRow }, (_, i) => i));
          else assert.deepEqual(rows, Array.from({ length: totalRows }, (_, i) => i), `pass ${pass} deals every row once`);
        }
        assert.equal(dealing.dealt, (dealing.pass - 1) * totalRows + dealing.nextRow);
      }),
      { numRuns: 100 },
    );
  });
});

describe('rowDealing: circularStart', () => {
  it('starts driver k of n at floor(k·rows/n)', () => {
    assert.equal(circularStart(0, 2, 10), 0);
    assert.equal(circularStart(1, 2, 10), 5);
    assert.deepEqual([0, 1, 2].map((k) => circularStart(k, 3, 10)), [0, 3, 6]);
    assert.equal(circularStart(0, 0, 10), 0);
    assert.equal(circularStart(3, 4, 0), 0);
  });

  it('(property) starts lie within the file, grow with the driver index, and the first driver starts at 0', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 10_000_000 }), fc.integer({ min: 1, max: 10_000 }), (rows, count) => {
        const starts = [0, Math.min(1, count - 1), Math.floor(count / 2), count - 1].map((index) => circularStart(index, count, rows));
        return starts[0] === 0 && starts.every((start) => start >= 0 && start < rows) && starts.every((start, i) => i === 0 || start >= starts[i - 1]!);
      }),
    );
  });
});

const USERS_ID = 'a'.repeat(64);
const CITIES_ID = 'b'.repeat(64);
const AT = '2030-01-01T00:00:00.000Z';

/** A scenario reading `data` (or nothing) with one request. */
const scenario = (data?: Record<string, unknown>) => ({ executor: 'shared-iterations', vus: 1, iterations: 10, flow: [{ url: data ? 'http://localhost:1/{{data.id}}' : 'http://localhost:1/' }], ...(data ? { data } : {}) });

function projection(scenarios: Record<string, unknown>, data: Record<string, string>, rows: Record<string, number>, driverIds = ['d1', 'd2']): TestProjection {
  const config = testConfigMessage.parse({ test_id: 't1', test_type: 'AVALANCHE', test_message_delay: '0', message_count_per_driver: '1', driver_ids: driverIds, scenarios, data });
  const test = createProjection({ type: 'test_created', at: AT, config, driver_ids: driverIds, data_rows: rows });
  applyTestEvent(test, { type: 'test_triggered', at: AT });
  return test;
}

function granted(source: string, node_id: string, request_id: number, first_row: number, rows: number, extra: { pass?: number; exhausted?: boolean } = {}): TestEvent {
  return { type: 'data_granted', at: AT, source, node_id, request_id, first_row, rows, pass: extra.pass ?? 1, exhausted: extra.exhausted ?? false };
}

let reportId = 0;
function report(node_id: string, seq: number, dataUsed: Record<string, number>, final = false): TestEvent {
  const message = metricsMessage.parse({
    node_id,
    test_id: 't1',
    report_id: `r${++reportId}`,
    metrics: { mean_latency: 1, median_latency: 1, min_latency: 1, max_latency: 1 },
    seq,
    elapsed_ms: seq * 1_000,
    data_used: dataUsed,
    ...(final ? { final: true, outcome: 'completed' } : {}),
  });
  return { type: 'report_received', at: AT, report: message };
}

const finished: TestEvent = { type: 'test_finished', at: AT, state: 'completed' };
/** The test ended with these drivers lost without their final report (the orchestrator's supervision names them). */
const finishedLosing = (...driversLost: string[]): TestEvent => ({ type: 'test_finished', at: AT, state: 'failed', reason: 'a driver was lost', drivers_lost: driversLost });

function apply(test: TestProjection, events: TestEvent[]): TestProjection {
  for (const event of events) applyTestEvent(test, event);
  return test;
}

describe('dataFigures', () => {
  it('unique, test finished: the driver lost without a final report lost dealt−used rows, the other left dealt−used unused, left is what was never dealt', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 100 }), [
      granted('users', 'd1', 1, 0, 10),
      granted('users', 'd2', 1, 10, 20),
      granted('users', 'd1', 2, 30, 15),
      report('d1', 1, { users: 9 }),
      report('d2', 1, { users: 12 }),
      report('d1', 2, { users: 21 }, true),
      finishedLosing('d2'),
    ]);
    assert.deepEqual(dataFigures(test), [{ source: 'users', data_id: USERS_ID, mode: 'unique', rows: 100, used: 33, dealt: 45, left: 55, held: 0, unused: 4, lost: [{ node_id: 'd2', rows: 8 }] }]);
  });

  it('a lost driver that never reported loses every row it was dealt; each lost driver is listed', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 50 }, ['d1', 'd2', 'd3']), [
      granted('users', 'd1', 1, 0, 5),
      granted('users', 'd2', 1, 5, 6),
      granted('users', 'd3', 1, 11, 7),
      report('d2', 1, { users: 2 }),
      report('d3', 1, { users: 7 }, true),
      finishedLosing('d1', 'd2'),
    ]);
    const [figures] = dataFigures(test);
    assert.deepEqual(figures?.lost, [
      { node_id: 'd1', rows: 5 },
      { node_id: 'd2', rows: 4 },
    ]);
    assert.equal(figures?.unused, 0);
    assert.equal(figures?.held, 0);
    assert.equal(figures?.used, 9);
  });

  it('a finished test whose driver is still alive but has not sent its final report yet: its rows are held, not lost', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 100 }), [granted('users', 'd1', 1, 0, 10), granted('users', 'd2', 1, 10, 20), report('d1', 1, { users: 10 }, true), report('d2', 1, { users: 5 }), finished]);
    const [figures] = dataFigures(test);
    assert.equal(figures?.held, 15);
    assert.deepEqual(figures?.lost, []);
  });

  it('unique, test running: rows a driver without a final report has not used are held, not lost', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 100 }), [
      granted('users', 'd1', 1, 0, 10),
      granted('users', 'd2', 1, 10, 20),
      report('d1', 1, { users: 10 }, true),
      report('d2', 1, { users: 5 }),
    ]);
    const [figures] = dataFigures(test);
    assert.deepEqual(figures, { source: 'users', data_id: USERS_ID, mode: 'unique', rows: 100, used: 15, dealt: 30, left: 70, held: 15, unused: 0, lost: [] });
  });

  it('counts a redelivered grant (same node and request id) once', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 40 }), [granted('users', 'd1', 1, 0, 10), granted('users', 'd1', 1, 0, 10), granted('users', 'd2', 1, 10, 5)]);
    const [figures] = dataFigures(test);
    assert.equal(figures?.dealt, 15);
    assert.equal(figures?.left, 25);
    assert.equal(figures?.held, 15);
  });

  it('reads used from the latest report (by seq), not one that arrived late', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 40 }), [granted('users', 'd1', 1, 0, 20), report('d1', 3, { users: 15 }), report('d1', 2, { users: 6 })]);
    assert.equal(dataFigures(test)[0]?.used, 15);
    assert.equal(dataFigures(test)[0]?.held, 5);
  });

  it('an exhausted source has no row left', () => {
    const test = apply(projection({ s: scenario({ source: 'users' }) }, { users: USERS_ID }, { users: 30 }), [granted('users', 'd1', 1, 0, 20), granted('users', 'd2', 1, 20, 10, { exhausted: true }), report('d1', 1, { users: 20 }, true), report('d2', 1, { users: 10 }, true), finished]);
    assert.deepEqual(dataFigures(test), [{ source: 'users', data_id: USERS_ID, mode: 'unique', rows: 30, used: 30, dealt: 30, left: 0, held: 0, unused: 0, lost: [] }]);
  });

  it('with on_exhausted cycle, dealt counts every pass and left is what the current pass has not dealt', () => {
    const test = apply(projection({ s: scenario({ source: 'users', on_exhausted: 'cycle' }) }, { users: USERS_ID }, { users: 10 }), [granted('users', 'd1', 1, 0, 10), granted('users', 'd2', 1, 0, 4, { pass: 2 }), report('d1', 1, { users: 10 }), report('d2', 1, { users: 4 })]);
    const [figures] = dataFigures(test);
    assert.equal(figures?.dealt, 14);
    assert.equal(figures?.left, 6);
    assert.equal(figures?.used, 14);
  });

  it('circular and random sources have no dealing: null dealt, left, held and unused, no lost rows, used summed over the drivers', () => {
    const test = apply(projection({ a: scenario({ source: 'users', mode: 'circular' }), b: scenario({ source: 'cities', mode: 'random' }) }, { users: USERS_ID, cities: CITIES_ID }, { users: 10, cities: 3 }), [
      report('d1', 1, { users: 25, cities: 2 }),
      report('d2', 1, { users: 17 }),
      finished,
    ]);
    assert.deepEqual(dataFigures(test), [
      { source: 'users', data_id: USERS_ID, mode: 'circular', rows: 10, used: 42, dealt: null, left: null, held: null, unused: null, lost: [] },
      { source: 'cities', data_id: CITIES_ID, mode: 'random', rows: 3, used: 2, dealt: null, left: null, held: null, unused: null, lost: [] },
    ]);
  });

  it('a source no scenario reads counts as unique with nothing dealt; a test without data has no figures', () => {
    const test = projection({ s: scenario() }, { users: USERS_ID }, { users: 12 });
    assert.deepEqual(dataFigures(test), [{ source: 'users', data_id: USERS_ID, mode: 'unique', rows: 12, used: 0, dealt: 0, left: 12, held: 0, unused: 0, lost: [] }]);
    assert.deepEqual(dataFigures(projection({ s: scenario() }, {}, {})), []);
    assert.equal(sourceReader(test.config.scenarios, 'users'), undefined);
  });
});

const URL_BASE = 'http://localhost:1';
const UNKNOWN_ID = '0'.repeat(64);

let dir: string;
let catalog: DataCatalog;
let users: DataSummary;
let tokens: DataSummary;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'stampede-testdata-'));
  catalog = DataCatalog.open(dir);
  users = await catalog.upload(Readable.from([Buffer.from('id,name\n1,ann\n2,bob\n3,cy\n')]), 'csv');
  // `tok` is lacked by rows 2 and 4; `late` first appears in row 3, so rows 1 and 2 lack it
  tokens = await catalog.upload(Readable.from([Buffer.from('{"id":"1","tok":"x"}\n{"id":"2"}\n{"id":"3","tok":"y","late":"z"}\n{"id":"4","late":"w"}\n')]), 'jsonl');
});

after(() => {
  catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A body POST /api/tests accepts (parsed, defaults filled), as the orchestrator checks it. */
function body(scenarios: Record<string, unknown>, data: Record<string, string>) {
  const parsed = createTestBody.safeParse({ scenarios, data });
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(fieldErrors(parsed.error)));
  return parsed.data;
}

const reading = (source: string, flow: unknown[], extra: Record<string, unknown> = {}) => ({ executor: 'shared-iterations', vus: 1, iterations: 1, flow, data: { source, ...extra } });

describe('testDataProblems', () => {
  it('the uploads are what the checks below rely on', () => {
    assert.deepEqual(users.columns, ['id', 'name']);
    assert.equal(users.rows, 3);
    assert.deepEqual(users.missing, {});
    assert.deepEqual(tokens.columns, ['id', 'tok', 'late']);
    assert.deepEqual(tokens.missing, { tok: { rows: 2, first_row: 2 }, late: { rows: 2, first_row: 1 } });
  });

  it('accepts columns the file has in every row, wherever the flow uses them', () => {
    const flow = [
      { name: 'login', method: 'POST', url: `${URL_BASE}/users/{{data.id}}`, headers: { 'x-name': '{{data.name}}' }, body: '{"id":"{{data.id}}"}', capture: { token: { json: '$.token' } }, check: [{ body_contains: '{{data.name}}' }] },
      { loop: { count: 2, steps: [{ url: `${URL_BASE}/again/{{data.id}}?t={{token}}` }] } },
    ];
    assert.deepEqual(testDataProblems(body({ s: reading('users', flow) }, { users: users.data_id }), catalog), []);
    assert.deepEqual(testDataProblems(body({ s: reading('tokens', [{ url: `${URL_BASE}/{{data.id}}` }]) }, { tokens: tokens.data_id }), catalog), []);
  });

  it('names a column the source lacks at the field using it first, listing the columns', () => {
    const flow = [{ url: `${URL_BASE}/` }, { group: { name: 'g', steps: [{ url: `${URL_BASE}/x`, headers: { auth: 'Bearer {{data.password}}' } }] } }, { url: `${URL_BASE}/{{data.password}}` }];
    assert.deepEqual(testDataProblems(body({ s: reading('users', flow) }, { users: users.data_id }), catalog), [
      { field: 'scenarios.s.flow[1].group.steps[0].headers.auth', message: 'uses {{data.password}}, but data source users has no column password (its columns: id, name)' },
    ]);
  });

  it('names a column some rows lack, with how many and the first (1-based data row)', () => {
    const flow = [{ url: `${URL_BASE}/{{data.id}}`, check: [{ body_contains: '{{data.tok}}' }] }, { url: `${URL_BASE}/{{data.late}}` }];
    assert.deepEqual(testDataProblems(body({ t: reading('tokens', flow, { mode: 'random' }) }, { tokens: tokens.data_id }), catalog), [
      { field: 'scenarios.t.flow[0].check[0].body_contains', message: 'uses {{data.tok}}, but 2 of the 4 rows of data source tokens lack tok (the first: row 2)' },
      { field: 'scenarios.t.flow[1].url', message: 'uses {{data.late}}, but 2 of the 4 rows of data source tokens lack late (the first: row 1)' },
    ]);
  });

  it('names a data id the catalog does not keep at data.NAME, and checks no column of it', () => {
    const problems = testDataProblems(body({ s: reading('gone', [{ url: `${URL_BASE}/{{data.anything}}` }]), u: reading('users', [{ url: `${URL_BASE}/{{data.nope}}` }]) }, { gone: UNKNOWN_ID, users: users.data_id }), catalog);
    assert.deepEqual(
      problems.map((problem) => problem.field),
      ['data.gone', 'scenarios.u.flow[0].url'],
    );
    assert.match(problems[0]!.message, new RegExp(`^no data file ${UNKNOWN_ID} is kept here \\(upload it: POST /api/data, or stampede run --data gone=FILE\\)$`));
  });

  it('checks each scenario against its own source', () => {
    const problems = testDataProblems(
      body({ a: reading('users', [{ url: `${URL_BASE}/{{data.tok}}` }]), b: reading('tokens', [{ url: `${URL_BASE}/{{data.name}}` }]), c: { executor: 'shared-iterations', vus: 1, iterations: 1, flow: [{ url: `${URL_BASE}/` }] } }, { users: users.data_id, tokens: tokens.data_id }),
      catalog,
    );
    assert.deepEqual(
      problems.map((problem) => [problem.field, problem.message.split(' (')[0]]),
      [
        ['scenarios.a.flow[0].url', 'uses {{data.tok}}, but data source users has no column tok'],
        ['scenarios.b.flow[0].url', 'uses {{data.name}}, but data source tokens has no column name'],
      ],
    );
  });

  it('a body without data has no problem', () => {
    assert.deepEqual(testDataProblems({}, catalog), []);
  });
});

describe('dataRowCounts and testsReading', () => {
  function test(testId: string, data: Record<string, string>, finished: boolean): TestProjection {
    const config = testConfigMessage.parse({ test_id: testId, test_type: 'AVALANCHE', test_message_delay: '0', message_count_per_driver: '1', driver_ids: ['d1'], data });
    const projection = createProjection({ type: 'test_created', at: '2030-01-01T00:00:00.000Z', config, driver_ids: ['d1'] });
    if (finished) applyTestEvent(projection, { type: 'test_finished', at: '2030-01-01T00:00:01.000Z', state: 'cancelled' });
    return projection;
  }

  it("keeps each source's row count, 0 for a file not kept", () => {
    assert.deepEqual(dataRowCounts({ users: users.data_id, tokens: tokens.data_id, gone: UNKNOWN_ID }, catalog), { users: 3, tokens: 4, gone: 0 });
    assert.equal(dataRowCounts(undefined, catalog), undefined);
  });

  it('lists the unfinished tests reading a file', () => {
    const tests = [test('t1', { u: users.data_id }, false), test('t2', { u: users.data_id }, true), test('t3', { t: tokens.data_id }, false), test('t4', { v: users.data_id, t: tokens.data_id }, false)];
    assert.deepEqual(testsReading(users.data_id, tests), ['t1', 't4']);
    assert.deepEqual(testsReading(UNKNOWN_ID, tests), []);
  });
});
