import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import fc from 'fast-check';
import { ASK_AGAIN_MS, DataChannel, type RowsAsker, type RowsQuestion } from '../../../src/driver/data/dataChannel.js';
import { RowFeeds, type DataRow, type RowFeed } from '../../../src/driver/data/rowFeeds.js';
import { createLogger } from '../../../src/log/logger.js';
import { applyGrant, circularStart, emptyDealing, nextGrant, type SourceDealing } from '../../../src/orchestrator/data/rowDealing.js';
import { DATA_LIMITS, scenarioData, type DataRequestMessage, type DataRowsMessage } from '../../../src/protocol/index.js';

/**
 * Test data, the driver's side: questions on data_requests asked until answered (DataChannel), and the
 * feeds that hand rows to iterations (RowFeeds: unique, circular, random), against a fake orchestrator.
 */

const log = createLogger('data-channel-test');

/** A channel of node d1 whose publish records each message (and fails while `failing` is set). */
function channel(nodeId = 'd1') {
  const published: DataRequestMessage[] = [];
  const state = { failing: false };
  const publish = async (message: DataRequestMessage) => {
    published.push(message);
    if (state.failing) throw new Error('broker away');
  };
  return { channel: new DataChannel(nodeId, publish, log), published, state };
}

function answer(request: DataRequestMessage, extra: Partial<DataRowsMessage> = {}): DataRowsMessage {
  return { test_id: request.test_id, node_id: request.node_id, source: request.source, request_id: request.request_id, columns: ['id'], first_row: 0, rows: [['1']], total_rows: 1, ...extra };
}

/** Whether a promise has settled, after the microtasks queued so far ran. */
async function settled(promise: Promise<unknown>): Promise<boolean> {
  let done = false;
  promise.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return done;
}

const TAKE = { message_type: 'TAKE_ROWS', rows: 10, used: 0 } as const;

describe('DataChannel', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setInterval'] }));
  afterEach(() => mock.timers.reset());

  it('publishes a question at once, with the next request id of its test and source', () => {
    const { channel: c, published } = channel();
    const asked = [c.ask('t1', 'users', TAKE), c.ask('t1', 'users', { message_type: 'READ_ROWS', rows: 1_000, from_row: 5 }), c.ask('t1', 'cities', TAKE), c.ask('t2', 'users', TAKE)];
    for (const question of asked) question.catch(() => undefined);
    assert.deepEqual(published, [
      { message_type: 'TAKE_ROWS', rows: 10, used: 0, test_id: 't1', node_id: 'd1', source: 'users', request_id: 1 },
      { message_type: 'READ_ROWS', rows: 1_000, from_row: 5, test_id: 't1', node_id: 'd1', source: 'users', request_id: 2 },
      { message_type: 'TAKE_ROWS', rows: 10, used: 0, test_id: 't1', node_id: 'd1', source: 'cities', request_id: 1 },
      { message_type: 'TAKE_ROWS', rows: 10, used: 0, test_id: 't2', node_id: 'd1', source: 'users', request_id: 1 },
    ]);
    c.closeTest('t1');
    c.closeTest('t2');
  });

  it('asks again every ASK_AGAIN_MS with the same message until answered, then never again', async () => {
    const { channel: c, published } = channel();
    const rows = c.ask('t1', 'users', TAKE);
    mock.timers.tick(ASK_AGAIN_MS - 1);
    assert.equal(published.length, 1);
    mock.timers.tick(1);
    assert.equal(published.length, 2);
    mock.timers.tick(ASK_AGAIN_MS * 3);
    assert.equal(published.length, 5);
    assert.ok(published.every((message) => JSON.stringify(message) === JSON.stringify(published[0])), 'the same request id, so the same rows');
    assert.equal(await settled(rows), false);
    const reply = answer(published[0]!);
    c.onRows(reply);
    assert.equal(await rows, reply);
    mock.timers.tick(ASK_AGAIN_MS * 10);
    assert.equal(published.length, 5);
  });

  it('keeps asking while publishing fails, without an unhandled rejection', async () => {
    const { channel: c, published, state } = channel();
    state.failing = true;
    const rows = c.ask('t1', 'users', TAKE);
    await new Promise((resolve) => setImmediate(resolve));
    mock.timers.tick(ASK_AGAIN_MS);
    state.failing = false;
    mock.timers.tick(ASK_AGAIN_MS);
    assert.equal(published.length, 3);
    assert.equal(await settled(rows), false);
    c.onRows(answer(published[2]!));
    assert.deepEqual((await rows).rows, [['1']]);
  });

  it('ignores answers for another node, another test or source, an id never asked, and a repeated answer', async () => {
    const { channel: c, published } = channel();
    const rows = c.ask('t1', 'users', TAKE);
    const request = published[0]!;
    c.onRows(answer(request, { node_id: 'd2' }));
    c.onRows(answer(request, { test_id: 't2' }));
    c.onRows(answer(request, { source: 'cities' }));
    c.onRows(answer(request, { request_id: 2 }));
    assert.equal(await settled(rows), false);
    mock.timers.tick(ASK_AGAIN_MS);
    assert.equal(published.length, 2, 'still asking');
    const first = answer(request, { rows: [['first']] });
    c.onRows(first);
    c.onRows(answer(request, { rows: [['second']] }));
    assert.equal(await rows, first);
    mock.timers.tick(ASK_AGAIN_MS);
    assert.equal(published.length, 2);
  });

  it('gives each question its own answer, whatever order the answers come in', async () => {
    const { channel: c, published } = channel();
    const one = c.ask('t1', 'users', TAKE);
    const two = c.ask('t1', 'users', TAKE);
    c.onRows(answer(published[1]!, { first_row: 10 }));
    c.onRows(answer(published[0]!, { first_row: 0 }));
    assert.equal((await one).first_row, 0);
    assert.equal((await two).first_row, 10);
  });

  it("closeTest rejects that test's pending questions only, and stops asking them again", async () => {
    const { channel: c, published } = channel();
    const a = c.ask('t1', 'users', TAKE);
    const b = c.ask('t1', 'cities', TAKE);
    const other = c.ask('t2', 'users', TAKE);
    c.closeTest('t1');
    await assert.rejects(a, { message: 'test t1 ended while waiting for data rows' });
    await assert.rejects(b, /test t1 ended/);
    assert.equal(await settled(other), false);
    mock.timers.tick(ASK_AGAIN_MS);
    assert.deepEqual(
      published.slice(3).map((message) => message.test_id),
      ['t2'],
    );
    c.onRows(answer(published[2]!));
    assert.equal((await other).test_id, 't2');
    c.onRows(answer(published[0]!));
  });
});

