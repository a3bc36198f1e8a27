import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import { startRequestLogServer, type RequestLogServer } from '../helpers/requestLogServer.js';
import { eventually, freePort, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir, type Child } from '../helpers/processes.js';

type Figures = { sent: number; completed: number; error_count: number };
type Report = { test_id: string; state: string; aggregate: Figures; drivers: (Figures & { node_id: string })[]; thresholds: { expression: string; ok: boolean; actual: number | null }[] };

async function runCli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return cli(['run', ...args], timeoutMs);
}

async function cli(args: string[], timeoutMs = 60_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(args);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

async function getText(url: string): Promise<string> {
  const response = await request(url);
  return response.body.text();
}

describe('stampede run against a real orchestrator, 2 drivers and the target', () => {
  let orchestrator: { child: Child; url: string; port: number };
  let targetUrl: string;
  let targetMetricsUrl: string;
  let defaults: Record<string, string>;
  /** The flags of a small AVALANCHE test on our two drivers; an override of undefined drops a flag. */
  const runArgs = (overrides: Record<string, string | undefined> = {}, extra: string[] = []) => [
    ...Object.entries({ ...defaults, ...overrides }).flatMap(([flag, value]) => (value === undefined ? [] : [`--${flag}`, value])),
    ...extra,
  ];
  const dir = tempDir('stampede-run-');

  before(async () => {
    const target = await startTarget();
    targetUrl = `${target.url}/ping`;
    targetMetricsUrl = `${target.url}/metrics?format=json`;
    orchestrator = await startOrchestratorProcess();
    const drivers = await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)]);
    const ids = drivers.map((d) => d.nodeId);
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => ids.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
    // The test broker is shared: naming our drivers keeps other suites' drivers out of these tests.
    defaults = { orchestrator: `127.0.0.1:${orchestrator.port}`, target: targetUrl, type: 'avalanche', count: '300', drivers: ids.join(',') };
  });
  after(() => stopAllChildren());

  it('exits 99 and names an impossible threshold; --out x.csv is the REST CSV exactly', async () => {
    const csvFile = join(dir, 'x.csv');
    const { code, stdout, stderr } = await runCli(runArgs({ out: csvFile }, ['--threshold', 'p99<0.001', '--threshold', 'errors<1%']));
    assert.equal(code, 99, stderr);
    assert.match(stdout, /✗ p99<0\.001: actual [\d.]+ ms \(over by [\d.]+ ms\)/);
    assert.match(stdout, /✓ errors<1%: actual 0%/);
    assert.match(stdout, /^ {2}overall +600 +0 \(0\.00%\)/m);
    const testId = /test (test-\S+) triggered/.exec(stdout)?.[1];
    assert.ok(testId, stdout);
    assert.equal(readFileSync(csvFile, 'utf8'), await getText(`${orchestrator.url}/api/tests/${testId}/report?format=csv`));
  });

  it('exits 0 with passing thresholds; --json prints only the report plus thresholds, and --out x.json is the same', async () => {
    const jsonFile = join(dir, 'x.json');
    const { code, stdout, stderr } = await runCli(runArgs({ out: jsonFile }, ['--threshold', 'errors<1%', '--threshold', 'p99<5000', '--json']));
    assert.equal(code, 0, stderr);
    const printed = JSON.parse(stdout) as Report;
    assert.equal(printed.state, 'completed');
    assert.deepEqual(printed.thresholds.map((t) => [t.expression, t.ok]), [['errors<1%', true], ['p99<5000', true]]);
    const report = await getJson<Report>(`${orchestrator.url}/api/tests/${printed.test_id}/report`);
    assert.deepEqual(printed.aggregate, report.aggregate);
    assert.deepEqual({ ...printed, thresholds: undefined }, { ...report, thresholds: undefined });
    assert.deepEqual(JSON.parse(readFileSync(jsonFile, 'utf8')), printed);
  });

  it('prints plain progress lines when stdout is not a terminal', async () => {
    const { code, stdout } = await runCli(runArgs({ type: 'tsunami', 'delay-ms': '5' }));
    assert.equal(code, 0);
    assert.match(stdout, /^t=\d+\.\ds sent=\d+\/600 completed=\d+ errors=0 rps=\S+ p50=\S+ p99=\S+$/m);
    assert.ok(!stdout.includes('\x1b['), 'no ANSI escapes');
  });

  it('--warmup: the live view says the drivers are warming up, the target answers them, no figure counts them', async () => {
    const answered = async () => (await getJson<{ responses_sent: number }>(targetMetricsUrl)).responses_sent;
    const before = await answered();
    // 400 warm-up requests 5 ms apart last 2 s: the plain line printed after 1 s falls inside them.
    const { code, stdout, stderr } = await runCli(runArgs({ type: 'tsunami', 'delay-ms': '5', count: '100', warmup: '400' }));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^t=\d+\.\ds warming up: \d+\/800 warm-up requests done$/m);
    assert.match(stdout, /^ {2}overall +200 +0 \(0\.00%\)/m);
    assert.equal((await answered()) - before, 1_000);
  });

  it('calls a test whose every request failed a failure (exit 1, the reason above the summary), unless a threshold judges errors', async () => {
    const deadTarget = `http://127.0.0.1:${await freePort()}/ping`;
    const failed = await runCli(runArgs({ target: deadTarget, count: '20' }, ['--threshold', 'p99<5000']));
    assert.equal(failed.code, 1, failed.stderr);
    const problem = /^stampede run: every request failed \(40 of 40: connection_refused 40; first error: [^\n]*ECONNREFUSED[^\n]*\); add --threshold 'errors<=100%' if that is what you expect$/m;
    assert.match(failed.stdout, problem);
    assert.ok(failed.stdout.search(problem) < failed.stdout.search(/^ {2}overall /m), 'the problem comes above the summary');
    assert.ok(!failed.stdout.includes('\x1b['), 'no colour when stdout is not a terminal');

    // On a terminal (util-linux `script` gives one) the line is red.
    const onTerminal = spawnSync('script', ['-qfec', [process.execPath, 'bin/stampede.js', 'run', ...runArgs({ target: deadTarget, count: '5' })].join(' '), '/dev/null'], { encoding: 'utf8', timeout: 60_000 });
    const redLine = onTerminal.stdout.split('\n').find((line) => line.includes('every request failed')) ?? '';
    assert.ok(redLine.startsWith('\x1b[31mstampede run: every request failed (10 of 10: connection_refused 10;') && redLine.trimEnd().endsWith('\x1b[39m'), onTerminal.stdout);

    const accepted = await runCli(runArgs({ target: deadTarget, count: '20' }, ['--threshold', 'errors<=100%']));
    assert.equal(accepted.code, 0, accepted.stderr);
    assert.doesNotMatch(accepted.stdout, /every request failed/);
    assert.match(accepted.stdout, /✓ errors<=100%: actual 100%/);
  });

  it('exits 1 naming the reason when the test is cancelled from elsewhere', async () => {
    const run = startCli(['run', ...runArgs({ type: 'tsunami', 'delay-ms': '20', count: '1000' })]);
    const testId = (await run.waitForLine(/test (test-\S+) triggered/))[1]!;
    const cancelled = await postJson(`${orchestrator.url}/api/tests/${testId}/cancel`, {});
    assert.equal(cancelled.status, 202, JSON.stringify(cancelled.body));
    assert.equal(await run.exited, 1, run.stderr());
    assert.match(run.stdout(), new RegExp(`^stampede run: test ${testId} cancelled: cancelled by request$`, 'm'));
  });

  it('Ctrl-C waits for the final reports as long as the drivers may (request timeout + 1 s): the summary is final, exit 130', { timeout: 90_000 }, async () => {
    // Each request takes 8 s: longer than the 5 s the run used to wait, shorter than its 12 s timeout.
    const slow = await startTarget(['--delay-ms', '8000']);
    const run = startCli(['run', ...runArgs({ target: `${slow.url}/ping`, count: '2', concurrency: '2', 'timeout-ms': '12000' })]);
    const testId = (await run.waitForLine(/test (test-\S+) triggered/))[1]!;
    await eventually(() => getJson<{ aggregate: Figures & { in_flight: number } }>(`${orchestrator.url}/api/tests/${testId}`), (t) => t.aggregate.in_flight === 4, 15_000, 'all four requests in flight');
    run.process.kill('SIGINT');
    assert.equal(await run.exited, 130, run.stderr());
    assert.match(run.stderr(), new RegExp(`^test ${testId} \\(AVALANCHE, 2 requests per driver × 2\\) cancelled after`, 'm'));
    assert.match(run.stderr(), /^ {2}overall +4 +0 \(0\.00%\)/m);
    assert.match(run.stderr(), new RegExp(`stampede run: interrupted; test ${testId} cancelled$`, 'm'));
  });

  it('--stage 2s:100 --stage 1s:0 sends 150 requests per driver, with time-based progress', async () => {
    const { code, stdout, stderr } = await runCli(runArgs({ count: undefined }, ['--stage', '2s:100', '--stage', '1s:0']));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /triggered: AVALANCHE, 150 requests over 3 s per driver/);
    assert.match(stdout, /^t=\d+\.\ds elapsed=\d+\.\d\/3s eta=\d+s sent=\d+\/300 /m);
    assert.match(stdout, /^ {2}overall +300 +0 \(0\.00%\)/m);
  });

  it('--duration 2s --rate 50 sends 100 requests per driver', async () => {
    const { code, stdout, stderr } = await runCli(runArgs({ count: undefined, duration: '2s', rate: '50' }));
    assert.equal(code, 0, stderr);
    assert.match(stdout, /^ {2}overall +200 +0 \(0\.00%\)/m);
  });

  it('stampede export writes every finished test as a JSON line, oldest first, paging the history', async () => {
    const history = await getJson<{ test_id: string; state: string }[]>(`${orchestrator.url}/api/tests?limit=1000`);
    const finished = history.filter((t) => ['completed', 'failed', 'cancelled'].includes(t.state)).map((t) => t.test_id).reverse();
    assert.ok(finished.length >= 3, 'the tests before this one finished');
    const file = join(dir, 'tests.jsonl');
    const { code, stderr } = await cli(['export', '--orchestrator', `127.0.0.1:${orchestrator.port}`, '--out', file]);
    assert.equal(code, 0, stderr);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line) as { test_id: string; overall_timeline: unknown[] });
    assert.deepEqual(lines.map((l) => l.test_id), finished);
    assert.ok(lines.every((l) => Array.isArray(l.overall_timeline)), 'each line is the full report');
    const since = await cli(['export', '--orchestrator', `127.0.0.1:${orchestrator.port}`, '--since', '2999-01-01']);
    assert.equal(since.code, 0, since.stderr);
    assert.equal(since.stdout, '', 'nothing created since then');
  });

  it('says in one line that the orchestrator cannot be reached, and exits 1', async () => {
    const port = await freePort();
    const { code, stderr } = await runCli(['--orchestrator', `127.0.0.1:${port}`, '--target', targetUrl, '--type', 'avalanche', '--count', '10']);
    assert.equal(code, 1);
    assert.equal(stderr.trim(), `stampede: cannot reach the orchestrator at http://127.0.0.1:${port}: connection refused`);
  });

  it("passes on the API's refusal, 409 (drivers not alive), with exit 1; a field the REST schema refuses is exit 2 naming the flag", async () => {
    const conflict = await runCli(runArgs({ drivers: 'no-such-driver' }));
    assert.equal(conflict.code, 1);
    assert.equal(conflict.stderr.trim(), 'stampede run: drivers not alive: no-such-driver');
    const badField = await runCli(runArgs({ type: 'tsunami' }));
    assert.equal(badField.code, 2);
    assert.match(badField.stderr.trim(), /^stampede: --delay-ms: must be > 0 for a TSUNAMI test[^\n]*$/);
    const noRequest = await runCli(runArgs({ count: undefined }, ['--stage', '1s:0']));
    assert.equal(noRequest.code, 2);
    assert.equal(noRequest.stderr.trim(), 'stampede: --stage: plan no request: the integral of the rate is 0');
  });

  for (const [args, named] of [
    [['--bogus'], '--bogus'],
    [['--threshold', 'p95<<3'], '--threshold "p95<<3"'],
    [['--count', '0'], '--count'],
    [['--warmup', '-1'], '--warmup'],
    [['--warmup', '1.5'], '--warmup'],
    [['--type', 'flood'], '--type'],
    [['--out', 'report.txt'], '--out'],
    [['--stage', '2s'], '--stage'],
    [['--stage', '2x:10'], '--stage'],
    [['--duration', 'soon'], '--duration'],
    [['--warmup', '10q'], '--warmup'],
    [['--start-rate', '5'], '--start-rate'],
    [['--stage', '1s:10'], '--stage and --count contradict'],
  ] as const) {
    it(`refuses ${args.join(' ')} with one line naming ${named} and exit 2, before creating any test`, async () => {
      const before = await getJson<unknown[]>(`${orchestrator.url}/api/tests`);
      const { code, stderr } = await runCli(runArgs({}, [...args]));
      assert.equal(code, 2);
      assert.equal(stderr.trim().split('\n').length, 1, stderr);
      assert.ok(stderr.includes(named), stderr);
      assert.equal((await getJson<unknown[]>(`${orchestrator.url}/api/tests`)).length, before.length);
    });
  }
});

