import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, getJson, postJson, restartableBrokerPort, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir, type Child } from './helpers/processes.js';

type TestView = { test_id: string; state: string; reason: string | null; aggregate: { completed: number; error_count: number } };
type TargetCounts = { responses_sent: number };
type DriverView = { node_id: string; status: string };

const COUNT = 120;

/**
 * A broker of its own (the suite's broker must not stop under the other tests), restarted between two
 * tests while an orchestrator and two drivers keep running: they must find it again by themselves.
 */
describe('a Kafka broker restart under running nodes', () => {
  const dataDir = tempDir('stampede-chaos-kafka-');
  const suiteBrokers = process.env.KAFKA_BROKERS;
  let port: number;
  let target: { child: Child; url: string };
  let orchestratorUrl: string;
  let driverIds: string[];

  const kafka = async (action: 'start' | 'stop') => {
    const child = startCli(['kafka', action, ...(action === 'start' ? ['--port', String(port)] : []), '--data-dir', dataDir]);
    assert.equal(await child.exited, 0, `kafka ${action}: ${child.stderr()}`);
  };

  const startTest = async (count: number, delayMs: number): Promise<string> => {
    const body = { test_type: 'TSUNAMI', test_message_delay: delayMs, message_count_per_driver: count, target_url: `${target.url}/ping`, drivers: driverIds, trigger: true };
    const created = await postJson<TestView>(`${orchestratorUrl}/api/tests`, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created.body.test_id;
  };
  const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);
  const waitForEnd = (testId: string, timeoutMs = 30_000) => eventually(() => getJson<TestView>(`${orchestratorUrl}/api/tests/${testId}`), finished, timeoutMs, 'the test to finish');
  const runTest = async (): Promise<TestView> => waitForEnd(await startTest(COUNT, 5));
  const bothAlive = () => eventually(() => getJson<DriverView[]>(`${orchestratorUrl}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 30_000, 'both drivers alive');

  before(async () => {
    port = restartableBrokerPort(4);
    await kafka('start');
    // The helpers start every node on KAFKA_BROKERS; this file runs in a process of its own.
    process.env.KAFKA_BROKERS = `127.0.0.1:${port}`;
    target = await startTarget();
    ({ url: orchestratorUrl } = await startOrchestratorProcess());
    driverIds = (await Promise.all([startDriverProcess(orchestratorUrl), startDriverProcess(orchestratorUrl)])).map((d) => d.nodeId);
    await eventually(() => getJson<DriverView[]>(`${orchestratorUrl}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 15_000, 'both drivers alive');
  });

  after(async () => {
    await stopAllChildren();
    await kafka('stop');
    process.env.KAFKA_BROKERS = suiteBrokers;
  });

  it('loses nothing: the nodes reconnect by themselves and the next test completes with exact counts', { timeout: 150_000 }, async () => {
    const first = await runTest();
    assert.equal(first.state, 'completed', first.reason ?? '');

    await kafka('stop');
    await kafka('start');

    await bothAlive();
    const before = await getJson<TargetCounts>(`${target.url}/metrics?format=json`);
    const second = await runTest();
    assert.equal(second.state, 'completed', second.reason ?? '');
    assert.equal(second.aggregate.completed, 2 * COUNT);
    assert.equal(second.aggregate.error_count, 0);
    const afterCounts = await getJson<TargetCounts>(`${target.url}/metrics?format=json`);
    assert.equal(afterCounts.responses_sent - before.responses_sent, 2 * COUNT, 'the target answered exactly what the orchestrator counted');
    const history = await getJson<TestView[]>(`${orchestratorUrl}/api/tests`);
    assert.equal(history.find((t) => t.test_id === first.test_id)?.state, 'completed', 'the first test is still on record');
  });

  it('keeps a test running through a broker outage longer than the liveness window: completed, counts exact', { timeout: 150_000 }, async () => {
    await bothAlive();
    const before = await getJson<TargetCounts>(`${target.url}/metrics?format=json`);
    const perDriver = 1_500;
    const testId = await startTest(perDriver, 10);
    await eventually(() => getJson<{ drivers: { sent: number }[] }>(`${orchestratorUrl}/api/tests/${testId}`), (t) => t.drivers.length === 2 && t.drivers.every((d) => d.sent > 0), 10_000, 'both drivers under way');
    const stoppedAt = Date.now();
    await kafka('stop');
    // The drivers go on loading the target meanwhile; only their reports and heartbeats wait.
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    await kafka('start');
    assert.ok(Date.now() - stoppedAt > 4_000, 'the outage outlasted the 3 s liveness window');
    const test = await waitForEnd(testId, 60_000);
    assert.equal(test.state, 'completed', test.reason ?? '');
    assert.equal(test.aggregate.completed, 2 * perDriver);
    const afterCounts = await getJson<TargetCounts>(`${target.url}/metrics?format=json`);
    assert.equal(afterCounts.responses_sent - before.responses_sent, 2 * perDriver, 'the target answered exactly what the orchestrator counted');
  });

  it('stampede run says "no data from Kafka for N s" during an outage instead of freezing, then finishes', { timeout: 150_000 }, async () => {
    await bothAlive();
    const orchestrator = orchestratorUrl.replace(/^http:\/\//, '');
    const run = startCli(['run', '--orchestrator', orchestrator, '--target', `${target.url}/ping`, '--type', 'tsunami', '--delay-ms', '10', '--count', '4000', '--drivers', driverIds.join(',')]);
    await run.waitForLine(/^t=\d+\.\ds sent=[1-9]\d*\//m, 30_000);
    await kafka('stop');
    await run.waitForLine(/^t=\d+\.\ds no data from Kafka for \d+ s/m, 30_000).catch((error: Error) => assert.fail(`${error.message}\nstdout:\n${run.stdout()}`));
    await kafka('start');
    assert.equal(await run.exited, 0, `stdout:\n${run.stdout()}\nstderr:\n${run.stderr()}`);
    // A line when a silence begins and one when it ends; a slow machine may see the stream pause twice.
    const silences = run.stdout().match(/no data from Kafka/g)?.length ?? 0;
    const recoveries = run.stdout().match(/^t=\d+\.\ds data from Kafka again after \d+ s$/gm)?.length ?? 0;
    assert.ok(silences >= 1 && silences === recoveries, `one line per silence, not one a second:\n${run.stdout()}`);
    assert.match(run.stdout(), /^ {2}overall +8000 +0 \(0\.00%\)/m);
  });
});