const COLUMNS = ['id', 'name'];
const rowsOf = (count: number): DataRow[] => Array.from({ length: count }, (_, i) => [String(i), i % 3 === 0 ? null : `n${i}`]);
const ids = (rows: readonly (DataRow | undefined)[]) => rows.map((row) => (row === undefined ? undefined : Number(row[0])));
const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

const MAX_QUESTIONS = 20_000;
/** rows one answer carries at most */
const PAGE = DATA_LIMITS.rowsPerMessage;

type FakeOptions = {
  /** this driver's place among the test's drivers (READ_ROWS without from_row starts there) */
  driver?: { index: number; count: number };
  /** the orchestrator refuses the request with this number (1-based) and after */
  refuseFrom?: number;
  /** the asker rejects (the test ended here) from the request with this number on */
  rejectFrom?: number;
  /** an answer carries at most this many rows (the orchestrator bounds a message in bytes: long rows, fewer of them) */
  fit?: number;
  /** several drivers share one dealing (the real rowDealing), as the orchestrator deals */
  shared?: { dealing: SourceDealing; drivers: number; nodeId: string };
};

/**
 * The orchestrator as the driver sees it, answering from an in-memory file: TAKE_ROWS deals the next
 * consecutive rows (`exhausted` with the last), READ_ROWS reads from `from_row` (or the driver's
 * circular start) clipped at the end. Answers come asynchronously, as from Kafka.
 */
