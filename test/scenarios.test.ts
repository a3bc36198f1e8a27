import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { z } from 'zod';
import { testDetailView, type TestDetailView } from '../src/api/index.js';
import { newTestId } from '../src/protocol/index.js';
import { journeyFlow, startJourneyServer, type JourneyServer } from './helpers/journeyServer.js';
import { kcatProduce } from './helpers/kcat.js';
import { parse as parseYaml } from 'yaml';
import { eventually, getJson, postJson, startCli, startDriverProcess, startOrchestratorProcess, startTarget, stopAllChildren, tempDir } from './helpers/processes.js';

const finished = (t: TestDetailView) => ['completed', 'failed', 'cancelled'].includes(t.state);

describe('user journeys: scenarios of flows on two real drivers through Kafka', () => {
  let orchestratorUrl: string;
  let orchestratorHostPort: string;
  let driverIds: string[];
  let server: JourneyServer;

  before(async () => {
    server = await startJourneyServer({ slowMs: 150 });
    ({ url: orchestratorUrl } = await startOrchestratorProcess());
    orchestratorHostPort = orchestratorUrl.replace(/^http:\/\//, '');
    driverIds = (await Promise.all([startDriverProcess(orchestratorUrl), startDriverProcess(orchestratorUrl)])).map((d) => d.nodeId);
  });
  after(async () => {
    await stopAllChildren();
    await server.close();
  });

  const runTest = async (scenarios: Record<string, unknown>): Promise<TestDetailView> => {
    const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, { scenarios, drivers: driverIds, trigger: true });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return eventually(() => getJson<TestDetailView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), finished, 60_000, 'the test to finish');
  };

  const scenarioFile = (content: unknown): string => {
    const file = join(tempDir(), 'journey.json');
    writeFileSync(file, JSON.stringify(content));
    return file;
  };

  it('runs login → create → read → delete with exact counts per step over both drivers, {{vu}} unique, cookies per VU (stampede run --scenario)', async () => {
    const file = scenarioFile({
      drivers: driverIds.join(','),
      thresholds: ['checks>99%', 'p99[login]<10000', 'errors[create]<1%', 'iteration_p95<20000', 'dropped_iterations==0'],
      scenarios: { shoppers: { executor: 'per-vu-iterations', total_vus: 5, iterations: 3, flow: journeyFlow(server.url) } },
    });
    const cli = startCli(['run', '--orchestrator', orchestratorHostPort, '--scenario', file, '--json']);
    assert.equal(await cli.exited, 0, cli.stderr());
    const result = JSON.parse(cli.stdout()) as TestDetailView & { thresholds: { ok: boolean }[] };
    assert.equal(result.state, 'completed', result.reason ?? '');
    const steps = Object.fromEntries(result.aggregate.requests.map((r) => [r.name, r]));
    assert.deepEqual(Object.keys(steps), ['login', 'create', 'read', 'delete']);
    for (const step of Object.values(steps)) assert.deepEqual([step.name, step.completed, step.error_count], [step.name, 15, 0]);
    assert.deepEqual(result.drivers.map((d) => d.requests.find((r) => r.name === 'login')?.completed), [9, 6], '5 VUs on 2 drivers: 3 and 2, 3 iterations each');
    assert.deepEqual([...server.logins.entries()].sort(), [1, 2, 3, 4, 5].map((vu) => [`u${vu}`, 3]), 'each of the 5 fleet-unique VUs logged in once per iteration');
    assert.equal(server.cookieMismatches(), 0, "no request carried another VU's session cookie");
    assert.deepEqual(result.aggregate.iterations && [result.aggregate.iterations.completed, result.aggregate.iterations.failed, result.aggregate.iterations.dropped], [15, 0, 0]);
    assert.ok((result.aggregate.iterations?.duration.p95 ?? 0) > 5, 'an iteration thinks at least 5 ms');
    assert.deepEqual(result.aggregate.checks && [result.aggregate.checks.passes, result.aggregate.checks.fails], [15 * 6, 0]);
    assert.deepEqual(result.aggregate.groups.map((g) => [g.name, g.completed]), [['readback', 15]]);
    assert.deepEqual(result.thresholds.map((t) => t.ok), [true, true, true, true, true]);
    // The view as the OpenAPI document states it, drivers' intervals included (a driver's is a timeline point).
    // Formats (date-time) are the schema's words, not what this checks: without validateFormats Ajv warns on stderr.
    const validate = new Ajv2020({ strict: false, validateFormats: false }).compile(z.toJSONSchema(testDetailView, { io: 'output', unrepresentable: 'any', target: 'draft-2020-12' }));
    const detail = await getJson(`${orchestratorUrl}/api/tests/${result.test_id}`);
    assert.ok(validate(detail), JSON.stringify(validate.errors));
    const metrics = await (await fetch(`${orchestratorUrl}/metrics`)).text();
    assert.ok(metrics.includes(`stampede_step_requests_completed_total{test_id="${result.test_id}",step="delete"} 15`), 'per-step series');
    assert.ok(metrics.includes(`stampede_checks_total{test_id="${result.test_id}",check="read: status 200",result="pass"} 15`), 'per-check series');
    assert.ok(metrics.includes(`stampede_iterations_total{test_id="${result.test_id}",outcome="completed"} 15`), 'iteration series');
  });

  it('fails checks>99% with exit 99 when a check fails, and the iteration goes on', async () => {
    const flow = [
      { name: 'home', url: `${server.url}/plain`, check: [{ status: 201, name: 'created' }] },
      { name: 'next', url: `${server.url}/plain` },
    ];
    const file = scenarioFile({ drivers: driverIds.join(','), thresholds: ['checks>99%'], scenarios: { s: { executor: 'shared-iterations', vus: 2, iterations: 4, flow } } });
    const cli = startCli(['run', '--orchestrator', orchestratorHostPort, '--scenario', file]);
    assert.equal(await cli.exited, 99, cli.stderr());
    assert.match(cli.stdout(), /✗ checks>99%: actual 0%/);
    assert.match(cli.stdout(), /created\s+0\s+8\s+0\.00%/);
    assert.match(cli.stdout(), /iterations: 8 completed, 0 failed, 0 dropped/);
  });

  it('refuses a threshold naming a step the flow lacks (exit 2), before anything runs', async () => {
    const file = scenarioFile({ thresholds: ['p99[logn]<300'], scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1, flow: [{ name: 'login', url: `${server.url}/plain` }] } } });
    const cli = startCli(['run', '--orchestrator', orchestratorHostPort, '--scenario', file]);
    assert.equal(await cli.exited, 2);
    assert.match(cli.stderr(), /thresholds\[0\].*"logn".*did you mean "login"/);
  });

  it('holds each executor\'s plan: arrivals split exactly, a ramp its integral, shared iterations 4/3, two scenarios with start_after', async () => {
    const plain = (name: string) => [{ name, url: `${server.url}/plain`, headers: { 'x-vu': `${name}-{{vu}}` } }];
    const test = await runTest({
      arrivals: { executor: 'constant-arrival-rate', total_rate: 21, duration_s: 1, max_vus: 5, flow: plain('arrival') },
      shared: { executor: 'shared-iterations', total_vus: 3, total_iterations: 7, flow: plain('shared') },
      later: { executor: 'constant-vus', vus: 1, duration_s: 0.5, start_after: '1s', flow: [...plain('later'), { think: '100ms' }] },
      rising: { executor: 'ramping-arrival-rate', start_rate: 0, stages: [{ duration_s: 1, target: 20 }], max_vus: 5, flow: plain('rising') },
    });
    assert.equal(test.state, 'completed', test.reason ?? '');
    const byName = Object.fromEntries(test.aggregate.requests.map((r) => [r.name, r.completed]));
    assert.equal(byName.arrival, 21, '21 arrivals/s for 1 s over the fleet');
    assert.deepEqual(test.drivers.map((d) => d.requests.find((r) => r.name === 'arrival')?.completed), [11, 10]);
    assert.deepEqual(test.drivers.map((d) => d.requests.find((r) => r.name === 'shared')?.completed), [4, 3]);
    assert.deepEqual(test.drivers.map((d) => d.requests.find((r) => r.name === 'rising')?.completed), [10, 10], 'a ramp from 0 to 20/s over 1 s: its integral, 10, on each driver');
    const firstOf = (prefix: string) => Math.min(...[...server.vuArrivals].filter(([vu]) => vu.startsWith(prefix)).map(([, times]) => times[0]!));
    assert.ok(firstOf('later-') - firstOf('arrival-') >= 900, `the later scenario starts 1 s after the others (${firstOf('later-') - firstOf('arrival-')} ms)`);
    const laterVus = [...server.vuArrivals.keys()].filter((vu) => vu.startsWith('later-'));
    assert.equal(laterVus.length, 2, 'one VU per driver');
  });

  it('starts and stops VUs as ramping-vus plans (sampled at the target) and counts dropped arrivals when max_vus is too small', async () => {
    const before = new Set(server.vuArrivals.keys());
    const test = await runTest({
      ramp: { executor: 'ramping-vus', stages: [{ duration_s: 0.6, target: 3 }, { duration_s: 0.9, target: 3 }, { duration_s: 0.3, target: 0 }], graceful_stop: 1, flow: [{ name: 'ramp', url: `${server.url}/plain`, headers: { 'x-vu': 'ramp-{{vu}}' } }, { think: '20ms' }] },
      drops: { executor: 'constant-arrival-rate', rate: 20, duration_s: 1, max_vus: 1, flow: [{ name: 'slow', url: `${server.url}/slow` }] },
    });
    assert.equal(test.state, 'completed', test.reason ?? '');
    const rampVus = [...server.vuArrivals.keys()].filter((vu) => vu.startsWith('ramp-') && !before.has(vu));
    assert.deepEqual(rampVus.map((vu) => Number(vu.slice(5))).sort((a, b) => a - b), [1, 2, 3, 4, 5, 6], '3 VUs per driver at the top, ids unique over both');
    const report = await getJson<{ timeline: Record<string, { vus: number | null }[]> }>(`${orchestratorUrl}/api/tests/${test.test_id}/report`);
    for (const [driver, points] of Object.entries(report.timeline)) {
      // Reported every 500 ms: one report falls in the 0.9 s the ramp holds 3 VUs (the other scenario adds its 1).
      assert.ok(Math.max(...points.map((p) => p.vus ?? 0)) >= 3, `${driver}'s VUs over time: ${points.map((p) => p.vus).join(' ')}`);
      assert.equal(points.at(-1)?.vus, 0, `${driver} ends with no VU running`);
    }
    const iterations = test.aggregate.iterations!;
    assert.ok(iterations.dropped > 0, JSON.stringify(iterations));
    const slow = test.aggregate.requests.find((r) => r.name === 'slow')!;
    assert.equal(slow.completed + iterations.dropped, 40, 'every arrival either ran or was dropped');
  });

  it("runs the README example's journey against stampede target's /api/, every check passing", async () => {
    const target = await startTarget();
    const example = parseYaml(readFileSync('examples/journey.yaml', 'utf8')) as { scenarios: { shoppers: { flow: unknown[] } } };
    const flow = JSON.parse(JSON.stringify(example.scenarios.shoppers.flow).replaceAll('http://127.0.0.1:8080', target.url)) as unknown[];
    const test = await runTest({ shoppers: { executor: 'per-vu-iterations', total_vus: 3, iterations: 2, flow } });
    assert.equal(test.state, 'completed', test.reason ?? '');
    assert.deepEqual(test.aggregate.requests.map((r) => [r.name, r.completed, r.error_count]), [['login', 6, 0], ['create', 6, 0], ['read', 6, 0], ['list', 12, 0], ['delete', 6, 0]]);
    assert.deepEqual(test.aggregate.checks && [test.aggregate.checks.passes, test.aggregate.checks.fails], [6 * 5, 0]);
    assert.deepEqual(test.aggregate.groups.map((g) => [g.name, g.completed]), [['browse', 18]]);
  });

  it('refuses scenarios on a spec-only driver with 409 naming it, and bad scenarios with 400 naming the path', async () => {
    const specOnly = `spec-${newTestId()}`;
    kcatProduce('register', `{ "node_id": "${specOnly}", "node_IP": "127.0.0.1:9000", "message_type": "DRIVER_NODE_REGISTER" }`);
    await eventually(() => getJson<{ node_id: string }[]>(`${orchestratorUrl}/api/drivers`), (list) => list.some((d) => d.node_id === specOnly), 10_000, 'the spec-only driver');
    const flow = [{ name: 'home', url: `${server.url}/plain` }];
    const refused = await postJson<{ message: string }>(`${orchestratorUrl}/api/tests`, { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1, flow } }, drivers: [specOnly] });
    assert.equal(refused.status, 409);
    assert.match(refused.body.message, new RegExp(`without scenarios support.*${specOnly}`));
    const refusedFlow = async (flowSteps: unknown[]) => {
      const response = await postJson<{ errors: { field: string; message: string }[] }>(`${orchestratorUrl}/api/tests`, { scenarios: { s: { executor: 'per-vu-iterations', vus: 1, iterations: 1, flow: flowSteps } } });
      assert.equal(response.status, 400);
      return response.body.errors;
    };
    const badPath = await refusedFlow([{ url: `${server.url}/a`, capture: { token: { json: '$..x' } } }]);
    assert.deepEqual(badPath.map((e) => e.field), ['scenarios.s.flow[0].capture.token.json']);
    assert.match(badPath[0]!.message, /not a JSONPath this tool understands/);
    const undefinedVariable = await refusedFlow([{ url: `${server.url}/a`, capture: { token: { json: '$.x' } } }, { url: `${server.url}/b`, headers: { authorization: 'Bearer {{tokn}}' } }]);
    assert.deepEqual(undefinedVariable.map((e) => e.field), ['scenarios.s.flow[1].headers.authorization']);
    assert.match(undefinedVariable[0]!.message, /\{\{tokn\}\}.*no earlier step captures/);
  });
});
