import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { eventually, freePortPair, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir, type Child } from './helpers/processes.js';

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

  const runTest = async (): Promise<TestView> => {
    const body = { test_type: 'TSUNAMI', test_message_delay: 5, message_count_per_driver: COUNT, target_url: `${target.url}/ping`, drivers: driverIds, trigger: true };
    const created = await postJson<TestView>(`${orchestratorUrl}/api/tests`, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const finished = (t: TestView) => ['completed', 'failed', 'cancelled'].includes(t.state);
    return eventually(() => getJson<TestView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), finished, 30_000, 'the test to finish');
  };

  before(async () => {
    port = await freePortPair();
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

    await eventually(() => getJson<DriverView[]>(`${orchestratorUrl}/api/drivers`), (list) => driverIds.every((id) => list.some((d) => d.node_id === id && d.status === 'alive')), 30_000, 'both drivers alive again');
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
});