function fakeOrchestrator(file: DataRow[], options: FakeOptions = {}) {
  const questions: RowsQuestion[] = [];
  const answers: DataRowsMessage[] = [];
  let nextRow = 0;
  const total = file.length;
  const answering: RowsAsker = async (testId, source, question) => {
    const request_id = questions.push(question);
    await new Promise((resolve) => setImmediate(resolve));
    // a feed that never stops asking fails its test instead of hanging it
    if (request_id > MAX_QUESTIONS) throw new Error(`${request_id} questions: the feed keeps asking`);
    const base = { test_id: testId, node_id: options.shared?.nodeId ?? 'd1', source, request_id, columns: COLUMNS, total_rows: total };
    if (options.rejectFrom !== undefined && request_id >= options.rejectFrom) throw new Error(`test ${testId} ended while waiting for data rows`);
    if (options.refuseFrom !== undefined && request_id >= options.refuseFrom) return { ...base, columns: [], total_rows: 0, first_row: 0, rows: [], refused: `test ${testId} has ended` };
    const copy = (first: number, count: number) => file.slice(first, first + count).map((row) => [...row]);
    const fitting = (count: number) => Math.min(count, options.fit ?? count);
    if (question.message_type === 'READ_ROWS') {
      const first = question.from_row ?? circularStart(options.driver?.index ?? 0, options.driver?.count ?? 1, total);
      return { ...base, first_row: first, rows: copy(first, fitting(question.rows)) };
    }
    if (options.shared) {
      const { dealing, drivers, nodeId } = options.shared;
      const grant = nextGrant(dealing, { node_id: nodeId, request_id, wanted: question.rows, totalRows: total, cycle: false, drivers, fitting: (_first, count) => count });
      if (grant.rows > 0) applyGrant(dealing, grant);
      return { ...base, first_row: grant.first_row, rows: copy(grant.first_row, grant.rows), pass: grant.pass, exhausted: grant.exhausted };
    }
    const first = nextRow;
    const count = fitting(Math.min(question.rows, total - first));
    nextRow += count;
    return { ...base, first_row: first, rows: copy(first, count), pass: 1, exhausted: first + count >= total } satisfies DataRowsMessage;
  };
  const ask: RowsAsker = async (testId, source, question) => {
    const answer = await answering(testId, source, question);
    answers.push(answer);
    return answer;
  };
  /** Whether the feed stopped asking at the answer that said no row is left (and asked until then). */
  const stoppedAtExhaustion = () => answers.length === questions.length && answers.findIndex((answer) => answer.exhausted === true) === answers.length - 1;
  return { ask, questions, answers, stoppedAtExhaustion };
}

function feed(mode: 'unique' | 'circular' | 'random', ask: RowsAsker, source = 'users'): RowFeed {
  return new RowFeeds({ testId: 't1', ask }).feedFor(scenarioData.parse({ source, mode }));
}

/** Rows one at a time, each awaited, until the feed ends or `max` came. */
async function drain(from: RowFeed, max = 100_000): Promise<DataRow[]> {
  const rows: DataRow[] = [];
  while (rows.length < max) {
    const row = await from.next();
    if (row === undefined) break;
    rows.push(row);
  }
  return rows;
}

/** `count` callers asking at the same moment (before any answer came). */
function burst(from: RowFeed, count: number): Promise<(DataRow | undefined)[]> {
  return Promise.all(Array.from({ length: count }, () => from.next()));
}

