import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createTestBody, fieldErrors, parseInput, plannedConfig } from '../../src/api/createTest.js';
import { parseScenario } from '../../src/api/scenario.js';
import {
  driverShare,
  figureRequests,
  groupNames,
  MAX_PLANNED_REQUESTS,
  plannedIterations,
  plannedTestMs,
  scenarioMap,
  scenarioPlans,
  stepNames,
  type DriverShare,
  type Scenarios,
} from '../../src/protocol/index.js';

const URL_BASE = 'http://localhost:8080';

type Issue = { path: PropertyKey[]; message: string };

/** The issues of a scenario map that does not parse. */
function issuesOf(value: unknown): Issue[] {
  const parsed = scenarioMap.safeParse(value);
  assert.equal(parsed.success, false, 'expected the scenario map to be refused');
  return parsed.error!.issues.map(({ path, message }) => ({ path, message }));
}

function parse(value: unknown): Scenarios {
  const parsed = scenarioMap.safeParse(value);
  assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(parsed.error.issues));
  return parsed.data;
}

/** One constant-vus scenario named `s` with this flow. */
function withFlow(flow: unknown[]): Record<string, unknown> {
  return { s: { executor: 'constant-vus', vus: 1, duration_s: 1, flow } };
}

const get = (path: string, extra: Record<string, unknown> = {}) => ({ url: `${URL_BASE}${path}`, ...extra });

describe('scenarioMap: executors', () => {
  it('refuses an unknown executor at [name, executor], listing the known ones', () => {
    const issues = issuesOf({ s: { executor: 'externally-controlled', flow: [get('/')] } });
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]!.path, ['s', 'executor']);
    assert.match(issues[0]!.message, /^must be one of constant-arrival-rate, ramping-arrival-rate, constant-vus, ramping-vus, per-vu-iterations, shared-iterations$/);
    assert.deepEqual(issuesOf({ s: { flow: [get('/')] } })[0]!.path, ['s', 'executor']);
  });

  it('refuses a scenario that is no object', () => {
    assert.deepEqual(issuesOf({ s: 'constant-vus' }), [{ path: ['s'], message: 'must be a scenario: {executor, flow, …}' }]);
  });

  it("names an executor's rules across fields at the scenario's field", () => {
    assert.deepEqual(issuesOf({ s: { executor: 'constant-vus', duration_s: 1, flow: [get('/')] } }), [{ path: ['s', 'vus'], message: 'give vus (per driver) or total_vus (split over the drivers)' }]);
    assert.deepEqual(issuesOf({ s: { executor: 'constant-vus', vus: 1, total_vus: 3, duration_s: 1, flow: [get('/')] } }), [{ path: ['s', 'vus'], message: 'give vus or total_vus, not both' }]);
    assert.deepEqual(issuesOf({ s: { executor: 'ramping-vus', stages: [{ duration_s: 1, target: 2.5 }], flow: [get('/')] } }), [{ path: ['s', 'stages', 0, 'target'], message: 'must be a whole number of VUs' }]);
  });

  it("refuses a field of another executor and a bad field value at its path", () => {
    const unknown = issuesOf({ s: { executor: 'constant-vus', vus: 1, duration_s: 1, rate: 5, flow: [get('/')] } });
    assert.deepEqual(unknown.map((issue) => issue.path), [['s']]);
    const fractional = issuesOf({ s: { executor: 'constant-vus', vus: 1.5, duration_s: 1, flow: [get('/')] } });
    assert.deepEqual(fractional.map((issue) => issue.path), [['s', 'vus']]);
    assert.deepEqual(issuesOf({ s: { executor: 'constant-vus', vus: 1, duration_s: 0, flow: [get('/')] } }), [{ path: ['s', 'duration_s'], message: 'must be > 0' }]);
  });

  it('takes start_after and graceful_stop as seconds or a duration text, within a day', () => {
    parse({ s: { executor: 'constant-vus', vus: 1, duration_s: 1, start_after: '1m30s', graceful_stop: 0, flow: [get('/')] } });
    const issues = issuesOf({ s: { executor: 'constant-vus', vus: 1, duration_s: 1, start_after: 'soon', graceful_stop: -1, flow: [get('/')] } });
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        ['s', 'start_after'],
        ['s', 'graceful_stop'],
      ],
    );
    assert.match(issues[0]!.message, /got "soon"$/);
  });
});

