import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { after, before, describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestBody, fieldErrors } from '../../../src/api/createTest.js';
import { parseScenario, scenarioTest, scenarioFile } from '../../../src/api/scenario.js';
import { keyToBody, TEST_KEYS, type KeyIssue } from '../../../src/api/testKeys.js';
import { resolveDataFiles } from '../../../src/cli/run/dataFiles.js';
import { readPlanFile } from '../../../src/cli/run/planSession.js';
import { UsageError } from '../../../src/cli/usageError.js';
import { dataColumnsUsed, dataRequestMessage, dataRowsMessage, DATA_LIMITS, dataVariables, isDataVariable, scenarioData, stopsWhenExhausted, testDataMap, undefinedVariables, type FlowStep } from '../../../src/protocol/index.js';

/**
 * Test data as it comes in: the protocol's schemas and flow variables, the REST body's rules for data and
 * scenarios, the scenario file's data key, and stampede run's --data files.
 */

const ID = 'f'.repeat(64);

function messagesOf(schema: { safeParse(value: unknown): { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } } }, value: unknown) {
  const parsed = schema.safeParse(value);
  assert.equal(parsed.success, false, `expected ${JSON.stringify(value)} to be refused`);
  return parsed.error!.issues.map(({ path, message }) => ({ path, message }));
}

describe('testDataMap', () => {
  it('maps source names to data ids', () => {
    assert.deepEqual(testDataMap.parse({ users: ID, _x: ID, 'a-b_9': ID }), { users: ID, _x: ID, 'a-b_9': ID });
  });

  it('refuses a bad name or a value that is no data id, saying why', () => {
    assert.deepEqual(messagesOf(testDataMap, { '9users': ID }), [{ path: ['9users'], message: 'a data source name is a letter or _, then up to 63 letters, digits, _ or -' }]);
    for (const bad of ['F'.repeat(64), 'f'.repeat(63), 'users.csv']) assert.deepEqual(messagesOf(testDataMap, { users: bad }), [{ path: ['users'], message: 'must be a data_id (the SHA-256 POST /api/data returned)' }]);
    assert.equal(testDataMap.safeParse({ ['u'.repeat(64)]: ID }).success, true);
    assert.equal(testDataMap.safeParse({ ['u'.repeat(65)]: ID }).success, false);
  });

  it(`takes at most ${DATA_LIMITS.sources} sources`, () => {
    const sources = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`s${i}`, ID]));
    assert.equal(testDataMap.safeParse(sources(DATA_LIMITS.sources)).success, true);
    assert.deepEqual(messagesOf(testDataMap, sources(DATA_LIMITS.sources + 1)), [{ path: [], message: `at most ${DATA_LIMITS.sources} data sources` }]);
  });
});

describe('scenarioData and stopsWhenExhausted', () => {
  it('defaults to mode unique, on_exhausted left out (stop)', () => {
    assert.deepEqual(scenarioData.parse({ source: 'users' }), { source: 'users', mode: 'unique' });
    assert.equal(stopsWhenExhausted(scenarioData.parse({ source: 'users' })), true);
  });

  it('refuses on_exhausted stop for rows that never run out, an unknown mode or field', () => {
    assert.deepEqual(messagesOf(scenarioData, { source: 'u', mode: 'circular', on_exhausted: 'stop' }), [{ path: ['on_exhausted'], message: 'circular rows never run out: on_exhausted is for mode unique' }]);
    assert.deepEqual(messagesOf(scenarioData, { source: 'u', mode: 'random', on_exhausted: 'stop' }).map((issue) => issue.path), [['on_exhausted']]);
    assert.deepEqual(messagesOf(scenarioData, { source: 'u', mode: 'sequential' }).map((issue) => issue.path), [['mode']]);
    assert.deepEqual(messagesOf(scenarioData, { source: 'u', on_exhausted: 'loop' }).map((issue) => issue.path), [['on_exhausted']]);
    assert.equal(scenarioData.safeParse({ source: 'u', file: 'x.csv' }).success, false);
    assert.equal(scenarioData.safeParse({ mode: 'unique' }).success, false);
  });

  it('only unique rows with on_exhausted stop (the default) stop their scenarios', () => {
    assert.equal(stopsWhenExhausted({ mode: 'unique' }), true);
    assert.equal(stopsWhenExhausted({ mode: 'unique', on_exhausted: 'stop' }), true);
    assert.equal(stopsWhenExhausted({ mode: 'unique', on_exhausted: 'cycle' }), false);
    assert.equal(stopsWhenExhausted({ mode: 'circular' }), false);
    assert.equal(stopsWhenExhausted({ mode: 'random' }), false);
  });
});