describe('RowFeeds: unique', () => {
  it('hands out every row once, in order, counting them; then undefined to every caller', async () => {
    const file = rowsOf(57);
    const { ask, questions, stoppedAtExhaustion } = fakeOrchestrator(file);
    const users = feed('unique', ask);
    assert.deepEqual(users.variables, []);
    const rows = await drain(users);
    assert.deepEqual(rows, file);
    assert.deepEqual(users.variables, ['data.id', 'data.name']);
    assert.equal(users.used, 57);
    assert.equal(users.next(), undefined, 'once exhausted, at once');
    assert.deepEqual(await burst(users, 5), [undefined, undefined, undefined, undefined, undefined]);
    assert.equal(users.used, 57);
    assert.ok(questions.every((question) => question.message_type === 'TAKE_ROWS' && question.from_row === undefined));
    const afterEnd = questions.length;
    users.next();
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(questions.length, afterEnd, 'an exhausted feed asks no more');
    assert.ok(stoppedAtExhaustion(), `${questions.length} questions`);
  });

  it('reports the rows used so far with each question', async () => {
    const { ask, questions } = fakeOrchestrator(rowsOf(300));
    const users = feed('unique', ask);
    await drain(users, 120);
    const used = questions.map((question) => question.used);
    assert.equal(used[0], 0);
    assert.ok(
      used.every((count, i) => count !== undefined && count <= 120 && (i === 0 || count >= used[i - 1]!)),
      `used counts up: ${used.join(',')}`,
    );
  });

  it('many callers waiting for the first answer each get a distinct row, in the order they asked', async () => {
    const { ask, questions } = fakeOrchestrator(rowsOf(500));
    const users = feed('unique', ask);
    const rows = await burst(users, 137);
    assert.deepEqual(ids(rows), range(0, 137));
    assert.equal(users.used, 137);
    assert.equal(questions[0]!.rows, 10, 'before it knows its pace, a driver asks for 10');
  });

  it('callers beyond the last row get undefined, the others a row each', async () => {
    const { ask } = fakeOrchestrator(rowsOf(23));
    const users = feed('unique', ask);
    const rows = await burst(users, 30);
    assert.deepEqual(ids(rows), [...range(0, 23), ...new Array<undefined>(7).fill(undefined)]);
    assert.equal(users.used, 23);
  });

  it('asks for more as its pace grows, always within [10, rowsPerMessage]', async () => {
    const { ask, questions } = fakeOrchestrator(rowsOf(PAGE * 3));
    const users = feed('unique', ask);
    await drain(users, PAGE * 2);
    const sizes = questions.map((question) => question.rows);
    assert.equal(sizes[0], 10);
    assert.ok(sizes.every((size) => size >= 10 && size <= DATA_LIMITS.rowsPerMessage), sizes.join(','));
    assert.equal(Math.max(...sizes), DATA_LIMITS.rowsPerMessage, `a fast driver reaches the message limit: ${sizes.join(',')}`);
    assert.ok(sizes[1]! > sizes[0]!, `the second question follows the pace: ${sizes.join(',')}`);
  });

  it('(property) whatever bursts of callers, every row comes exactly once and in order, then only undefined', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 300 }), fc.array(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }), async (total, bursts) => {
        const { ask, questions, stoppedAtExhaustion } = fakeOrchestrator(rowsOf(total));
        const users = feed('unique', ask);
        const got: (DataRow | undefined)[] = [];
        for (const size of bursts) got.push(...(await burst(users, size)));
        got.push(...(await drain(users)));
        const handed = got.filter((row) => row !== undefined);
        assert.deepEqual(ids(handed), range(0, total));
        const firstEnd = got.indexOf(undefined);
        if (firstEnd >= 0) assert.ok(got.slice(firstEnd).every((row) => row === undefined), 'no row after an undefined');
        assert.equal(users.used, total);
        assert.ok(stoppedAtExhaustion(), `${questions.length} questions`);
        assert.ok(questions.every((question) => question.rows >= 10 && question.rows <= DATA_LIMITS.rowsPerMessage));
      }),
      { numRuns: 60 },
    );
  });

  it('a refused answer ends the feed: rows at hand are still handed out, then undefined', async () => {
    const refusedAtOnce = feed('unique', fakeOrchestrator(rowsOf(50), { refuseFrom: 1 }).ask);
    assert.deepEqual(await burst(refusedAtOnce, 3), [undefined, undefined, undefined]);
    assert.equal(refusedAtOnce.used, 0);
    assert.equal(refusedAtOnce.next(), undefined);

    const { ask, questions } = fakeOrchestrator(rowsOf(50), { refuseFrom: 2 });
    const users = feed('unique', ask);
    assert.deepEqual(ids(await drain(users)), range(0, 10));
    assert.equal(questions.length, 2);
    assert.equal(users.next(), undefined);
  });

  it('an abandoned question (the test ended) ends the feed', async () => {
    const users = feed('unique', fakeOrchestrator(rowsOf(50), { rejectFrom: 1 }).ask);
    assert.deepEqual(await burst(users, 4), [undefined, undefined, undefined, undefined]);
    assert.equal(users.next(), undefined);
  });

  it('(property) answers holding fewer rows than asked (long rows) still deal every row once, in order', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: 200 }), fc.integer({ min: 1, max: 12 }), fc.integer({ min: 1, max: 40 }), async (total, fit, callers) => {
        const { ask, stoppedAtExhaustion } = fakeOrchestrator(rowsOf(total), { fit });
        const users = feed('unique', ask);
        const got = [...(await burst(users, callers)), ...(await drain(users))].filter((row) => row !== undefined);
        assert.deepEqual(ids(got), range(0, total));
        assert.ok(stoppedAtExhaustion());
      }),
      { numRuns: 40 },
    );
  });

  it('drivers sharing the real dealing never get the same row, and together get all of them', async () => {
    const total = 1_234;
    const dealing = emptyDealing();
    const drivers = ['d1', 'd2', 'd3'];
    const feeds = drivers.map((nodeId) => feed('unique', fakeOrchestrator(rowsOf(total), { shared: { dealing, drivers: drivers.length, nodeId } }).ask));
    const perDriver = await Promise.all(feeds.map((one) => drain(one)));
    const all = perDriver.flatMap((rows) => ids(rows) as number[]).sort((a, b) => a - b);
    assert.deepEqual(all, range(0, total));
    for (const rows of perDriver) {
      const mine = ids(rows) as number[];
      assert.ok(
        mine.every((id, i) => i === 0 || id > mine[i - 1]!),
        'each driver gets rows in file order',
      );
    }
    assert.deepEqual(
      feeds.map((one) => one.used),
      perDriver.map((rows) => rows.length),
    );
    assert.equal(dealing.exhausted, true);
  });
});