describe('scenarioMap: names and counts', () => {
  it('refuses a bad scenario name at its key', () => {
    const issues = issuesOf({ 'bad name!': withFlow([get('/')]).s, good: withFlow([get('/')]).s });
    assert.deepEqual(issues, [{ path: ['bad name!'], message: "a scenario's name is 1 to 64 letters, digits, _ or -" }]);
    issuesOf({ ['x'.repeat(65)]: withFlow([get('/')]).s });
    parse({ ['x'.repeat(64)]: withFlow([get('/')]).s, 'a-b_C9': withFlow([get('/')]).s });
  });

  it('refuses zero scenarios and more than twenty', () => {
    assert.deepEqual(issuesOf({}), [{ path: [], message: 'must name at least one scenario' }]);
    const many = Object.fromEntries(Array.from({ length: 21 }, (_, i) => [`s${i}`, withFlow([get('/')]).s]));
    assert.deepEqual(issuesOf(many), [{ path: [], message: 'at most 20 scenarios' }]);
    parse(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`s${i}`, withFlow([get('/')]).s])));
  });
});

describe('scenarioMap: flows', () => {
  it('refuses a bad JSONPath in a capture at its own path', () => {
    const issues = issuesOf(withFlow([get('/', { capture: { token: { json: '$..[' } } })]));
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]!.path, ['s', 'flow', 0, 'capture', 'token', 'json']);
    assert.match(issues[0]!.message, /JSONPath/);
  });

  it('refuses a variable used before any step captures it, naming the variable at its header', () => {
    const issues = issuesOf(withFlow([get('/login'), get('/me', { headers: { authorization: 'Bearer {{token}}' } }), get('/token', { capture: { token: { json: '$.token' } } })]));
    assert.deepEqual(issues, [{ path: ['s', 'flow', 1, 'headers', 'authorization'], message: 'uses {{token}}, which no earlier step captures (defined here: vu, iteration)' }]);
  });

  it('names a variable used in a URL and a body at that field', () => {
    const issues = issuesOf(withFlow([get('/a/{{id}}'), { method: 'POST', url: `${URL_BASE}/b`, body: '{"id":"{{id}}"}' }]));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        ['s', 'flow', 0, 'url'],
        ['s', 'flow', 1, 'body'],
      ],
    );
    for (const issue of issues) assert.match(issue.message, /\{\{id\}\}/);
  });

  it("lets a step's checks use its own captures, and later steps use them", () => {
    parse(withFlow([get('/login', { capture: { id: { json: '$.id' } }, check: { body_contains: '{{id}}' } }), get('/items/{{id}}')]));
    parse(withFlow([get('/login', { capture: { id: { json: '$.id' } }, check: [{ json: '$.id', equals: '{{id}}' }] })]));
  });

  it('does not let a step use its own capture in its request', () => {
    const issues = issuesOf(withFlow([get('/items/{{id}}', { capture: { id: { json: '$.id' } } })]));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [['s', 'flow', 0, 'url']],
    );
  });

  it('lets a variable captured inside a loop or a group be used after it', () => {
    parse(withFlow([{ loop: { count: 2, steps: [get('/token', { capture: { tok: { json: '$.t' } } })] } }, get('/me/{{tok}}')]));
    parse(withFlow([{ group: { name: 'login', steps: [get('/token', { capture: { tok: { header: 'x-token' } } })] } }, get('/me', { headers: { authorization: '{{tok}}' } })]));
  });

  it('names a use inside a loop at its nested path', () => {
    const issues = issuesOf(withFlow([{ loop: { count: 2, steps: [get('/'), get('/{{nope}}')] } }]));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [['s', 'flow', 0, 'loop', 'steps', 1, 'url']],
    );
  });

  it('always defines {{vu}} and {{iteration}}, and no step may capture into them', () => {
    parse(withFlow([get('/users/{{vu}}/{{iteration}}', { headers: { 'x-vu': '{{ vu }}' } })]));
    assert.deepEqual(issuesOf(withFlow([get('/', { capture: { vu: { status: true } } })])), [{ path: ['s', 'flow', 0, 'capture', 'vu'], message: '"vu" is a reserved variable name' }]);
  });

  it('refuses {{data.email}}: no data source yet', () => {
    const issues = issuesOf(withFlow([{ method: 'POST', url: `${URL_BASE}/signup`, body: '{"email":"{{data.email}}"}' }]));
    assert.equal(issues.length, 1);
    assert.deepEqual(issues[0]!.path, ['s', 'flow', 0, 'body']);
    assert.match(issues[0]!.message, /\{\{data\.email\}\}/);
    assert.match(issues[0]!.message, /no data source/);
  });

  it('accepts every think form', () => {
    const scenarios = parse(withFlow([{ think: '500ms' }, { think: '200ms..800ms' }, { think: 150 }, { think: { mean_ms: 100, distribution: 'exponential' } }, { think: '2s' }, get('/')]));
    assert.deepEqual(scenarios.s!.flow.slice(0, 4), [{ think: '500ms' }, { think: '200ms..800ms' }, { think: 150 }, { think: { mean_ms: 100, distribution: 'exponential' } }]);
  });

  it('refuses a backwards range and a think time that is no duration', () => {
    const issues = issuesOf(withFlow([{ think: '800ms..200ms' }, { think: 'soon' }, { think: -5 }, { think: { mean_ms: 100, distribution: 'normal' } }, get('/')]));
    assert.deepEqual(
      issues.map((issue) => issue.path),
      [
        ['s', 'flow', 0, 'think'],
        ['s', 'flow', 1, 'think'],
        ['s', 'flow', 2, 'think'],
        ['s', 'flow', 3, 'think'],
      ],
    );
    assert.equal(issues[0]!.message, 'a range runs from the shorter time to the longer, got "800ms..200ms"');
    assert.match(issues[1]!.message, /got "soon"$/);
  });

  it('limits how deep loops and groups nest', () => {
    const nest = (levels: number): unknown => (levels === 0 ? get('/') : levels % 2 === 1 ? { loop: { count: 1, steps: [nest(levels - 1)] } } : { group: { name: `g${levels}`, steps: [nest(levels - 1)] } });
    parse(withFlow([nest(4)]));
    const issues = issuesOf(withFlow([nest(5)]));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /^loops and groups nest at most 4 deep$/);
  });

  it('refuses a step of two kinds, and a step of none', () => {
    assert.deepEqual(issuesOf(withFlow([get('/', { think: '1s' })])), [{ path: ['s', 'flow', 0], message: 'is one step: give one of url, think' }]);
    assert.deepEqual(issuesOf(withFlow([{ method: 'GET' }])), [{ path: ['s', 'flow', 0], message: 'must be a step: a request (with url), {think}, {loop} or {group}' }]);
    assert.deepEqual(issuesOf(withFlow([])), [{ path: ['s', 'flow'], message: 'must have at least one step' }]);
  });
});