describe('dataRequestMessage and dataRowsMessage', () => {
  const request = { message_type: 'take_rows', test_id: 't1', node_id: 'd1', source: 'users', request_id: '3', rows: '10', used: '0' };

  it('reads a request as the wire gives it: any case, numbers as text', () => {
    assert.deepEqual(dataRequestMessage.parse(request), { message_type: 'TAKE_ROWS', test_id: 't1', node_id: 'd1', source: 'users', request_id: 3, rows: 10, used: 0 });
    assert.equal(dataRequestMessage.parse({ ...request, message_type: 'READ_ROWS', from_row: 0 }).from_row, 0);
  });

  it(`refuses a request for 0 or more than ${DATA_LIMITS.rowsPerMessage} rows, a request id below 1, a negative from_row`, () => {
    assert.equal(dataRequestMessage.safeParse({ ...request, rows: DATA_LIMITS.rowsPerMessage }).success, true);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, rows: DATA_LIMITS.rowsPerMessage + 1 }), [{ path: ['rows'], message: `must be at most ${DATA_LIMITS.rowsPerMessage}` }]);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, rows: 0 }).map((issue) => issue.path), [['rows']]);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, request_id: 0 }).map((issue) => issue.path), [['request_id']]);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, from_row: -1 }).map((issue) => issue.path), [['from_row']]);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, message_type: 'GIVE_ROWS' }).map((issue) => issue.path), [['message_type']]);
    assert.deepEqual(messagesOf(dataRequestMessage, { ...request, source: 'a b' }).map((issue) => issue.path), [['source']]);
  });

  const answer = { test_id: 't1', node_id: 'd1', source: 'users', request_id: 3, columns: ['id', 'name'], first_row: 10, rows: [['1', null]], total_rows: 100 };

  it('reads rows with null for a missing value, and the unique fields', () => {
    assert.deepEqual(dataRowsMessage.parse({ ...answer, pass: '2', exhausted: true }), { ...answer, pass: 2, exhausted: true });
    assert.deepEqual(dataRowsMessage.parse({ ...answer, rows: [], columns: [], total_rows: 0, refused: 'no test t1' }).refused, 'no test t1');
  });

  it('refuses a column templates cannot name, too many rows, a pass 0, a value that is no text', () => {
    assert.deepEqual(messagesOf(dataRowsMessage, { ...answer, columns: ['id', 'first name'] }).map((issue) => issue.path), [['columns', 1]]);
    assert.deepEqual(messagesOf(dataRowsMessage, { ...answer, rows: new Array(DATA_LIMITS.rowsPerMessage + 1).fill(['1']) }).map((issue) => issue.path), [['rows']]);
    assert.deepEqual(messagesOf(dataRowsMessage, { ...answer, pass: 0 }).map((issue) => issue.path), [['pass']]);
    assert.deepEqual(messagesOf(dataRowsMessage, { ...answer, rows: [[1]] }).map((issue) => issue.path), [['rows', 0, 0]]);
  });
});

