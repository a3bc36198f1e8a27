import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { DataFileView, TestDetailView } from '../src/api/index.js';
import { startRecordingServer, type RecordingServer } from './helpers/recordingServer.js';
import { eventually, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, stopAllChildren, tempDir, type Child } from './helpers/processes.js';

const finished = (t: TestDetailView) => ['completed', 'failed', 'cancelled'].includes(t.state);
const ROWS = 1_200;

/** A CSV of `count` accounts: user u1…uN and a password each. */
function accountsCsv(count: number): string {
  return ['user,password', ...Array.from({ length: count }, (_, i) => `u${i + 1},pw${i + 1}`)].join('\n') + '\n';
}

async function upload(orchestratorUrl: string, body: string, contentType: string): Promise<{ status: number; body: DataFileView & { message?: string } }> {
  const response = await request(`${orchestratorUrl}/api/data`, { method: 'POST', headers: { 'content-type': contentType }, body });
  return { status: response.statusCode, body: (await response.body.json()) as DataFileView & { message?: string } };
}

/** The value of `user=` in each recorded request, in arrival order. */
function usersSeen(server: RecordingServer): string[] {
  return server.paths.map((path) => new URL(path, 'http://x').searchParams.get('user') ?? '');
}

function duplicates(values: readonly string[]): string[] {
  const seen = new Set<string>();
  return values.filter((value) => (seen.has(value) ? true : (seen.add(value), false)));
}

/** One request per iteration, naming the row's user: the target sees which rows were used, and how often. */
function loginScenario(source: string, extra: Record<string, unknown>, url: string): Record<string, unknown> {
  return { executor: 'constant-vus', duration_s: 120, ...extra, data: { source, mode: 'unique' }, flow: [{ name: 'login', method: 'GET', url: `${url}?user={{data.user}}&pw={{data.password}}` }] };
}