/** Every kind of scenario and step the schema knows. */
const RICH_SCENARIOS = {
  browse: {
    executor: 'constant-arrival-rate',
    total_rate: 12.5,
    duration_s: 30,
    max_vus: 20,
    start_after: '10s',
    graceful_stop: 5,
    flow: [
      { name: 'login', method: 'post', url: `${URL_BASE}/login`, body: '{"user":"u{{vu}}"}', headers: { 'content-type': 'application/json' }, capture: { token: { json: '$.token' }, id: { regex: 'id=(\\d+)', optional: true } }, check: { status: 200 } },
      { think: '200ms..800ms' },
      { loop: { count: 3, steps: [get('/items/{{id}}', { headers: { authorization: 'Bearer {{token}}' }, check: [{ max_ms: 500 }, { json: '$.ok', equals: true }] })] } },
      { group: { name: 'checkout', steps: [{ method: 'PUT', url: `${URL_BASE}/cart`, body: 'x', expect_status: [200, 204] }, { think: { mean_ms: 100, distribution: 'exponential' } }] } },
    ],
  },
  ramp: { executor: 'ramping-arrival-rate', start_rate: 1, stages: [{ duration_s: 10, target: 5 }], max_vus: 4, flow: [get('/')] },
  steady: { executor: 'constant-vus', vus: 2, duration_s: 3, flow: [get('/'), { think: 150 }] },
  waves: { executor: 'ramping-vus', start_vus: 1, stages: [{ duration_s: 2, target: 3 }, { duration_s: 1, target: 0 }], flow: [get('/waves', { capture: { s: { status: true } } })] },
  each: { executor: 'per-vu-iterations', total_vus: 10, iterations: 2, max_duration_s: 60, flow: [get('/each')] },
  shared: { executor: 'shared-iterations', vus: 3, total_iterations: 100, flow: [get('/shared', { optional: true, abort_on_check_failure: true, check: { body_contains: 'ok' } })] },
};