describe('flow variables of data', () => {
  const flow: FlowStep[] = [
    { url: 'http://h/{{data.id}}', headers: { auth: '{{token}}' } },
    { url: 'http://h/login', body: '{"u":"{{data.user}}","i":"{{data.id}}"}', capture: { token: { json: '$.t' } }, check: [{ body_contains: '{{data.expect}}' }] },
    { think: '1s' },
    { loop: { count: 2, steps: [{ group: { name: 'g', steps: [{ url: 'http://h/{{data.deep}}/{{vu}}/{{iteration}}/{{token}}' }] } }] } },
  ] as FlowStep[];

  it('isDataVariable: data.COLUMN only', () => {
    assert.equal(isDataVariable('data.id'), true);
    assert.equal(isDataVariable('data'), false);
    assert.equal(isDataVariable('dataid'), false);
    assert.equal(isDataVariable('token'), false);
    assert.deepEqual(dataVariables(['id', 'name']), ['data.id', 'data.name']);
    fc.assert(fc.property(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,20}$/), (column) => dataVariables([column]).every(isDataVariable)));
  });

  it('dataColumnsUsed: each column once, at the path of its first use, in steps, bodies, checks, loops and groups', () => {
    assert.deepEqual(
      [...dataColumnsUsed(flow)],
      [
        ['id', [0, 'url']],
        ['user', [1, 'body']],
        ['expect', [1, 'check', 0, 'body_contains']],
        ['deep', [3, 'loop', 'steps', 0, 'group', 'steps', 0, 'url']],
      ],
    );
    assert.deepEqual([...dataColumnsUsed([{ url: 'http://h/{{vu}}' }] as FlowStep[])], []);
  });

  it('undefinedVariables names the variable of each problem; given the columns, data variables are defined', () => {
    const problems = undefinedVariables(flow, []);
    assert.deepEqual(
      problems.map((problem) => [problem.variable, problem.path.join('.')]),
      [
        ['data.id', '0.url'],
        ['token', '0.headers.auth'],
        ['data.user', '1.body'],
        ['data.id', '1.body'],
        ['data.expect', '1.check.0.body_contains'],
        ['data.deep', '3.loop.steps.0.group.steps.0.url'],
      ],
    );
    assert.match(problems[0]!.message, /^uses \{\{data\.id\}\}, but the scenario has no data source with that column/);
    assert.match(problems[1]!.message, /^uses \{\{token\}\}, which no earlier step captures/);
    assert.deepEqual(
      undefinedVariables(flow, dataVariables(['id', 'user', 'expect', 'deep'])).map((problem) => problem.variable),
      ['token'],
    );
  });
});

const USERS_ID = 'a'.repeat(64);
const CITIES_ID = 'c'.repeat(64);

const reading = (data?: Record<string, unknown>, url = 'http://localhost:1/{{data.id}}') => ({ executor: 'shared-iterations', vus: 1, iterations: 5, flow: [{ url }], ...(data ? { data } : {}) });

function errorsOf(body: unknown) {
  const parsed = createTestBody.safeParse(body);
  assert.equal(parsed.success, false, 'expected the body to be refused');
  return fieldErrors(parsed.error!);
}

