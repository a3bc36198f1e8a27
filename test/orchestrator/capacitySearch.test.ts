import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { TestDetailView } from '../../src/api/index.js';
import { eventually, getJson, postJson, startFleet, stopAllChildren } from '../helpers/processes.js';

/** The target's known capacity: /queue serves exactly this many requests per second, one queue. */
const CAPACITY = 300;

/**
 * A capacity search against a target of known capacity: the answer lies between 0.85 and 1.05 of it, each
 * step is judged on its own figures, and no load goes on past the answer.
 */
describe('capacity search (find_capacity) against a target that serves exactly C req/s', () => {
  let orchestratorUrl: string;
  let targetUrl: string;
  let driverIds: string[];

  before(async () => {
    ({ targetUrl, orchestratorUrl, driverIds } = await startFleet([[], []]));
  });
  after(() => stopAllChildren());

  it(`finds between 0.85·C and 1.05·C (C = ${CAPACITY} req/s), with every step's evidence`, async () => {
    const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, {
      target_url: `${targetUrl}/queue?rps=${CAPACITY}`,
      timeout_ms: 5_000,
      find_capacity: { slo: ['p99<50', 'errors<1%'], from: 100, to: 1_000, step_s: 3 },
      drivers: driverIds,
      trigger: true,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const done = await eventually(() => getJson<TestDetailView>(`${orchestratorUrl}/api/tests/${created.body.test_id}`), (t) => t.state !== 'running', 120_000, 'the search to end');
    const evidence = JSON.stringify(done.capacity?.steps.map((s) => [s.rate, s.achieved_rps, s.p99, s.ok]));
    assert.equal(done.state, 'completed', `${done.reason ?? ''} ${evidence}`);
    const capacity = done.capacity?.capacity_rps ?? 0;
    assert.ok(capacity >= 0.85 * CAPACITY && capacity <= 1.05 * CAPACITY, `found ${capacity} req/s; steps [rate, achieved, p99, ok]: ${evidence}`);
    const steps = done.capacity!.steps;
    assert.deepEqual(steps.slice(0, 3).map((s) => s.rate), [100, 200, 400], 'rises ×2 from --from');
    assert.equal(steps[2]!.ok, false, `400 req/s is past the capacity: ${evidence}`);
    assert.ok(steps.every((s) => s.ok === s.rate <= capacity), `every step that held is at or below the answer, every one that missed above it: ${evidence}`);
    // Each step's figures are its own: a step below capacity completes about its rate.
    for (const step of steps.filter((s) => s.ok)) assert.ok(Math.abs(step.achieved_rps! - step.rate) <= step.rate * 0.1, `step ${step.rate} achieved ${step.achieved_rps}: ${evidence}`);
    // No load past the answer: the test ended with the last step, far before its planned length.
    const elapsedS = (Date.parse(done.finished_at!) - Date.parse(done.triggered_at!)) / 1000;
    assert.ok(elapsedS < steps.length * 3 + steps.length * 3, `the test ran ${elapsedS} s for ${steps.length} steps`);
  });

  it('refuses a bad SLO naming it, and a load field the search sets itself', async () => {
    const bad = await postJson<{ field: string; message: string }>(`${orchestratorUrl}/api/tests`, { target_url: `${targetUrl}/ping`, find_capacity: { slo: ['p99 < fast'] } });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, 'find_capacity.slo[0]');
    const unjudgeable = await postJson<{ field: string; message: string }>(`${orchestratorUrl}/api/tests`, { target_url: `${targetUrl}/ping`, find_capacity: { slo: ['checks>99%'] } });
    assert.equal(unjudgeable.status, 400);
    assert.match(unjudgeable.body.message, /an SLO judges a step/);
    const both = await postJson<{ field: string }>(`${orchestratorUrl}/api/tests`, { target_url: `${targetUrl}/ping`, duration_s: 10, find_capacity: { slo: ['p99<50'] } });
    assert.equal(both.status, 400);
    assert.equal(both.body.field, 'duration_s');
  });
});