describe('stampede run with requests: --method, -H, --body and --scenario files', () => {
  let target: RequestLogServer;
  let common: string[];
  const dir = tempDir('stampede-scenario-');
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  before(async () => {
    target = await startRequestLogServer();
    const orchestrator = await startOrchestratorProcess();
    const driver = await startDriverProcess(orchestrator.url);
    await eventually(() => getJson<{ node_id: string; status: string }[]>(`${orchestrator.url}/api/drivers`), (list) => list.some((d) => d.node_id === driver.nodeId && d.status === 'alive'), 15_000, 'the driver alive');
    common = ['--orchestrator', `127.0.0.1:${orchestrator.port}`, '--drivers', driver.nodeId];
  });
  after(async () => {
    await stopAllChildren();
    await target.close();
  });

  it('sends the method, headers and body (from a file, templated) to the target, and names a bad header by its flag', async () => {
    target.requests.length = 0;
    const bodyFile = file('body.json', '{"n":{{seq}}}');
    const flags = [...common, '--target', `${target.origin}/items`, '--type', 'tsunami', '--delay-ms', '2', '--count', '3'];
    const ok = await runCli([...flags, '--method', 'put', '-H', 'X-Trace: t-{{seq}}', '--header', 'content-type: application/json', '--body', `@${bodyFile}`]);
    assert.equal(ok.code, 0, ok.stderr);
    const sent = [...target.requests].sort((a, b) => a.body.localeCompare(b.body));
    assert.deepEqual(sent.map((r) => [r.method, r.url, r.headers['x-trace'], r.headers['content-type'], r.body]), [1, 2, 3].map((n) => ['PUT', '/items', `t-${n}`, 'application/json', `{"n":${n}}`]));

    const bad = await runCli([...flags, '-H', 'bad header: x']);
    assert.equal(bad.code, 2, bad.stderr);
    assert.match(bad.stderr, /--header: .*is not a valid header name/);
    const missing = await runCli([...flags, '--body', '@/nonexistent/body.json']);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /--body @\/nonexistent\/body\.json cannot be read: ENOENT/);
  });

  it('runs a YAML scenario with a mix and thresholds; a flag wins over its key', async () => {
    target.requests.length = 0;
    const scenario = file(
      'mix.yaml',
      [
        'type: tsunami',
        'delay_ms: 2',
        'count: 100',
        'thresholds: ["errors<1%"]',
        'requests:',
        `  - {name: write, method: POST, url: "${target.origin}/w", body: '{"id":"{{uuid}}"}', weight: 1}`,
        `  - {name: read, url: "${target.origin}/r", weight: 3}`,
      ].join('\n'),
    );
    const result = await runCli([...common, '--scenario', scenario, '--count', '8', '--json']);
    assert.equal(result.code, 0, result.stderr);
    const report = JSON.parse(result.stdout) as Report & { aggregate: { requests: { name: string; completed: number }[] } };
    assert.deepEqual(report.aggregate.requests.map((r) => [r.name, r.completed]), [['write', 2], ['read', 6]]);
    assert.deepEqual(report.thresholds.map((t) => [t.expression, t.ok]), [['errors<1%', true]]);
    assert.deepEqual([target.requests.filter((r) => r.url === '/w').length, target.requests.filter((r) => r.url === '/r').length], [2, 6]);
  });

  it('names the file, line and column of a scenario that does not parse, and an unknown key, exit 2', async () => {
    const broken = file('broken.yaml', 'type: tsunami\ncount: [1, 2\n');
    const parse = await runCli([...common, '--scenario', broken]);
    assert.equal(parse.code, 2);
    assert.match(parse.stderr, new RegExp(`^stampede: --scenario ${broken.replaceAll('.', '\\.')}:3:1: `));
    const unknown = await runCli([...common, '--scenario', file('unknown.yaml', 'type: tsunami\ncount: 5\ntarget: http://127.0.0.1:1/\ncout: 3\n')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /cout: unknown field/);
    const bad = await runCli([...common, '--scenario', file('bad.yaml', 'type: avalanche\ncount: 5\ntarget: http://127.0.0.1:1/\nstages: ["30s:fast"]\n')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /stages\[0\]: must be DURATION:TARGET_RPS/);
  });
});