describe('scenarioMap: the wire', () => {
  it('parses its own JSON to the same value', () => {
    const first = parse(RICH_SCENARIOS);
    const second = parse(JSON.parse(JSON.stringify(first)));
    assert.deepEqual(second, first);
    assert.deepEqual(parse(JSON.parse(JSON.stringify(second))), first);
  });

  it('keeps what the user wrote, the method upper-cased and a lone check made a list', () => {
    const login = parse(RICH_SCENARIOS).browse!.flow[0];
    assert.deepEqual(login, {
      name: 'login',
      method: 'POST',
      url: `${URL_BASE}/login`,
      body: '{"user":"u{{vu}}"}',
      headers: { 'content-type': 'application/json' },
      capture: { token: { json: '$.token' }, id: { regex: 'id=(\\d+)', optional: true } },
      check: [{ status: 200 }],
    });
  });
});

describe('scenarioPlans', () => {
  it("gives each scenario its executor's plan, its start and its graceful stop", () => {
    const scenarios = parse({
      browse: { executor: 'constant-vus', total_vus: 10, duration_s: 5, start_after: '10s', graceful_stop: 5, flow: [get('/a')] },
      buy: { executor: 'ramping-vus', start_vus: 1, stages: [{ duration_s: 2, target: 3 }], flow: [get('/b')] },
    });
    const [browse, buy] = scenarioPlans(scenarios, { index: 1, count: 3 });
    assert.deepEqual(browse, { model: 'vus', vuChanges: [{ atMs: 0, vus: 3 }], durationMs: 5000, maxVus: 3, name: 'browse', flow: scenarios.browse!.flow, startAfterMs: 10_000, gracefulStopMs: 5000, firstVuId: 2, vuIdStep: 3, data: undefined });
    assert.equal(buy!.name, 'buy');
    assert.equal(buy!.startAfterMs, 0);
    assert.equal(buy!.gracefulStopMs, 30_000);
    // browse's block is the first driver's 4 VUs on each of 3 drivers: 12 ids.
    assert.equal(buy!.firstVuId, 12 + 1 + 1);
    assert.equal(buy!.vuIdStep, 3);
  });

  /** Every `{{vu}}` each driver's VUs would get, by driver. */
  function vuIds(scenarios: Scenarios, count: number): number[][] {
    return Array.from({ length: count }, (_, index) =>
      scenarioPlans(scenarios, { index, count }).flatMap((plan) => Array.from({ length: plan.maxVus }, (_, k) => plan.firstVuId + k * plan.vuIdStep)),
    );
  }

  function assertUnique(ids: number[][]): void {
    const all = ids.flat();
    assert.equal(new Set(all).size, all.length, `duplicate VU ids: ${JSON.stringify(ids)}`);
    for (const id of all) assert.ok(Number.isInteger(id) && id >= 1);
  }

  it('gives VU ids unique across two scenarios and three drivers', () => {
    const scenarios = parse({
      browse: { executor: 'constant-vus', total_vus: 10, duration_s: 5, flow: [get('/a')] },
      buy: { executor: 'ramping-vus', start_vus: 1, stages: [{ duration_s: 2, target: 3 }], flow: [get('/b')] },
    });
    const ids = vuIds(scenarios, 3);
    assert.deepEqual(ids, [
      [1, 4, 7, 10, 13, 16, 19],
      [2, 5, 8, 14, 17, 20],
      [3, 6, 9, 15, 18, 21],
    ]);
    assertUnique(ids);
  });

  it('gives VU ids unique across every executor and any fleet', () => {
    const scenarios = parse(RICH_SCENARIOS);
    for (const count of [1, 2, 3, 7]) assertUnique(vuIds(scenarios, count));
    const executorScenario = fc.oneof(
      fc.record({ executor: fc.constant('constant-vus'), total_vus: fc.integer({ min: 1, max: 40 }), duration_s: fc.constant(1) }),
      fc.record({ executor: fc.constant('constant-vus'), vus: fc.integer({ min: 1, max: 10 }), duration_s: fc.constant(1) }),
      fc.record({ executor: fc.constant('per-vu-iterations'), total_vus: fc.integer({ min: 1, max: 40 }), iterations: fc.constant(1) }),
      fc.record({ executor: fc.constant('shared-iterations'), total_vus: fc.integer({ min: 1, max: 40 }), total_iterations: fc.integer({ min: 1, max: 40 }) }),
      fc.record({ executor: fc.constant('constant-arrival-rate'), total_rate: fc.constant(5), duration_s: fc.constant(1), max_vus: fc.integer({ min: 1, max: 10 }) }),
      fc.record({ executor: fc.constant('ramping-vus'), start_vus: fc.integer({ min: 0, max: 5 }), stages: fc.array(fc.record({ duration_s: fc.constant(1), target: fc.integer({ min: 0, max: 10 }) }), { minLength: 1, maxLength: 3 }) }),
    );
    fc.assert(
      fc.property(fc.array(executorScenario, { minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 8 }), (list, count) => {
        const map = parse(Object.fromEntries(list.map((s, i) => [`s${i}`, { ...s, flow: [get('/')] }])));
        assertUnique(vuIds(map, count));
      }),
      { numRuns: 100 },
    );
  });

  it('throws on an executor it does not know', () => {
    assert.throws(() => scenarioPlans({ s: { executor: 'nope', flow: [] } }, { index: 0, count: 1 }), /unknown executor nope/);
  });
});