describe('RowFeeds: circular', () => {
  it('driver 1 of 2 walks 10 rows from row 5: 5..9, 0..4, 5.. in order, and never ends', async () => {
    const { ask, questions } = fakeOrchestrator(rowsOf(10), { driver: { index: 1, count: 2 } });
    const users = feed('circular', ask);
    const rows = await drain(users, 35);
    assert.deepEqual(
      ids(rows),
      range(0, 35).map((i) => (5 + i) % 10),
    );
    assert.equal(users.used, 35);
    assert.equal(questions[0]!.message_type, 'READ_ROWS');
    assert.equal(questions[0]!.from_row, undefined, 'the first question lets the orchestrator say where this driver starts');
    assert.ok(questions.slice(1).every((question) => question.message_type === 'READ_ROWS' && question.from_row !== undefined));
    assert.deepEqual(users.variables, ['data.id', 'data.name']);
  });

  /** Driver `index` of `count` walking `walked` rows of a file of `total` (answers of at most `fit` rows): the row ids, and the walk expected from its start. */
  async function walk(total: number, index: number, count: number, walked: number, fit?: number) {
    const users = feed('circular', fakeOrchestrator(rowsOf(total), { driver: { index, count }, ...(fit === undefined ? {} : { fit }) }).ask);
    const start = circularStart(index, count, total);
    return { rows: ids(await drain(users, walked)), expected: range(0, walked).map((i) => (start + i) % total) };
  }

  it('(property) driver k of n walks every row from k·rows/n, round and round', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 5 }), fc.nat(), async (total, count, pick) => {
        const { rows, expected } = await walk(total, pick % count, count, 2 * total + 7);
        assert.deepEqual(rows, expected);
      }),
      { numRuns: 30 },
    );
  });

  it('(property) answers holding fewer rows than asked (long rows) change nothing of the walk', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 80 }), fc.integer({ min: 1, max: 3 }), fc.nat(), fc.integer({ min: 1, max: 9 }), async (total, count, pick, fit) => {
        const { rows, expected } = await walk(total, pick % count, count, 2 * total + 3, fit);
        assert.deepEqual(rows, expected);
      }),
      { numRuns: 30 },
    );
  });

  it('(property) a file longer than one answer is walked across the chunks and the wrap', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: PAGE - 3, max: PAGE + 300 }), fc.integer({ min: 1, max: 3 }), fc.nat(), async (total, count, pick) => {
        const { rows, expected } = await walk(total, pick % count, count, total + 50);
        assert.deepEqual(rows, expected);
      }),
      { numRuns: 3 },
    );
  });

  it('concurrent callers get consecutive rows of the walk', async () => {
    const users = feed('circular', fakeOrchestrator(rowsOf(7), { driver: { index: 2, count: 3 } }).ask);
    assert.deepEqual(
      ids(await burst(users, 20)),
      range(0, 20).map((i) => (4 + i) % 7),
    );
  });

  it('a refused answer ends the feed', async () => {
    const users = feed('circular', fakeOrchestrator(rowsOf(10), { refuseFrom: 1 }).ask);
    assert.deepEqual(await burst(users, 2), [undefined, undefined]);
    assert.equal(users.next(), undefined);
  });
});