describe('test data: rows of uploaded files dealt to drivers through Kafka', () => {
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let drivers: { child: Child; nodeId: string }[];
  let accountsId: string;
  let csvFile: string;

  before(async () => {
    orchestrator = await startOrchestratorProcess();
    drivers = await Promise.all([0, 1, 2].map(() => startDriverProcess(orchestrator.url)));
    csvFile = join(tempDir(), 'accounts.csv');
    writeFileSync(csvFile, accountsCsv(ROWS));
  });
  after(() => stopAllChildren());

  const driverIds = () => drivers.map((d) => d.nodeId);
  const runTest = async (body: Record<string, unknown>, during?: (test: TestDetailView) => Promise<void>): Promise<TestDetailView> => {
    const created = await postJson<TestDetailView>(`${orchestrator.url}/api/tests`, { ...body, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await during?.(created.body);
    return eventually(() => getJson<TestDetailView>(`${orchestrator.url}/api/tests/${created.body.test_id}`), finished, 60_000, 'the test to finish');
  };

  it('stampede run --data: 3 drivers use each of 1,200 rows exactly once, and the test ends when they run out', async () => {
    const server = await startRecordingServer(5);
    try {
      const file = join(tempDir(), 'logins.json');
      writeFileSync(file, JSON.stringify({ drivers: driverIds().join(','), scenarios: { logins: loginScenario('accounts', { vus: 4 }, server.url) } }));
      const cli = startCli(['run', '--orchestrator', orchestrator.url.replace(/^http:\/\//, ''), '--scenario', file, '--data', `accounts=${csvFile}`, '--json']);
      assert.equal(await cli.exited, 0, cli.stderr());
      const result = JSON.parse(cli.stdout()) as TestDetailView;
      assert.equal(result.state, 'completed', result.reason ?? '');
      const users = usersSeen(server);
      assert.deepEqual(duplicates(users), [], 'no row was used twice');
      assert.equal(new Set(users).size, ROWS, 'every row reached the target');
      const [data] = result.data;
      accountsId = data!.data_id;
      assert.deepEqual({ ...data, data_id: undefined }, { source: 'accounts', data_id: undefined, mode: 'unique', rows: ROWS, used: ROWS, dealt: ROWS, left: 0, held: 0, unused: 0, lost: [] });
      assert.equal(result.aggregate.iterations?.completed, ROWS);
      const perDriver = result.drivers.map((d) => d.iterations?.completed ?? 0);
      assert.ok(perDriver.every((n) => n > 0), `every driver took rows: ${perDriver.join(', ')}`);
    } finally {
      await server.close();
    }
  });

  it('a driver SIGKILLed mid-test: no row twice, and the rows it held are reported lost with it', async () => {
    const server = await startRecordingServer(40);
    try {
      const victim = drivers[0]!;
      const result = await runTest({ drivers: driverIds(), data: { accounts: accountsId }, scenarios: { logins: loginScenario('accounts', { vus: 6 }, server.url) } }, async () => {
        await eventually(async () => server.paths.length, (n) => n >= 200, 20_000, 'the first 200 logins');
        victim.child.process.kill('SIGKILL');
      });
      assert.equal(result.state, 'failed', 'a lost driver fails the test');
      // The others stop on the test's cancel; their final reports say what they had not used.
      const settled = await eventually(() => getJson<TestDetailView>(`${orchestrator.url}/api/tests/${result.test_id}`), (t) => t.data[0]!.held === 0, 30_000, 'the other drivers to report');
      assert.deepEqual(duplicates(usersSeen(server)), [], 'no row was used twice');
      const data = settled.data[0]!;
      assert.deepEqual(data.lost.map((l) => l.node_id), [victim.nodeId], 'the killed driver is named with its rows');
      assert.equal(data.dealt! + data.left!, ROWS);
      assert.equal(data.used + data.unused! + data.lost[0]!.rows, data.dealt);
      // What the killed driver used after its last report is counted lost: never more than the target saw.
      assert.ok(new Set(usersSeen(server)).size <= data.used + data.lost[0]!.rows, JSON.stringify(data));
      drivers[0] = await startDriverProcess(orchestrator.url);
    } finally {
      await server.close();
    }
  });

  it('the orchestrator restarted mid-test: the test goes on and every row is used exactly once', async () => {
    const server = await startRecordingServer(20);
    try {
      const result = await runTest({ drivers: driverIds(), data: { accounts: accountsId }, scenarios: { logins: loginScenario('accounts', { vus: 4 }, server.url) } }, async () => {
        await eventually(async () => server.paths.length, (n) => n >= 200, 20_000, 'the first 200 logins');
        orchestrator.child.process.kill('SIGKILL');
        await orchestrator.child.exited;
        orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
      });
      assert.equal(result.state, 'completed', result.reason ?? '');
      const users = usersSeen(server);
      assert.deepEqual(duplicates(users), [], 'no row was used twice');
      assert.equal(new Set(users).size, ROWS);
      assert.deepEqual([result.data[0]!.used, result.data[0]!.left, result.data[0]!.lost], [ROWS, 0, []]);
    } finally {
      await server.close();
    }
  });

  it('circular: 10 rows, 60 iterations on 2 drivers use each row exactly 6 times; random draws only rows of the file', async () => {
    const server = await startRecordingServer(0);
    try {
      const jsonl = Array.from({ length: 10 }, (_, i) => JSON.stringify({ user: `c${i}`, password: i })).join('\n');
      const file = await upload(orchestrator.url, jsonl, 'application/x-ndjson');
      assert.equal(file.status, 201, JSON.stringify(file.body));
      assert.deepEqual([file.body.rows, file.body.columns], [10, ['user', 'password']]);
      const flow = (name: string) => [{ name, method: 'GET', url: `${server.url}?${name}={{data.user}}` }];
      const result = await runTest({
        drivers: driverIds().slice(0, 2),
        data: { walked: file.body.data_id, drawn: file.body.data_id },
        scenarios: {
          walk: { executor: 'per-vu-iterations', total_vus: 2, iterations: 30, data: { source: 'walked', mode: 'circular' }, flow: flow('walk') },
          draw: { executor: 'per-vu-iterations', total_vus: 2, iterations: 20, data: { source: 'drawn', mode: 'random' }, flow: flow('draw') },
        },
      });
      assert.equal(result.state, 'completed', result.reason ?? '');
      const valuesOf = (name: string) => server.paths.map((path) => new URL(path, 'http://x').searchParams.get(name)).filter((value) => value !== null);
      const walkCounts = new Map<string, number>();
      for (const user of valuesOf('walk')) walkCounts.set(user, (walkCounts.get(user) ?? 0) + 1);
      assert.deepEqual([...walkCounts].sort(), Array.from({ length: 10 }, (_, i) => [`c${i}`, 6]), 'each row walked exactly 6 times');
      const drawn = valuesOf('draw');
      assert.equal(drawn.length, 40);
      assert.ok(drawn.every((user) => /^c\d$/.test(user)), `random drew only rows of the file: ${drawn.join(',')}`);
      assert.deepEqual(
        result.data.map((d) => [d.source, d.mode, d.used, d.dealt]),
        [
          ['walked', 'circular', 60, null],
          ['drawn', 'random', 40, null],
        ],
      );
    } finally {
      await server.close();
    }
  });

  it('a plan file names its data file once: each test of the plan reads it, each unique row once per test', async () => {
    const server = await startRecordingServer(0);
    try {
      const dir = tempDir();
      writeFileSync(join(dir, 'few.csv'), accountsCsv(30));
      const logins = { executor: 'shared-iterations', vus: 2, iterations: 100, max_duration_s: 60, data: { source: 'accounts', mode: 'unique' }, flow: [{ name: 'login', method: 'GET', url: `${server.url}?user={{data.user}}` }] };
      const plan = { name: 'with data', drivers: driverIds().join(','), data: { accounts: { file: 'few.csv' } }, tests: [{ name: 'first', scenarios: { logins } }, { name: 'second', scenarios: { logins } }] };
      writeFileSync(join(dir, 'plan.json'), JSON.stringify(plan));
      const cli = startCli(['run', '--orchestrator', orchestrator.url.replace(/^http:\/\//, ''), '--plan', join(dir, 'plan.json'), '--json']);
      assert.equal(await cli.exited, 0, cli.stderr());
      const result = JSON.parse(cli.stdout()) as { verdict: string; tests: { attempts: { test_id: string }[] }[] };
      assert.equal(result.verdict, 'passed');
      for (const test of result.tests) {
        const view = await getJson<TestDetailView>(`${orchestrator.url}/api/tests/${test.attempts[0]!.test_id}`);
        assert.deepEqual([view.data[0]?.rows, view.data[0]?.used, view.data[0]?.left], [30, 30, 0], 'the rows of the file, each used once, and the test ended when they ran out');
      }
      const users = usersSeen(server);
      assert.equal(users.length, 60);
      assert.deepEqual([...new Set(users)].length, 30, 'both tests used the same 30 rows, each once');
    } finally {
      await server.close();
    }
  });

  it('refuses, naming what: a bad file, a column the file lacks or some rows lack, an unknown file, and deleting a file a test reads', async () => {
    const url = 'http://127.0.0.1:9/x';
    const badCsv = await upload(orchestrator.url, 'user,password\nu1,pw1\nu2\n', 'text/csv');
    assert.equal(badCsv.status, 400);
    assert.match(badCsv.body.message!, /line 3/);
    const badName = await upload(orchestrator.url, 'user name,password\nu1,pw1\n', 'text/csv');
    assert.equal(badName.status, 400);
    assert.match(badName.body.message!, /\{\{data\.COLUMN\}\}/);
    assert.equal((await upload(orchestrator.url, 'user\nu1\n', 'text/plain')).status, 415);

    const partial = await upload(orchestrator.url, ['{"user":"a","password":"p"}', '{"user":"b"}', '{"user":"c","password":"q"}'].join('\n'), 'application/x-ndjson');
    assert.equal(partial.status, 201, JSON.stringify(partial.body));
    assert.deepEqual(partial.body.missing, { password: { rows: 1, first_row: 2 } });
    const create = (data: Record<string, string>, flowUrl: string) =>
      postJson<{ errors?: { field: string; message: string }[] }>(`${orchestrator.url}/api/tests`, {
        drivers: 1,
        data,
        scenarios: { s: { executor: 'shared-iterations', vus: 1, iterations: 1, data: { source: 'accounts' }, flow: [{ method: 'GET', url: flowUrl }] } },
      });
    const lacking = await create({ accounts: accountsId }, `${url}?e={{data.email}}`);
    assert.equal(lacking.status, 400);
    assert.deepEqual(lacking.body.errors?.map((e) => e.field), ['scenarios.s.flow[0].url']);
    assert.match(lacking.body.errors![0]!.message, /no column email \(its columns: user, password\)/);
    const someLack = await create({ accounts: partial.body.data_id }, `${url}?p={{data.password}}`);
    assert.equal(someLack.status, 400);
    assert.match(someLack.body.errors![0]!.message, /1 of the 3 rows of data source accounts lack password \(the first: row 2\)/);
    const unknown = await create({ accounts: 'f'.repeat(64) }, url);
    assert.deepEqual([unknown.status, unknown.body.errors?.[0]?.field], [400, 'data.accounts']);

    const reading = await create({ accounts: partial.body.data_id }, `${url}?u={{data.user}}`);
    assert.equal(reading.status, 201, JSON.stringify(reading.body));
    const testId = (reading.body as unknown as TestDetailView).test_id;
    const deleteData = () => request(`${orchestrator.url}/api/data/${partial.body.data_id}`, { method: 'DELETE' }).then(async (r) => [r.statusCode, await r.body.text()] as const);
    const [refused, why] = await deleteData();
    assert.equal(refused, 409);
    assert.match(why, new RegExp(testId));
    await postJson(`${orchestrator.url}/api/tests/${testId}/cancel`, {});
    assert.equal((await deleteData())[0], 204);
    assert.equal((await request(`${orchestrator.url}/api/data/${partial.body.data_id}`)).statusCode, 404);

    const scenarioFile = join(tempDir(), 'logins.json');
    writeFileSync(scenarioFile, JSON.stringify({ scenarios: { s: loginScenario('accounts', { vus: 1 }, url) } }));
    const cli = startCli(['run', '--orchestrator', orchestrator.url.replace(/^http:\/\//, ''), '--scenario', scenarioFile, '--data', 'accounts=/nonexistent/accounts.csv']);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /--data accounts=\/nonexistent\/accounts.csv: .*cannot be read/);
  });
});