describe('plannedIterations', () => {
  it('adds up the iterations every scenario plans on this driver', () => {
    const scenarios = parse({
      each: { executor: 'per-vu-iterations', total_vus: 10, iterations: 2, flow: [get('/')] },
      shared: { executor: 'shared-iterations', vus: 3, total_iterations: 100, flow: [get('/')] },
      rate: { executor: 'constant-arrival-rate', total_rate: 10, duration_s: 3, max_vus: 5, flow: [get('/')] },
    });
    const at = (share: DriverShare) => plannedIterations(scenarios, share);
    assert.equal(at({ index: 0, count: 1 }), 20 + 100 + 30);
    assert.equal(at({ index: 0, count: 3 }), 8 + 34 + 10);
    assert.equal(at({ index: 2, count: 3 }), 6 + 33 + 10);
    assert.equal(at({ index: 3, count: 4 }), 4 + 25 + 7);
  });

  it('is undefined when a scenario is bounded by time only', () => {
    const scenarios = parse({
      each: { executor: 'per-vu-iterations', vus: 1, iterations: 2, flow: [get('/')] },
      steady: { executor: 'constant-vus', vus: 2, duration_s: 3, flow: [get('/')] },
    });
    assert.equal(plannedIterations(scenarios, { index: 0, count: 1 }), undefined);
    assert.equal(plannedIterations(parse(RICH_SCENARIOS), { index: 0, count: 2 }), undefined);
  });
});

