import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createPlanBody, fieldErrors, parseScenario, planSpec } from '../../../src/api/index.js';

const target = 'http://127.0.0.1:8080/ping';

function problems(body: unknown): Record<string, string> {
  const parsed = createPlanBody.safeParse(body);
  assert.equal(parsed.success, false, 'the plan should be refused');
  return Object.fromEntries(fieldErrors(parsed.error!).map(({ field, message }) => [field, message]));
}

describe('plan files', () => {
  it('merges the plan-wide keys into each test, a test’s own key winning, and translates the CLI-style keys', () => {
    const parsed = createPlanBody.parse({
      name: 'suite',
      target,
      type: 'tsunami',
      delay_ms: 2,
      thresholds: ['p99<500'],
      tests: [
        { name: 'smoke', count: 5 },
        { name: 'soak', type: 'avalanche', delay_ms: 0, count: 50, drivers: '2', warmup: 10, thresholds: ['errors<1%'], retries: 2, continue_on_failure: true },
      ],
    });
    assert.deepEqual(planSpec(parsed), {
      name: 'suite',
      tests: [
        { name: 'smoke', retries: 0, continue_on_failure: false, thresholds: ['p99<500'], body: { test_type: 'TSUNAMI', test_message_delay: 2, message_count_per_driver: 5, target_url: target } },
        {
          name: 'soak',
          retries: 2,
          continue_on_failure: true,
          thresholds: ['errors<1%'],
          body: { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 50, target_url: target, drivers: 2, warmup_count_per_driver: 10 },
        },
      ],
    });
  });

  it('names the path of every problem: unknown field, retries over 10, empty plan, thresholds that do not parse', () => {
    assert.deepEqual(problems({ name: 'p', tests: [] }), { tests: 'must list at least one test: the plan is empty' });
    const bad = problems({
      name: 'p',
      target,
      type: 'tsunami',
      delay_ms: 1,
      tests: [{ name: 'a', count: 1 }, { name: 'b', count: 1, retries: 11 }, { name: 'c', count: 1, thresholds: ['p99<x'], colour: 'red' }],
    });
    assert.equal(bad['tests[1].retries'], 'must be at most 10');
    assert.equal(bad['tests[2].colour'], 'unknown field');
    const thresholds = problems({ name: 'p', target, type: 'tsunami', delay_ms: 1, tests: [{ name: 'a', count: 1 }, { name: 'b', count: 1 }, { name: 'c', count: 1, thresholds: ['p99<x'] }] });
    assert.match(thresholds['tests[2].thresholds[0]'] ?? '', /threshold "p99<x" is not valid/);
    assert.deepEqual(problems({ name: 'p', tests: [{ name: 'a', type: 'avalanche', count: 0, target }] }), { 'tests[0].count': 'must be > 0' });
    assert.deepEqual(problems({ name: 'p', tests: [{ name: 'a', count: 1, target }] }), { 'tests[0].type': 'is required' });
  });

  it('blames a bad plan-wide key once, at its own name', () => {
    assert.deepEqual(problems({ name: 'p', target: 'ftp://x', type: 'avalanche', tests: [{ name: 'a', count: 1 }, { name: 'b', count: 2 }] }), { target: 'must be an http(s) URL' });
  });

  it('refuses two tests of one name', () => {
    assert.match(problems({ name: 'p', target, type: 'avalanche', tests: [{ name: 'a', count: 1 }, { name: 'a', count: 2 }] })['tests[1].name'] ?? '', /tests\[0\] too/);
  });
});

describe('scenario files', () => {
  it('translate the CLI’s long option names into the create-test body', () => {
    const { test, errors } = parseScenario({ type: 'Tsunami', count: 3, delay_ms: 5, rate: 10, target, drivers: 'd1, d2', timeout_ms: 100, thresholds: ['p95<200'] });
    assert.deepEqual(errors, []);
    assert.deepEqual(test, {
      body: { test_type: 'TSUNAMI', message_count_per_driver: 3, test_message_delay: 5, throughput_per_driver: 10, target_url: target, drivers: ['d1', 'd2'], timeout_ms: 100 },
      thresholds: ['p95<200'],
    });
  });

  it('name an unknown key, a bad duration or stage, and the REST schema’s problems at the key the user wrote', () => {
    assert.deepEqual(parseScenario({ type: 'avalanche', count: 3, target, rampup: 2 }).errors, [{ field: 'rampup', message: 'unknown field' }]);
    const { errors } = parseScenario({ type: 'avalanche', count: 3, target, duration: 'soon', stages: ['30s:5', 'fast'] });
    const byField = Object.fromEntries(errors.map(({ field, message }) => [field, message]));
    assert.match(byField.duration ?? '', /must be a duration > 0 such as 30s/);
    assert.match(byField['stages[1]'] ?? '', /DURATION:TARGET_RPS/);
    assert.deepEqual(parseScenario({ type: 'avalanche', count: 3, target, delay_ms: 3 }).errors, [{ field: 'delay_ms', message: 'must be 0 for an AVALANCHE test (use rate to cap the rate)' }]);
  });
});