describe('createTestBody: data', () => {
  it("accepts scenarios reading the test's data sources, filling in mode unique", () => {
    const parsed = createTestBody.safeParse({ scenarios: { a: reading({ source: 'users' }), b: reading({ source: 'cities', mode: 'random' }), c: reading(undefined, 'http://localhost:1/') }, data: { users: USERS_ID, cities: CITIES_ID } });
    assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(fieldErrors(parsed.error)));
    assert.deepEqual(parsed.data.data, { users: USERS_ID, cities: CITIES_ID });
    assert.deepEqual(parsed.data.scenarios?.a?.data, { source: 'users', mode: 'unique' });
    assert.deepEqual(parsed.data.scenarios?.b?.data, { source: 'cities', mode: 'random' });
  });

  it("refuses a scenario's source that is not one of the test's data names, listing them", () => {
    assert.deepEqual(errorsOf({ scenarios: { s: reading({ source: 'user' }) }, data: { users: USERS_ID, cities: CITIES_ID } }), [{ field: 'scenarios.s.data.source', message: "names no data source of the test: the test's data names users, cities" }]);
    const [none] = errorsOf({ scenarios: { s: reading({ source: 'users' }) } });
    assert.equal(none?.field, 'scenarios.s.data.source');
    assert.match(none!.message, /^names no data source of the test: the test has no data \(upload a file: POST \/api\/data, or stampede run --data NAME=FILE\)$/);
  });

  it('refuses data in a test without scenarios', () => {
    assert.deepEqual(errorsOf({ test_type: 'AVALANCHE', target_url: 'http://localhost:1/', message_count_per_driver: 5, data: { users: USERS_ID } }), [{ field: 'data', message: "is read by scenarios' data: {source}; this test has no scenarios" }]);
  });

  it('refuses two scenarios reading one source in different ways, naming the second', () => {
    const modes = errorsOf({ scenarios: { a: reading({ source: 'users' }), b: reading({ source: 'users', mode: 'circular' }) }, data: { users: USERS_ID } });
    assert.deepEqual(modes, [{ field: 'scenarios.b.data', message: 'reads users with mode circular, but scenario a reads it with mode unique, on_exhausted stop: scenarios sharing a source read it the same way' }]);
    const exhaustion = errorsOf({ scenarios: { a: reading({ source: 'users', on_exhausted: 'cycle' }), b: reading({ source: 'users' }), c: reading({ source: 'users', on_exhausted: 'cycle' }) }, data: { users: USERS_ID } });
    assert.deepEqual(
      exhaustion.map((error) => error.field),
      ['scenarios.b.data'],
    );
  });

  it('refuses on_exhausted for a circular or random reader, whose rows never run out', () => {
    for (const mode of ['circular', 'random']) {
      for (const onExhausted of ['stop', 'cycle']) {
        const errors = errorsOf({ scenarios: { a: reading({ source: 'users', mode, on_exhausted: onExhausted }) }, data: { users: USERS_ID } });
        assert.deepEqual(errors.map((e) => e.field), ['scenarios.a.data.on_exhausted'], `${mode} with ${onExhausted}`);
      }
    }
    const parsed = createTestBody.safeParse({ scenarios: { a: reading({ source: 'users', mode: 'circular' }), b: reading({ source: 'users', mode: 'circular' }) }, data: { users: USERS_ID } });
    assert.ok(parsed.success, 'two circular readers of one source');
  });

  it('accepts two scenarios reading one source the same way (on_exhausted stop given or not)', () => {
    const parsed = createTestBody.safeParse({ scenarios: { a: reading({ source: 'users' }), b: reading({ source: 'users', mode: 'unique', on_exhausted: 'stop' }) }, data: { users: USERS_ID } });
    assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(fieldErrors(parsed.error)));
  });

  it('refuses data that is not a map of names to data ids, at the name', () => {
    const errors = errorsOf({ scenarios: { s: reading({ source: 'users' }) }, data: { users: 'users.csv' } });
    assert.ok(errors.some((error) => error.field === 'data.users' && /data_id/.test(error.message)), JSON.stringify(errors));
  });

  it('refuses {{data.COLUMN}} in a scenario without data, naming the step', () => {
    assert.deepEqual(errorsOf({ scenarios: { s: reading() } }), [{ field: 'scenarios.s.flow[0].url', message: 'uses {{data.id}}, but the scenario has no data source with that column (defined here: vu, iteration)' }]);
  });
});

describe('the data key of scenario files and stampede run', () => {
  it('takes a list of NAME=FILE, a map of names to files, or a map of names to data ids; nothing else', () => {
    const schema = TEST_KEYS.data.schema;
    assert.ok(schema.safeParse(['users=users.csv']).success);
    assert.ok(schema.safeParse({ users: { file: 'users.csv' } }).success);
    assert.ok(schema.safeParse({ users: USERS_ID }).success);
    for (const bad of [5, 'users=users.csv', { users: { path: 'users.csv' } }, { users: 3 }]) {
      const parsed = schema.safeParse(bad);
      assert.equal(parsed.success, false, JSON.stringify(bad));
    }
    assert.equal(TEST_KEYS.data.flag, 'data');
    assert.equal(TEST_KEYS.data.repeatable, true);
  });

  it('becomes the body field data once every file is a data id', () => {
    const issues: KeyIssue[] = [];
    assert.deepEqual(keyToBody('data', { users: USERS_ID }, issues), { data: { users: USERS_ID } });
    assert.deepEqual(issues, []);
  });

  it('is an issue at the key while it still names files (stampede run has not uploaded them)', () => {
    for (const value of [['users=users.csv'], { users: { file: 'users.csv' } }, { users: USERS_ID, cities: { file: 'c.csv' } }]) {
      const issues: KeyIssue[] = [];
      assert.deepEqual(keyToBody('data', value, issues), { data: undefined });
      assert.deepEqual(issues, [{ path: ['data'], message: 'names files, which stampede run uploads; without it give each source the data_id POST /api/data returned' }]);
    }
  });

  it('scenarioTest refuses a data key still naming files, at the key', () => {
    const file = scenarioFile.parse({ scenarios: { s: reading({ source: 'users' }) }, data: { users: { file: 'users.csv' } } });
    const { test, issues } = scenarioTest(file);
    assert.equal(test, undefined);
    assert.ok(
      issues.some((issue) => issue.path.length === 1 && issue.path[0] === 'data' && /^names files/.test(issue.message)),
      JSON.stringify(issues),
    );
  });

  it('parseScenario carries data ids into the body', () => {
    const parsed = parseScenario({ scenarios: { s: reading({ source: 'users', mode: 'circular' }) }, data: { users: USERS_ID } });
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.test?.body.data, { users: USERS_ID });
    const refused = parseScenario({ scenarios: { s: reading({ source: 'cities' }) }, data: { users: USERS_ID } });
    assert.deepEqual(refused.errors, [{ field: 'scenarios.s.data.source', message: "names no data source of the test: the test's data names users" }]);
  });
});

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');
const USERS = 'id,name\n1,ann\n2,bob\n';
const CITIES = '{"city":"Oslo"}\n';