describe('stepNames, groupNames and figureRequests', () => {
  const scenarios = parse({
    browse: {
      executor: 'constant-vus',
      vus: 1,
      duration_s: 1,
      flow: [{ group: { name: 'g1', steps: [get('/a'), { name: 'login', method: 'post', url: `${URL_BASE}/login`, body: 'x' }, { group: { name: 'inner', steps: [get('/c')] } }] } }, { think: '1s' }],
    },
    buy: { executor: 'per-vu-iterations', vus: 1, iterations: 1, flow: [{ loop: { count: 2, steps: [{ method: 'DELETE', url: `${URL_BASE}/a` }, get('/a')] } }, get('/b/{{vu}}'), { group: { name: 'g1', steps: [get('/d')] } }] },
  });

  it('names every request step once, in flow order, across scenarios', () => {
    assert.deepEqual(stepNames(scenarios), ['GET /a', 'login', 'GET /c', 'DELETE /a', 'GET /b/{{vu}}', 'GET /d']);
  });

  it('names every group once, nested ones too', () => {
    assert.deepEqual(groupNames(scenarios), ['g1', 'inner']);
    assert.deepEqual(groupNames(parse(withFlow([get('/')]))), []);
  });

  it("keeps figures under each step's name, with the method and URL of its first step", () => {
    assert.deepEqual(figureRequests({ scenarios }), [
      { name: 'GET /a', method: 'GET', url: `${URL_BASE}/a`, weight: 1 },
      { name: 'login', method: 'POST', url: `${URL_BASE}/login`, weight: 1 },
      { name: 'GET /c', method: 'GET', url: `${URL_BASE}/c`, weight: 1 },
      { name: 'DELETE /a', method: 'DELETE', url: `${URL_BASE}/a`, weight: 1 },
      { name: 'GET /b/{{vu}}', method: 'GET', url: `${URL_BASE}/b/{{vu}}`, weight: 1 },
      { name: 'GET /d', method: 'GET', url: `${URL_BASE}/d`, weight: 1 },
    ]);
    assert.deepEqual(figureRequests({}), []);
    const requests = [{ name: 'r', method: 'GET' as const, url: `${URL_BASE}/r`, weight: 2 }];
    assert.equal(figureRequests({ requests, scenarios }), requests);
  });
});

describe('driverShare', () => {
  it("is this driver's place among the named drivers, else the whole test", () => {
    assert.deepEqual(driverShare(['a', 'b', 'c'], 'a'), { index: 0, count: 3 });
    assert.deepEqual(driverShare(['a', 'b', 'c'], 'c'), { index: 2, count: 3 });
    assert.deepEqual(driverShare(['a', 'b', 'c'], 'z'), { index: 0, count: 1 });
    assert.deepEqual(driverShare([], 'z'), { index: 0, count: 1 });
    assert.deepEqual(driverShare(undefined, 'a'), { index: 0, count: 1 });
  });
});

const ITERATION_SCENARIOS = {
  // 3 requests per pass of the flow, one of them in a loop of 2: 4 requests an iteration.
  s: { executor: 'per-vu-iterations', total_vus: 10, iterations: 2, flow: [get('/a'), { loop: { count: 2, steps: [get('/b')] } }, { think: '1s' }, get('/c')] },
};