describe('RowFeeds: random', () => {
  it('reads the whole file page by page, then draws rows that are all from it', async () => {
    const file = rowsOf(2 * PAGE + PAGE / 2);
    const { ask, questions } = fakeOrchestrator(file);
    const users = feed('random', ask);
    const rows = await drain(users, 3_000);
    assert.equal(rows.length, 3_000, 'random rows never run out');
    assert.deepEqual(
      questions.map((question) => [question.message_type, question.from_row]).sort((a, b) => Number(a[1]) - Number(b[1])),
      [
        ['READ_ROWS', 0],
        ['READ_ROWS', PAGE],
        ['READ_ROWS', 2 * PAGE],
      ],
    );
    const known = new Set(file.map((row) => JSON.stringify(row)));
    assert.ok(rows.every((row) => known.has(JSON.stringify(row))));
    assert.ok(new Set(rows.map((row) => row[0])).size > 500, 'draws spread over the file');
    assert.equal(users.used, 3_000);
    assert.deepEqual(users.variables, ['data.id', 'data.name']);
    assert.ok(Array.isArray(users.next()), 'once loaded, a row at once');
  });

  it('(property) loads every row, also when answers hold fewer rows than asked (long rows)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 1, max: 40 }), async (total, fit) => {
        const { ask, answers } = fakeOrchestrator(rowsOf(total), { fit });
        const users = feed('random', ask);
        assert.ok(Array.isArray(await users.next()));
        const read = new Array<number>(total).fill(0);
        for (const answer of answers) for (let row = answer.first_row; row < answer.first_row + answer.rows.length; row++) read[row]! += 1;
        assert.deepEqual(read, new Array<number>(total).fill(1), 'each row read once');
      }),
      { numRuns: 40 },
    );
  });

  it('(property) every drawn row is a row of the file', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1, max: 200 }), async (total, draws) => {
        const users = feed('random', fakeOrchestrator(rowsOf(total)).ask);
        const rows = await drain(users, draws);
        assert.equal(rows.length, draws);
        const known = new Set(rowsOf(total).map((row) => JSON.stringify(row)));
        assert.ok(rows.every((row) => known.has(JSON.stringify(row))));
      }),
      { numRuns: 25 },
    );
  });

  it('a refused answer gives no row', async () => {
    const users = feed('random', fakeOrchestrator(rowsOf(10), { refuseFrom: 1 }).ask);
    assert.deepEqual(await burst(users, 2), [undefined, undefined]);
    assert.equal(users.next(), undefined);
    assert.equal(users.used, 0);
  });
});

describe('RowFeeds', () => {
  it('one feed per source, shared by the scenarios reading it; used() per source', async () => {
    const { ask, questions } = fakeOrchestrator(rowsOf(100));
    const feeds = new RowFeeds({ testId: 't1', ask });
    const a = feeds.feedFor(scenarioData.parse({ source: 'users' }));
    const b = feeds.feedFor(scenarioData.parse({ source: 'users' }));
    const c = feeds.feedFor(scenarioData.parse({ source: 'cities', mode: 'circular' }));
    assert.equal(a, b);
    assert.notEqual(a, c);
    assert.deepEqual(feeds.used(), { users: 0, cities: 0 });
    await drain(a, 4);
    await drain(b, 3);
    await drain(c, 2);
    assert.deepEqual(feeds.used(), { users: 7, cities: 2 });
    assert.ok(questions.length >= 2);
  });

  it('ready() resolves once every feed has its first rows (random: all of them); then a row comes at once', async () => {
    const { ask } = fakeOrchestrator(rowsOf(30), { fit: 7 });
    const feeds = new RowFeeds({ testId: 't1', ask });
    const unique = feeds.feedFor(scenarioData.parse({ source: 'users' }));
    const circular = feeds.feedFor(scenarioData.parse({ source: 'cities', mode: 'circular' }));
    const random = feeds.feedFor(scenarioData.parse({ source: 'terms', mode: 'random' }));
    for (const early of [unique, circular, random]) assert.ok(early.next() instanceof Promise, 'nothing at hand before the first answer');
    await feeds.ready();
    for (const primed of [unique, circular, random]) assert.ok(Array.isArray(primed.next()), 'a row at once once ready');
    const drawn = new Set(Array.from({ length: 300 }, () => JSON.stringify(random.next())));
    assert.ok(drawn.size > 7, `random drew from every chunk of the file, not the first answer's 7 rows: ${drawn.size}`);
  });
});