let dir: string;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'stampede-datafiles-'));
  writeFileSync(join(dir, 'users.csv'), USERS);
  writeFileSync(join(dir, 'cities.jsonl'), CITIES);
  writeFileSync(join(dir, 'cities.ndjson'), CITIES);
  writeFileSync(join(dir, 'list.json'), '[{"a":"1"}]');
  writeFileSync(join(dir, 'UPPER.CSV'), USERS);
  writeFileSync(join(dir, 'notes.txt'), 'x');
  mkdirSync(join(dir, 'sub'));
  writeFileSync(join(dir, 'sub', 'users.csv'), 'id\n9\n');
});
after(() => rmSync(dir, { recursive: true, force: true }));

function usageError(run: () => unknown): UsageError {
  try {
    run();
  } catch (error) {
    assert.ok(error instanceof UsageError, `expected a UsageError, got ${String(error)}`);
    return error;
  }
  return assert.fail('expected a UsageError');
}

describe('resolveDataFiles', () => {
  it('--data NAME=FILE: the data id is the SHA-256 of the bytes, the type told by the name', () => {
    const users = join(dir, 'users.csv');
    const { data, uploads } = resolveDataFiles([`users=${users}`, `cities=${join(dir, 'cities.jsonl')}`], '/nowhere');
    assert.deepEqual(data, { users: sha256(USERS), cities: sha256(CITIES) });
    assert.deepEqual(uploads, [
      { source: 'users', file: users, named: `--data users=${users}`, contentType: 'text/csv', dataId: sha256(USERS) },
      { source: 'cities', file: join(dir, 'cities.jsonl'), named: `--data cities=${join(dir, 'cities.jsonl')}`, contentType: 'application/x-ndjson', dataId: sha256(CITIES) },
    ]);
  });

  it('--data paths are from the working folder, not the base folder', () => {
    const fromCwd = relative(process.cwd(), join(dir, 'users.csv'));
    const { uploads } = resolveDataFiles([`users=${fromCwd}`], join(dir, 'sub'));
    assert.equal(uploads[0]?.file, join(dir, 'users.csv'));
    assert.equal(uploads[0]?.dataId, sha256(USERS));
  });

  it("a file's {NAME: {file}} is from the file's folder; a data id stays as given and is not uploaded", () => {
    const id = 'e'.repeat(64);
    const { data, uploads } = resolveDataFiles({ users: { file: 'users.csv' }, other: id, list: { file: '../list.json' } }, join(dir, 'sub'));
    assert.deepEqual(data, { users: sha256('id\n9\n'), other: id, list: sha256('[{"a":"1"}]') });
    assert.deepEqual(
      uploads.map((upload) => [upload.source, upload.file, upload.named, upload.contentType]),
      [
        ['users', join(dir, 'sub', 'users.csv'), 'data.users', 'text/csv'],
        ['list', join(dir, 'list.json'), 'data.list', 'application/json'],
      ],
    );
  });

  it('tells the type by the extension, in any case; .ndjson is JSON Lines', () => {
    const { uploads } = resolveDataFiles({ a: { file: 'UPPER.CSV' }, b: { file: 'cities.ndjson' } }, dir);
    assert.deepEqual(
      uploads.map((upload) => upload.contentType),
      ['text/csv', 'application/x-ndjson'],
    );
  });

  it('no data: nothing to upload', () => {
    assert.deepEqual(resolveDataFiles(undefined, dir), { data: undefined, uploads: [] });
    assert.deepEqual(resolveDataFiles([], dir), { data: {}, uploads: [] });
  });

  it("leaves a data key of another shape to the key's schema: a plan file's data: {users: 5} is exit 2 naming it", () => {
    for (const value of [5, 'users.csv', null, [3], { users: 5 }, { users: { path: 'users.csv' } }]) assert.deepEqual(resolveDataFiles(value, dir), { data: undefined, uploads: [] }, JSON.stringify(value));
    const plan = join(dir, 'plan-bad-data.json');
    writeFileSync(plan, JSON.stringify({ name: 'p', data: { users: 5 }, tests: [{ name: 't', target: 'http://127.0.0.1:1/', type: 'avalanche', count: 1 }] }));
    assert.match(usageError(() => readPlanFile(plan)).message, /^--plan .*plan-bad-data\.json: data: must map data source names to files/);
  });

  it('a bad NAME=FILE is a UsageError naming the flag', () => {
    const file = join(dir, 'users.csv');
    for (const text of [file, `=${file}`, `9users=${file}`, `us ers=${file}`, 'users=', `${'u'.repeat(65)}=${file}`]) {
      const error = usageError(() => resolveDataFiles([text], dir));
      assert.equal(error.message, `--data ${text}: must be NAME=FILE, NAME a letter or _ then letters, digits, _ or - (e.g. --data users=users.csv)`);
    }
    assert.equal(resolveDataFiles([`u=${join(dir, 'a=b')}/../users.csv`], dir).data?.u, sha256(USERS), 'the first = splits NAME from FILE');
  });

  it('an unknown extension is a UsageError naming the flag or the key', () => {
    const notes = join(dir, 'notes.txt');
    assert.equal(usageError(() => resolveDataFiles([`n=${notes}`], dir)).message, `--data n=${notes}: the file's kind is told by its name: .csv, .json, .jsonl, .ndjson`);
    assert.match(usageError(() => resolveDataFiles({ n: { file: 'notes.txt' } }, dir)).message, /^data\.n: the file's kind is told by its name/);
    assert.match(usageError(() => resolveDataFiles({ n: { file: 'missing.tsv' } }, dir)).message, /^data\.n: the file's kind/, 'the kind is checked before the file is read');
  });

  it('a folder named like a data file is a UsageError naming the flag', () => {
    const folder = join(dir, 'folder.csv');
    mkdirSync(folder, { recursive: true });
    assert.match(usageError(() => resolveDataFiles([`f=${folder}`], dir)).message, /^--data f=.*folder\.csv: .*cannot be read: EISDIR/);
  });

  it('a data source named twice is a UsageError naming it', () => {
    const file = join(dir, 'twice.csv');
    writeFileSync(file, 'user\nu1\n');
    assert.match(usageError(() => resolveDataFiles([`u=${file}`, `u=${file}`], dir)).message, /^--data u=.*: data source u is named twice/);
  });

  it('an unreadable file is a UsageError naming the flag, the path and why', () => {
    const missing = join(dir, 'missing.csv');
    assert.equal(usageError(() => resolveDataFiles([`m=${missing}`], dir)).message, `--data m=${missing}: ${missing} cannot be read: ENOENT`);
    assert.equal(usageError(() => resolveDataFiles({ m: { file: 'missing.csv' } }, dir)).message, `data.m: ${missing} cannot be read: ENOENT`);
  });

  it('(property) the data id is the SHA-256 of any bytes, also past the 1 MiB read chunk', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4_096 }), fc.constantFrom(0, (1 << 20) - 1, 1 << 20, (1 << 20) + 17), (bytes, padding) => {
        const content = Buffer.concat([Buffer.alloc(padding, 7), Buffer.from(bytes)]);
        const file = join(dir, 'bytes.json');
        writeFileSync(file, content);
        return resolveDataFiles({ b: { file: 'bytes.json' } }, dir).data?.b === sha256(content);
      }),
      { numRuns: 8 },
    );
  });
});