describe('createTestBody with scenarios', () => {
  it('accepts scenarios without test_type or message_count_per_driver', () => {
    const parsed = createTestBody.safeParse({ scenarios: ITERATION_SCENARIOS, drivers: 3 });
    assert.ok(parsed.success, parsed.success ? '' : JSON.stringify(fieldErrors(parsed.error)));
    assert.equal(parsed.data.test_type, undefined);
    assert.equal(parsed.data.message_count_per_driver, undefined);
    assert.equal(parsed.data.test_message_delay, 0);
  });

  const beside: [string, unknown, string][] = [
    ['test_type', 'AVALANCHE', 'cannot be given with scenarios: their executors and flows set the load'],
    ['message_count_per_driver', 5, 'cannot be given with scenarios: their executors and flows set the load'],
    ['target_url', `${URL_BASE}/`, 'cannot be given with scenarios: their executors and flows set the load'],
    ['requests', [get('/')], 'cannot be given with scenarios: their executors and flows set the load'],
    ['throughput_per_driver', 10, 'cannot be given with scenarios: their executors and flows set the load'],
    ['concurrency', 4, 'cannot be given with scenarios: their executors and flows set the load'],
    ['warmup_count_per_driver', 10, 'cannot be given with scenarios: their executors and flows set the load'],
    ['warmup_s', 5, 'cannot be given with scenarios: their executors and flows set the load'],
    ['stages', [{ duration_s: 1, target_rps: 1 }], 'cannot be given with scenarios: their executors and flows set the load'],
    ['start_rps', 1, 'cannot be given with scenarios: their executors and flows set the load'],
    ['duration_s', 5, 'cannot be given with scenarios: their executors and flows set the load'],
    ['test_message_delay', 5, 'cannot be given with scenarios: think steps set the pauses'],
  ];
  for (const [field, value, message] of beside) {
    it(`refuses ${field} beside scenarios, naming it`, () => {
      const parsed = createTestBody.safeParse({ scenarios: ITERATION_SCENARIOS, [field]: value });
      assert.equal(parsed.success, false);
      assert.deepEqual(fieldErrors(parsed.error!), [{ field, message }]);
    });
  }

  it('refuses a body with neither test_type nor scenarios, naming test_type', () => {
    const parsed = createTestBody.safeParse({ target_url: `${URL_BASE}/`, message_count_per_driver: 5 });
    assert.equal(parsed.success, false);
    const errors = fieldErrors(parsed.error!);
    assert.deepEqual(
      errors.map((error) => error.field),
      ['test_type'],
    );
    assert.match(errors[0]!.message, /^is required/);
  });

  it('says a value of the wrong type is wrong, not missing: only an absent field "is required"', () => {
    const parsed = parseInput(createTestBody, { test_type: 'AVALANCHE', message_count_per_driver: 'x', target_url: 5, drivers: {} });
    assert.deepEqual(fieldErrors(parsed.error!), [
      { field: 'message_count_per_driver', message: 'must be a number' },
      { field: 'target_url', message: 'must be an http(s) URL' },
      { field: 'drivers', message: 'must be a count from 1 to 10000 or a list of 1 to 10000 driver ids' },
    ]);
    assert.deepEqual(parseScenario({ stages: 5, type: 'avalanche', target: `${URL_BASE}/` }).errors, [{ field: 'stages', message: 'must be a list of stages' }]);
  });

  it("names a scenario's problem by its whole field path", () => {
    const parsed = createTestBody.safeParse({ scenarios: withFlow([get('/'), get('/me', { headers: { authorization: 'Bearer {{token}}' } })]) });
    assert.equal(parsed.success, false);
    assert.deepEqual(fieldErrors(parsed.error!), [{ field: 'scenarios.s.flow[1].headers.authorization', message: 'uses {{token}}, which no earlier step captures (defined here: vu, iteration)' }]);
  });
});

