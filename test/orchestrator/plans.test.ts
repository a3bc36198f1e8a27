import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { stringify as toYaml } from 'yaml';
import type { PlanView } from '../../src/api/index.js';
import { eventually, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, stopChild, tempDir, type Child } from '../helpers/processes.js';

type TestView = { test_id: string; state: string; reason: string | null; aggregate: { sent: number; completed: number } };
type PlanJson = { plan_id: string; name: string; verdict: string; tests: { name: string; verdict: string; attempts: { test_id: string; state: string; verdict: string; thresholds: { expression: string; ok: boolean }[] }[] }[] };

async function runCli(args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = startCli(['run', ...args]);
  const timer = setTimeout(() => child.process.kill('SIGKILL'), timeoutMs);
  const code = await child.exited;
  clearTimeout(timer);
  return { code, stdout: child.stdout(), stderr: child.stderr() };
}

describe('test plans on the real broker, an orchestrator and two drivers', () => {
  let orchestrator: { child: Child; url: string; storeFile: string; port: number };
  let target: string;
  let driverIds: string[];
  const dir = tempDir('stampede-plans-');

  before(async () => {
    target = `${(await startTarget()).url}/ping`;
    orchestrator = await startOrchestratorProcess();
    driverIds = (await Promise.all([startDriverProcess(orchestrator.url), startDriverProcess(orchestrator.url)])).map((d) => d.nodeId);
  });
  after(() => stopAllChildren());

  const getPlan = (id: string) => getJson<PlanView>(`${orchestrator.url}/api/plans/${id}`);
  const getTest = (id: string) => getJson<TestView>(`${orchestrator.url}/api/tests/${id}`);
  const orchestratorFlag = () => `127.0.0.1:${orchestrator.port}`;
  /** Three small tests; the middle one's threshold cannot hold (no latency is below 0 ms). */
  const threeTests = (middle: Record<string, unknown>) => ({
    name: 'suite',
    target,
    type: 'tsunami',
    delay_ms: 2,
    drivers: driverIds,
    tests: [
      { name: 'smoke', count: 10, thresholds: ['errors<1%'] },
      { name: 'impossible', count: 10, thresholds: ['p99<0'], retries: 2, ...middle },
      { name: 'after', count: 10 },
    ],
  });
  function planFile(name: string, plan: object, format: 'yaml' | 'json' = 'yaml'): string {
    const file = join(dir, `${name}.${format}`);
    writeFileSync(file, format === 'yaml' ? toYaml(plan) : JSON.stringify(plan));
    return file;
  }

  it('runs three attempts of a test with an impossible threshold and retries: 2, stops the plan, exits 99; a restarted orchestrator shows the same plan', async () => {
    const { code, stdout, stderr } = await runCli(['--orchestrator', orchestratorFlag(), '--plan', planFile('stops', threeTests({})), '--json']);
    assert.equal(code, 99, stderr);
    const result = JSON.parse(stdout) as PlanJson;
    assert.equal(result.verdict, 'threshold_failed');
    assert.deepEqual(result.tests.map((t) => [t.name, t.verdict, t.attempts.map((a) => a.verdict)]), [
      ['smoke', 'passed', ['passed']],
      ['impossible', 'threshold_failed', ['threshold_failed', 'threshold_failed', 'threshold_failed']],
      ['after', 'not_run', []],
    ]);
    const attempts = result.tests[1]!.attempts;
    assert.equal(new Set(attempts.map((a) => a.test_id)).size, 3, 'each attempt is a test of its own');
    for (const attempt of attempts) {
      assert.equal(attempt.state, 'completed');
      assert.deepEqual(attempt.thresholds.map((t) => [t.expression, t.ok]), [['p99<0', false]]);
      assert.equal((await getTest(attempt.test_id)).aggregate.completed, 20, 'each attempt ran on both drivers');
    }
    const before = await getPlan(result.plan_id);
    await stopChild(orchestrator.child.process);
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    assert.deepEqual(await getPlan(result.plan_id), before, 'the replayed plan is the plan');
    assert.ok((await getJson<PlanView[]>(`${orchestrator.url}/api/plans`)).some((p) => p.plan_id === result.plan_id));
  });

  it('goes on with the next test when the failing one says continue_on_failure, and still exits 99', async () => {
    const { code, stdout, stderr } = await runCli(['--orchestrator', orchestratorFlag(), '--plan', planFile('continues', threeTests({ retries: 0, continue_on_failure: true }), 'json')]);
    assert.equal(code, 99, stderr);
    assert.match(stdout, /impossible\s+1\s+threshold_failed/);
    assert.match(stdout, /after\s+1\s+passed/);
    assert.match(stdout, /✗ p99<0/);
  });

  it('a plan posted over REST runs without the CLI; cancelled during its second test, it cancels that test on the drivers and leaves the third unstarted', async () => {
    const created = await postJson<PlanView>(`${orchestrator.url}/api/plans`, {
      name: 'cancelled',
      target,
      type: 'tsunami',
      drivers: driverIds,
      tests: [
        { name: 'first', count: 10, delay_ms: 2 },
        { name: 'long', count: 1000, delay_ms: 20 },
        { name: 'never', count: 10, delay_ms: 2 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const planId = created.body.plan_id;
    const running = await eventually(() => getPlan(planId), (p) => p.current_test === 1 && p.tests[1]!.attempts.length === 1, 30_000, 'the second test to start');
    const longTestId = running.tests[1]!.attempts[0]!.test_id!;
    await eventually(() => getTest(longTestId), (t) => t.aggregate.sent > 10, 15_000, 'the second test under way');
    const cancel = await postJson<PlanView>(`${orchestrator.url}/api/plans/${planId}/cancel`, {});
    assert.equal(cancel.status, 202, JSON.stringify(cancel.body));
    const plan = await eventually(() => getPlan(planId), (p) => p.state === 'finished', 30_000, 'the plan to end');
    assert.equal(plan.verdict, 'cancelled');
    assert.deepEqual(plan.tests.map((t) => [t.state, t.attempts.length]), [['passed', 1], ['cancelled', 1], ['not_run', 0]]);
    const longTest = await getTest(longTestId);
    assert.equal(longTest.state, 'cancelled');
    assert.ok(longTest.aggregate.sent < 2000, `the drivers stopped the cancelled test (sent ${longTest.aggregate.sent} of 2000)`);
    assert.equal((await postJson(`${orchestrator.url}/api/plans/${planId}/cancel`, {})).status, 409, 'a finished plan cannot be cancelled');
  });

  it('an orchestrator restarted mid-plan rebuilds it and goes on with the next test', async () => {
    const created = await postJson<PlanView>(`${orchestrator.url}/api/plans`, {
      name: 'restart',
      target,
      type: 'tsunami',
      drivers: driverIds,
      tests: [
        { name: 'during', count: 150, delay_ms: 10 },
        { name: 'next', count: 10, delay_ms: 2 },
      ],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const planId = created.body.plan_id;
    const started = await eventually(() => getPlan(planId), (p) => p.tests[0]!.attempts.length === 1, 30_000, 'the first test to start');
    await eventually(() => getTest(started.tests[0]!.attempts[0]!.test_id!), (t) => t.aggregate.sent > 10, 15_000, 'the first test under way');
    await stopChild(orchestrator.child.process, 'SIGKILL');
    orchestrator = await startOrchestratorProcess(orchestrator.storeFile, orchestrator.port);
    const plan = await eventually(() => getPlan(planId), (p) => p.state === 'finished', 60_000, 'the plan to end after the restart');
    assert.equal(plan.verdict, 'passed', plan.reason ?? '');
    assert.deepEqual(plan.tests.map((t) => [t.state, t.attempts.length]), [['passed', 1], ['passed', 1]]);
  });

  it('refuses a bad plan naming the path: 400 over REST, exit 2 from the CLI', async () => {
    const bad = threeTests({ thresholds: ['p99 below 5'] });
    const refused = await postJson<{ field: string; message: string }>(`${orchestrator.url}/api/plans`, bad);
    assert.equal(refused.status, 400);
    assert.equal(refused.body.field, 'tests[1].thresholds[0]');
    const cli = await runCli(['--orchestrator', orchestratorFlag(), '--plan', planFile('bad', { ...bad, tests: [...bad.tests, { name: 'x', count: 1, retries: 11 }] })]);
    assert.equal(cli.code, 2);
    assert.match(cli.stderr, /tests\[1\]\.thresholds\[0\]: threshold "p99 below 5" is not valid/);
    assert.match(cli.stderr, /tests\[3\]\.retries: must be at most 10/);
    const empty = await runCli(['--orchestrator', orchestratorFlag(), '--plan', planFile('empty', { name: 'empty', tests: [] })]);
    assert.equal(empty.code, 2);
    assert.match(empty.stderr, /tests: must list at least one test/);
    const stray = await runCli(['--orchestrator', orchestratorFlag(), '--plan', planFile('stray', threeTests({})), '--count', '5']);
    assert.equal(stray.code, 2);
    assert.match(stray.stderr, /--count does not go with --plan/);
  });
});
