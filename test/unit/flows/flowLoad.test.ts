import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { testConfigMessage, type TestConfigMessage } from '../../../src/protocol/index.js';
import { FlowLoad } from '../../../src/driver/flows/flowLoad.js';
import { journeyFlow, startJourneyServer, type JourneyServer } from '../../helpers/journeyServer.js';

/** A scenario test's config as a driver decodes it from the wire. */
function config(scenarios: Record<string, unknown>, driverIds = ['d1']): TestConfigMessage {
  return testConfigMessage.parse({ test_id: 't1', test_type: 'AVALANCHE', test_message_delay: '0', message_count_per_driver: '1', driver_ids: driverIds, scenarios });
}

/** Runs the test's load as driver `nodeId` would, and gives its figures. */
async function runAs(nodeId: string, testConfig: TestConfigMessage) {
  const load = new FlowLoad({ nodeId, config: testConfig, requests: [], names: [], concurrency: 1, timeoutMs: 5_000, tls: { insecure: false } });
  await load.start('workload').finished;
  load.freeze();
  await load.close();
  const steps = Object.fromEntries(load.recorder('workload').perRequestFigures().map((f) => [f.name, f]));
  return { steps, flow: load.flowFields() };
}

describe('FlowLoad runs scenarios of flows against a real HTTP server (no broker)', () => {
  let server: JourneyServer;
  before(async () => {
    server = await startJourneyServer({ slowMs: 200 });
  });
  after(() => server.close());

  it('runs login → create → read → delete per iteration, with captures, checks, cookies per VU and exact counts', async () => {
    const { steps, flow } = await runAs('d1', config({ users: { executor: 'per-vu-iterations', vus: 3, iterations: 2, flow: journeyFlow(server.url) } }));
    for (const name of ['login', 'create', 'read', 'delete']) assert.equal(steps[name]?.completed, 6, `${name} completed`);
    assert.deepEqual(Object.values(steps).map((s) => Object.keys(s.errors).length), [0, 0, 0, 0]);
    assert.equal(server.cookieMismatches(), 0);
    assert.deepEqual(flow.iterations, { completed: 6, failed: 0, dropped: 0, failed_by_reason: {} });
    assert.ok(flow.checks?.every((c) => c.passes === 6 && c.fails === 0), JSON.stringify(flow.checks));
    assert.deepEqual(flow.groups_stats?.map((g) => [g.name, g.completed]), [['readback', 6]]);
    assert.deepEqual([...server.logins.keys()].sort(), ['u1', 'u2', 'u3']);
  });

  it('gives VU ids unique across the fleet and splits total_vus exactly (10 on 3 drivers: 4/3/3)', async () => {
    const drivers = ['a', 'b', 'c'];
    const scenarios = { users: { executor: 'per-vu-iterations', total_vus: 10, iterations: 1, flow: [{ name: 'login', method: 'POST', url: `${server.url}/login`, body: '{"user":"vu{{vu}}"}' }] } };
    const runs = await Promise.all(drivers.map((id) => runAs(id, config(scenarios, drivers))));
    assert.deepEqual(runs.map((r) => r.steps.login?.completed), [4, 3, 3]);
    const ids = [...server.logins.keys()].filter((name) => name.startsWith('vu')).sort((x, y) => Number(x.slice(2)) - Number(y.slice(2)));
    assert.deepEqual(ids, Array.from({ length: 10 }, (_, i) => `vu${i + 1}`));
  });

  it('ends an iteration whose capture finds nothing (capture_missing), and counts a failed check without stopping', async () => {
    const flow = [
      { name: 'plain', url: `${server.url}/plain`, capture: { id: { json: '$.id' } } },
      { name: 'never', url: `${server.url}/plain` },
    ];
    const checked = [{ name: 'checked', url: `${server.url}/plain`, check: [{ status: 201, name: 'created' }] }, { name: 'after', url: `${server.url}/plain` }];
    const { steps, flow: figures } = await runAs('d1', config({ missing: { executor: 'shared-iterations', vus: 2, iterations: 4, flow }, checking: { executor: 'shared-iterations', vus: 1, iterations: 3, flow: checked } }));
    assert.equal(steps.plain?.completed, 4);
    assert.equal(steps.never?.completed, 0);
    assert.equal(steps.after?.completed, 3);
    assert.deepEqual(figures.iterations, { completed: 3, failed: 4, dropped: 0, failed_by_reason: { capture_missing: 4 } });
    assert.deepEqual(figures.checks, [{ name: 'created', passes: 0, fails: 3 }]);
  });

  it('runs loops, nested ones too, and think steps: each step as many times as the loops say', async () => {
    const flow = [
      { name: 'first', url: `${server.url}/plain` },
      { loop: { count: 3, steps: [{ name: 'outer', url: `${server.url}/plain` }, { loop: { count: 2, steps: [{ name: 'inner', url: `${server.url}/plain` }, { think: '1ms' }] } }] } },
      { name: 'last', url: `${server.url}/plain` },
    ];
    const { steps, flow: figures } = await runAs('d1', config({ loops: { executor: 'per-vu-iterations', vus: 2, iterations: 2, flow } }));
    assert.deepEqual(Object.values(steps).map((s) => [s.name, s.completed]), [['first', 4], ['outer', 12], ['inner', 24], ['last', 4]]);
    assert.deepEqual(figures.iterations, { completed: 4, failed: 0, dropped: 0, failed_by_reason: {} });
  });

  it('drops arrivals that find every VU busy (max_vus), never starting them late', async () => {
    const { steps, flow } = await runAs('d1', config({ arrivals: { executor: 'constant-arrival-rate', rate: 20, duration_s: 0.5, max_vus: 2, flow: [{ name: 'slow', url: `${server.url}/slow` }] } }));
    // 10 arrivals 50 ms apart; each iteration holds its VU 200 ms: two VUs take one arrival in four.
    assert.equal(flow.iterations!.completed + flow.iterations!.dropped, 10);
    assert.ok(flow.iterations!.dropped >= 5, JSON.stringify(flow.iterations));
    assert.equal(steps.slow?.completed, flow.iterations!.completed);
  });
});