describe('plannedConfig with scenarios', () => {
  const body = createTestBody.parse({ scenarios: ITERATION_SCENARIOS });

  it("carries an AVALANCHE without gaps, counting the first driver's planned requests", () => {
    // total_vus 10: the first driver runs 10, 5, 4, 3 VUs on 1, 2, 3, 4 drivers; 2 iterations of 4 requests each.
    for (const [drivers, count] of [
      [1, 80],
      [2, 40],
      [3, 32],
      [4, 24],
    ] as const) {
      const config = plannedConfig(body, drivers);
      assert.equal(config.test_type, 'AVALANCHE');
      assert.equal(config.test_message_delay, 0);
      assert.equal(config.message_count_per_driver, count, `${drivers} drivers`);
      assert.equal(config.scenarios, body.scenarios);
    }
  });

  it('adds up the iteration scenarios', () => {
    const two = createTestBody.parse({
      scenarios: { ...ITERATION_SCENARIOS, shared: { executor: 'shared-iterations', vus: 2, total_iterations: 7, flow: [get('/x'), get('/y')] } },
    });
    // driver 0 of 3: 4 VUs × 2 iterations × 4 requests, and 3 of the 7 shared iterations × 2 requests.
    assert.equal(plannedConfig(two, 3).message_count_per_driver, 32 + 6);
  });

  it('says MAX_PLANNED_REQUESTS when a scenario is bounded by time', () => {
    for (const timeBound of [
      { executor: 'constant-vus', vus: 2, duration_s: 3, flow: [get('/')] },
      { executor: 'ramping-vus', stages: [{ duration_s: 3, target: 2 }], flow: [get('/')] },
    ]) {
      const config = plannedConfig(createTestBody.parse({ scenarios: { ...ITERATION_SCENARIOS, t: timeBound } }), 3);
      assert.equal(config.test_type, 'AVALANCHE');
      assert.equal(config.message_count_per_driver, MAX_PLANNED_REQUESTS);
    }
  });
});

describe('parseScenario with scenarios and step thresholds', () => {
  const file = (stepName: string) => ({
    scenarios: { journey: { executor: 'per-vu-iterations', vus: 1, iterations: 1, flow: [{ name: stepName, method: 'POST', url: `${URL_BASE}/login`, body: '{}' }, get('/me')] } },
    thresholds: ['p99[login]<300'],
  });

  it('accepts a threshold on a step the flow has', () => {
    const parsed = parseScenario(file('login'));
    assert.deepEqual(parsed.errors, []);
    assert.deepEqual(parsed.test?.thresholds, ['p99[login]<300']);
    assert.deepEqual(parsed.test?.body, { scenarios: file('login').scenarios });
  });

  it('refuses a threshold naming a step the flow does not have, at thresholds[0]', () => {
    const parsed = parseScenario(file('sign-in'));
    assert.equal(parsed.test, undefined);
    assert.equal(parsed.errors.length, 1);
    assert.equal(parsed.errors[0]!.field, 'thresholds[0]');
    assert.match(parsed.errors[0]!.message, /"login"/);
    assert.match(parsed.errors[0]!.message, /sign-in/);
  });
});

describe('plannedTestMs: how long a test is planned to run', () => {
  const flow = [{ url: 'http://127.0.0.1:1/' }];
  const plannedOf = (scenarios: Record<string, unknown>) => plannedTestMs({ test_type: 'AVALANCHE', test_message_delay: 0, scenarios: scenarioMap.parse(scenarios) });

  it('ends with the last scenario when time bounds every one (start_after counted)', () => {
    assert.equal(plannedOf({ a: { executor: 'constant-vus', vus: 1, duration_s: 30, start_after: '10s', flow }, b: { executor: 'constant-arrival-rate', rate: 5, duration_s: 20, max_vus: 2, flow } }), 40_000);
    assert.equal(plannedOf({ r: { executor: 'ramping-vus', stages: [{ duration_s: 5, target: 2 }, { duration_s: 3, target: 0 }], flow } }), 8_000);
  });

  it('is undefined when iterations decide, and a plain test keeps its load shape', () => {
    assert.equal(plannedOf({ a: { executor: 'constant-vus', vus: 1, duration_s: 30, flow }, i: { executor: 'per-vu-iterations', vus: 1, iterations: 3, flow } }), undefined);
    assert.equal(plannedTestMs({ test_type: 'TSUNAMI', test_message_delay: 0, throughput_per_driver: 10, duration_s: 3 }), 3_000);
  });
});
