import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  evaluateThresholds,
  judgesErrors,
  parseThreshold,
  parseThresholds,
  thresholdReport,
  thresholdStepNames,
  ThresholdSyntaxError,
  unknownStepProblems,
  type Measure,
  type StepFigures,
  type ThresholdFigures,
} from '../../src/api/thresholds.js';

type Latency = ThresholdFigures['latency'];

const LATENCY: Latency = { min: 0.5, max: 40, mean: 3.2, median: 2.5, mode: 2.1, p90: 6, p95: 245.1, p99: 300 };
const NO_LATENCY: Latency = { min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };

function step(name: string, overrides: Partial<StepFigures> = {}): StepFigures {
  return { name, completed: 200, error_count: 0, rps: 50, latency: { min: 1, max: 90, mean: 10, median: 8, mode: 7, p90: 20, p95: 25, p99: 12.3 }, ...overrides };
}

/** A journey test's figures: three steps, checks, iterations. */
function figures(overrides: Partial<ThresholdFigures> = {}): ThresholdFigures {
  return {
    latency: LATENCY,
    completed: 400,
    error_count: 0,
    rps: 950,
    requests: [step('login'), step('create', { completed: 100, error_count: 3, rps: 9.5 }), step('GET /posts', { latency: { ...NO_LATENCY, median: 40 } })],
    checks: { passes: 197, fails: 3 },
    iterations: { completed: 97, failed: 3, dropped: 0, duration: { min: 800, max: 2600, mean: 1200, median: 1100, mode: 1000, p90: 1700, p95: 1900, p99: 2400 } },
    ...overrides,
  };
}

/** The result and report line of one expression against the figures. */
function check(expression: string, aggregate: ThresholdFigures = figures()) {
  const thresholds = parseThresholds([expression]);
  const results = evaluateThresholds(thresholds, aggregate);
  return { result: results[0]!, line: thresholdReport(thresholds, results)[0]! };
}

function refuses(expression: string, why: RegExp): void {
  assert.throws(
    () => parseThreshold(expression),
    (error: unknown) => {
      assert.ok(error instanceof ThresholdSyntaxError, `not a ThresholdSyntaxError: ${String(error)}`);
      assert.ok(error.message.startsWith(`threshold "${expression}" is not valid: `), error.message);
      assert.match(error.message, why);
      return true;
    },
  );
}

describe('thresholds: the forms accepted before journeys, unchanged', () => {
  for (const [expression, measure, operator, limit] of [
    ['p95<200', { kind: 'latency', metric: 'p95' }, '<', 200],
    ['p99<=500', { kind: 'latency', metric: 'p99' }, '<=', 500],
    ['median<50', { kind: 'latency', metric: 'median' }, '<', 50],
    ['p50 < 50ms', { kind: 'latency', metric: 'median' }, '<', 50],
    ['P95<200MS', { kind: 'latency', metric: 'p95' }, '<', 200],
    ['min>0.1', { kind: 'latency', metric: 'min' }, '>', 0.1],
    ['max>=3', { kind: 'latency', metric: 'max' }, '>=', 3],
    ['mean<3', { kind: 'latency', metric: 'mean' }, '<', 3],
    ['p90<3', { kind: 'latency', metric: 'p90' }, '<', 3],
    ['mode==2', { kind: 'latency', metric: 'mode' }, '==', 2],
    ['errors<1%', { kind: 'errorRate' }, '<', 1],
    ['Errors <= 100 %', { kind: 'errorRate' }, '<=', 100],
    ['errors<=5', { kind: 'errorCount' }, '<=', 5],
    ['rps>=900', { kind: 'rps' }, '>=', 900],
    ['RPS>900', { kind: 'rps' }, '>', 900],
  ] as const) {
    it(`reads ${expression}`, () => {
      assert.deepEqual(parseThreshold(expression), { expression, measure, operator, limit });
    });
  }

  it('keeps the expression trimmed', () => {
    assert.equal(parseThreshold('  p95 < 200  ').expression, 'p95 < 200');
  });

  for (const [expression, why] of [
    ['p95', /expected METRIC OPERATOR NUMBER \(e\.g\. p95<200, median<50, errors<1%, errors<=5, rps>=900, /],
    ['p95=<200', /expected METRIC OPERATOR NUMBER/],
    ['p95<abc', /expected METRIC OPERATOR NUMBER/],
    ['p95<-1', /expected METRIC OPERATOR NUMBER/],
    ['p95<5s', /expected METRIC OPERATOR NUMBER/],
    ['', /expected METRIC OPERATOR NUMBER/],
    ['p42<3', /unknown metric "p42" \(known: min, max, mean, median, mode, p90, p95, p99, errors, rps, /],
    ['latency<3', /unknown metric "latency"/],
    ['p95<5%', /p95 is a latency in milliseconds, not a percentage$/],
    ['rps>5%', /rps is requests per second, not a percentage$/],
    ['errors<5ms', /errors is not a latency; only min, max, mean, median, mode, p90, p95, p99 take ms$/],
  ] as const) {
    it(`refuses "${expression}" as before`, () => refuses(expression, why));
  }

  it('reports the old kinds byte for byte as before', () => {
    const lines = (expressions: string[], aggregate: ThresholdFigures) => {
      const thresholds = parseThresholds(expressions);
      return thresholdReport(thresholds, evaluateThresholds(thresholds, aggregate));
    };
    const old: ThresholdFigures = { latency: LATENCY, completed: 400, error_count: 10, rps: 950 };
    assert.deepEqual(lines(['p95<200', 'p99<=300', 'rps>=1000', 'min==0.2', 'p95<245.1', 'errors<1%', 'errors<5', 'errors<=10', 'mean>5'], old), [
      '✗ p95<200: actual 245.1 ms (over by 45.1 ms)',
      '✓ p99<=300: actual 300 ms',
      '✗ rps>=1000: actual 950 req/s (under by 50 req/s)',
      '✗ min==0.2: actual 0.5 ms (off by 0.3 ms)',
      '✗ p95<245.1: actual 245.1 ms (equal to the limit, must be below it)',
      '✗ errors<1%: actual 2.5% (over by 1.5%)',
      '✗ errors<5: actual 10 errors (over by 5 errors)',
      '✓ errors<=10: actual 10 errors',
      '✗ mean>5: actual 3.2 ms (under by 1.8 ms)',
    ]);
    const empty: ThresholdFigures = { latency: NO_LATENCY, completed: 0, error_count: 0, rps: null };
    assert.deepEqual(lines(['p99<5000', 'rps>=1', 'errors<1%', 'errors==1'], empty), [
      '✗ p99<5000: no value (no request completed)',
      '✗ rps>=1: no value (no request completed)',
      '✓ errors<1%: actual 0%',
      '✗ errors==1: actual 0 errors (off by 1 errors)',
    ]);
  });

  it('evaluates the old kinds the same with or without the new figures', () => {
    const expressions = ['p95<200', 'p99<=300', 'errors<1%', 'errors<=5', 'rps>=900'];
    const thresholds = parseThresholds(expressions);
    const bare: ThresholdFigures = { latency: LATENCY, completed: 400, error_count: 3, rps: 950 };
    assert.deepEqual(evaluateThresholds(thresholds, bare), evaluateThresholds(thresholds, figures({ error_count: 3 })));
    assert.deepEqual(evaluateThresholds(thresholds, bare), [
      { expression: 'p95<200', ok: false, actual: 245.1 },
      { expression: 'p99<=300', ok: true, actual: 300 },
      { expression: 'errors<1%', ok: true, actual: 0.75 },
      { expression: 'errors<=5', ok: true, actual: 3 },
      { expression: 'rps>=900', ok: true, actual: 950 },
    ]);
  });
});

describe('thresholds: parsing the journey forms', () => {
  for (const [expression, measure, operator, limit] of [
    ['checks>99%', { kind: 'checkPassRate' }, '>', 99],
    ['checks<50%', { kind: 'checkPassRate' }, '<', 50],
    ['checks>=99.5%', { kind: 'checkPassRate' }, '>=', 99.5],
    ['checks==100%', { kind: 'checkPassRate' }, '==', 100],
    ['Checks <= 100 %', { kind: 'checkPassRate' }, '<=', 100],
    ['p99[login]<300', { kind: 'stepLatency', metric: 'p99', step: 'login' }, '<', 300],
    ['median[read]<50', { kind: 'stepLatency', metric: 'median', step: 'read' }, '<', 50],
    ['p50[read]<50ms', { kind: 'stepLatency', metric: 'median', step: 'read' }, '<', 50],
    ['min[a]>1', { kind: 'stepLatency', metric: 'min', step: 'a' }, '>', 1],
    ['max[a]<1', { kind: 'stepLatency', metric: 'max', step: 'a' }, '<', 1],
    ['mean[a]<1', { kind: 'stepLatency', metric: 'mean', step: 'a' }, '<', 1],
    ['mode[a]<1', { kind: 'stepLatency', metric: 'mode', step: 'a' }, '<', 1],
    ['p90[a]<1', { kind: 'stepLatency', metric: 'p90', step: 'a' }, '<', 1],
    ['p95[a]<1', { kind: 'stepLatency', metric: 'p95', step: 'a' }, '<', 1],
    ['p95[GET /posts]<80', { kind: 'stepLatency', metric: 'p95', step: 'GET /posts' }, '<', 80],
    ['p95 [  GET /posts?page=2&x=<1>  ] < 80 ms', { kind: 'stepLatency', metric: 'p95', step: 'GET /posts?page=2&x=<1>' }, '<', 80],
    ['P99[Login]<300', { kind: 'stepLatency', metric: 'p99', step: 'Login' }, '<', 300],
    ['p99[a[b]<3', { kind: 'stepLatency', metric: 'p99', step: 'a[b' }, '<', 3],
    ['errors[create]<1%', { kind: 'stepErrorRate', step: 'create' }, '<', 1],
    ['errors[create]<=5', { kind: 'stepErrorCount', step: 'create' }, '<=', 5],
    ['rps[home]>=10', { kind: 'stepRps', step: 'home' }, '>=', 10],
    ['iteration_p95<2000', { kind: 'iterationDuration', metric: 'p95' }, '<', 2000],
    ['iteration_p95<2000ms', { kind: 'iterationDuration', metric: 'p95' }, '<', 2000],
    ['iteration_min>100', { kind: 'iterationDuration', metric: 'min' }, '>', 100],
    ['iteration_max<5000', { kind: 'iterationDuration', metric: 'max' }, '<', 5000],
    ['iteration_mean<1500', { kind: 'iterationDuration', metric: 'mean' }, '<', 1500],
    ['iteration_median<1500', { kind: 'iterationDuration', metric: 'median' }, '<', 1500],
    ['iteration_p50<1500', { kind: 'iterationDuration', metric: 'median' }, '<', 1500],
    ['iteration_mode<1500', { kind: 'iterationDuration', metric: 'mode' }, '<', 1500],
    ['iteration_p90<1500', { kind: 'iterationDuration', metric: 'p90' }, '<', 1500],
    ['ITERATION_P99<=3000', { kind: 'iterationDuration', metric: 'p99' }, '<=', 3000],
    ['dropped_iterations==0', { kind: 'droppedIterations' }, '==', 0],
    ['dropped_iterations < 10', { kind: 'droppedIterations' }, '<', 10],
    ['failed_iterations<=3', { kind: 'failedIterations' }, '<=', 3],
    ['failed_iterations<1%', { kind: 'failedIterationRate' }, '<', 1],
  ] as const satisfies readonly (readonly [string, Measure, string, number])[]) {
    it(`reads ${expression}`, () => {
      assert.deepEqual(parseThreshold(expression), { expression: expression.trim(), measure, operator, limit });
    });
  }

  for (const [expression, why] of [
    ['p99[]<3', /the step name between \[ and \] is empty/],
    ['p99[   ]<3', /the step name between \[ and \] is empty/],
    ['errors[]<1%', /the step name between \[ and \] is empty/],
    ['p99[login<300', /expected METRIC OPERATOR NUMBER/],
    ['p99login]<300', /expected METRIC OPERATOR NUMBER/],
    ['p99[login]x<300', /expected METRIC OPERATOR NUMBER/],
    ['p99[a]b]<3', /expected METRIC OPERATOR NUMBER/],
    ['[login]<300', /expected METRIC OPERATOR NUMBER/],
    ['checks>99', /checks is a pass percentage, e\.g\. checks>99%$/],
    ['checks>99ms', /checks is a pass percentage, e\.g\. checks>99%$/],
    ['checks[login]>99%', /checks is over the whole test and takes no \[step\]; only latency metrics, errors and rps do/],
    ['dropped_iterations<1%', /dropped_iterations is a count of iterations, not a percentage/],
    ['dropped_iterations<1ms', /dropped_iterations is a count of iterations, not a duration/],
    ['dropped_iterations[a]==0', /dropped_iterations is over the whole test and takes no \[step\]/],
    ['failed_iterations<3ms', /failed_iterations is a count \(failed_iterations<=3\) or a percentage \(failed_iterations<1%\), not a duration/],
    ['failed_iterations[a]<3', /failed_iterations is over the whole test/],
    ['iteration_p95<5%', /iteration_p95 is an iteration's duration in milliseconds, not a percentage$/],
    ['iteration_p95[login]<5', /iteration_p95 is over the whole test/],
    ['iteration_p42<5', /unknown metric "iteration_p42"/],
    ['iteration_<5', /unknown metric "iteration_"/],
    ['iterations<5', /unknown metric "iterations"/],
    ['foo[x]<1', /unknown metric "foo"/],
    ['p42[x]<1', /unknown metric "p42"/],
    ['p99[login]<5%', /p99 is a latency in milliseconds, not a percentage$/],
    ['p50[login]<5%', /p50 is a latency in milliseconds, not a percentage$/],
    ['rps[home]>5%', /rps is requests per second, not a percentage$/],
    ['errors[create]<5ms', /errors is not a latency/],
  ] as const) {
    it(`refuses "${expression}"`, () => refuses(expression, why));
  }

  it("lists the new forms in an unknown metric's message and in the syntax examples", () => {
    assert.throws(() => parseThreshold('foo[x]<1'), (error: Error) => {
      for (const form of ['p99[login]', 'checks', 'iteration_{min,max,mean,median,mode,p90,p95,p99}', 'dropped_iterations', 'failed_iterations', 'errors', 'rps']) assert.ok(error.message.includes(form), `${form} missing from: ${error.message}`);
      return true;
    });
    assert.throws(() => parseThreshold('nonsense'), (error: Error) => {
      for (const form of ['p99[login]<300', 'errors[create]<1%', 'checks>99%', 'iteration_p95<2000', 'dropped_iterations==0', 'failed_iterations<1%']) assert.ok(error.message.includes(form), `${form} missing from: ${error.message}`);
      return true;
    });
  });
});

describe('thresholds: evaluating the journey forms', () => {
  for (const [expression, ok, actual] of [
    ['checks>98%', true, 98.5],
    ['checks>99%', false, 98.5],
    ['checks==98.5%', true, 98.5],
    ['p99[login]<300', true, 12.3],
    ['p99[login]<12', false, 12.3],
    ['median[GET /posts]<50', true, 40],
    ['p50[GET /posts]<=40', true, 40],
    ['p95[GET /posts]<50', false, null],
    ['errors[create]<1%', false, 3],
    ['errors[create]<=3%', true, 3],
    ['errors[create]<=5', true, 3],
    ['errors[create]<3', false, 3],
    ['errors[login]==0', true, 0],
    ['errors[login]<1%', true, 0],
    ['rps[login]>=10', true, 50],
    ['rps[create]>=10', false, 9.5],
    ['iteration_p95<2000', true, 1900],
    ['iteration_p99<2000', false, 2400],
    ['iteration_p50<=1100', true, 1100],
    ['dropped_iterations==0', true, 0],
    ['failed_iterations<=3', true, 3],
    ['failed_iterations<3', false, 3],
    ['failed_iterations<5%', true, 3],
    ['failed_iterations<3%', false, 3],
  ] as const) {
    it(`${ok ? 'passes' : 'fails'} ${expression} (actual ${actual})`, () => {
      assert.deepEqual(check(expression).result, { expression, ok, actual });
    });
  }

  it('reads a step by its exact name: no such step gives no value, and fails', () => {
    for (const expression of ['p99[logn]<300', 'p99[LOGIN]<300', 'errors[nope]<=5', 'errors[nope]<1%', 'rps[nope]>=0']) {
      assert.deepEqual(check(expression).result, { expression, ok: false, actual: null });
    }
  });

  it('fails per-step thresholds when the figures carry no steps at all', () => {
    const bare: ThresholdFigures = { latency: LATENCY, completed: 400, error_count: 0, rps: 950 };
    for (const expression of ['p99[login]<300', 'errors[login]<1%', 'errors[login]<=5', 'rps[login]>=0']) assert.equal(check(expression, bare).result.actual, null);
    assert.equal(check('errors[login]<1%', figures({ requests: [] })).result.ok, false);
  });

  it('gives a step with no completed request a 0% error rate, as the whole test', () => {
    assert.deepEqual(check('errors[login]<1%', figures({ requests: [step('login', { completed: 0, rps: null, latency: NO_LATENCY })] })).result, { expression: 'errors[login]<1%', ok: true, actual: 0 });
    assert.equal(check('p99[login]<300', figures({ requests: [step('login', { completed: 0, rps: null, latency: NO_LATENCY })] })).result.actual, null);
    assert.equal(check('rps[login]>=0', figures({ requests: [step('login', { completed: 0, rps: null, latency: NO_LATENCY })] })).result.actual, null);
  });

  it('fails checks with no evaluation, whatever the operator', () => {
    for (const checks of [undefined, null, { passes: 0, fails: 0 }]) {
      assert.deepEqual(check('checks<=100%', figures({ checks })).result, { expression: 'checks<=100%', ok: false, actual: null });
      assert.equal(check('checks>=0%', figures({ checks })).result.ok, false);
    }
    assert.deepEqual(check('checks==0%', figures({ checks: { passes: 0, fails: 4 } })).result, { expression: 'checks==0%', ok: true, actual: 0 });
    assert.deepEqual(check('checks==100%', figures({ checks: { passes: 3, fails: 0 } })).result, { expression: 'checks==100%', ok: true, actual: 100 });
    assert.equal(check('checks>66%', figures({ checks: { passes: 2, fails: 1 } })).result.actual, 66.667);
  });

  it('fails the iteration thresholds without iteration figures', () => {
    for (const iterations of [undefined, null]) {
      for (const expression of ['iteration_p95<2000', 'dropped_iterations==0', 'dropped_iterations<=100', 'failed_iterations<=3', 'failed_iterations<100%']) {
        assert.deepEqual(check(expression, figures({ iterations })).result, { expression, ok: false, actual: null });
      }
    }
  });

  it('counts failed iterations over the finished ones, 0% of none; a duration not yet measured fails', () => {
    const none = { completed: 0, failed: 0, dropped: 5, duration: NO_LATENCY };
    assert.deepEqual(check('failed_iterations<1%', figures({ iterations: none })).result, { expression: 'failed_iterations<1%', ok: true, actual: 0 });
    assert.deepEqual(check('iteration_p95<2000', figures({ iterations: none })).result, { expression: 'iteration_p95<2000', ok: false, actual: null });
    assert.deepEqual(check('dropped_iterations==0', figures({ iterations: none })).result, { expression: 'dropped_iterations==0', ok: false, actual: 5 });
    const allFailed = { completed: 0, failed: 8, dropped: 0, duration: NO_LATENCY };
    assert.equal(check('failed_iterations<=100%', figures({ iterations: allFailed })).result.actual, 100);
    assert.equal(check('failed_iterations<1%', figures({ iterations: { completed: 2, failed: 1, dropped: 0, duration: NO_LATENCY } })).result.actual, 33.333);
  });

  it('judges a mixed list each against its own figures, in order', () => {
    const thresholds = parseThresholds(['p95<300', 'checks>99%', 'p99[login]<300', 'dropped_iterations==0', 'errors[create]<=5']);
    assert.deepEqual(
      evaluateThresholds(thresholds, figures()).map((r) => [r.expression, r.ok]),
      [
        ['p95<300', true],
        ['checks>99%', false],
        ['p99[login]<300', true],
        ['dropped_iterations==0', true],
        ['errors[create]<=5', true],
      ],
    );
  });
});

describe('thresholds: report lines with units', () => {
  for (const [expression, aggregate, line] of [
    ['checks>99%', figures(), '✗ checks>99%: actual 98.5% (under by 0.5%)'],
    ['checks>98%', figures(), '✓ checks>98%: actual 98.5%'],
    ['checks>99%', figures({ checks: null }), '✗ checks>99%: no value (no check was evaluated)'],
    ['p99[login]<300', figures(), '✓ p99[login]<300: actual 12.3 ms'],
    ['p99[login]<10', figures(), '✗ p99[login]<10: actual 12.3 ms (over by 2.3 ms)'],
    ['p99[logn]<300', figures(), '✗ p99[logn]<300: no value (no request of step "logn" completed)'],
    ['p99[ login ]<300', figures(), '✓ p99[ login ]<300: actual 12.3 ms'],
    ['errors[create]<1%', figures(), '✗ errors[create]<1%: actual 3% (over by 2%)'],
    ['errors[create]<=1', figures(), '✗ errors[create]<=1: actual 3 errors (over by 2 errors)'],
    ['errors[create]==0', figures({ requests: [step('create', { error_count: 1 })] }), '✗ errors[create]==0: actual 1 error (off by 1 error)'],
    ['rps[create]>=10', figures(), '✗ rps[create]>=10: actual 9.5 req/s (under by 0.5 req/s)'],
    ['iteration_p95<2000', figures(), '✓ iteration_p95<2000: actual 1900 ms'],
    ['iteration_p99<2000', figures(), '✗ iteration_p99<2000: actual 2400 ms (over by 400 ms)'],
    ['iteration_p95<2000', figures({ iterations: { completed: 0, failed: 0, dropped: 0, duration: NO_LATENCY } }), '✗ iteration_p95<2000: no value (no iteration completed)'],
    ['dropped_iterations==0', figures({ iterations: { completed: 9, failed: 0, dropped: 3, duration: NO_LATENCY } }), '✗ dropped_iterations==0: actual 3 dropped iterations (off by 3 dropped iterations)'],
    ['dropped_iterations<1', figures({ iterations: { completed: 9, failed: 0, dropped: 1, duration: NO_LATENCY } }), '✗ dropped_iterations<1: actual 1 dropped iteration (equal to the limit, must be below it)'],
    ['dropped_iterations==0', figures(), '✓ dropped_iterations==0: actual 0 dropped iterations'],
    ['dropped_iterations==0', figures({ iterations: null }), '✗ dropped_iterations==0: no value (no iteration figures)'],
    ['failed_iterations<=1', figures(), '✗ failed_iterations<=1: actual 3 failed iterations (over by 2 failed iterations)'],
    ['failed_iterations<1%', figures(), '✗ failed_iterations<1%: actual 3% (over by 2%)'],
    ['failed_iterations<1%', figures({ iterations: undefined }), '✗ failed_iterations<1%: no value (no iteration figures)'],
  ] as const) {
    it(`prints ${line}`, () => {
      assert.equal(check(expression, aggregate).line, line);
    });
  }

  it('prints one line per threshold, in order', () => {
    const thresholds = parseThresholds(['p95<300', 'checks>98%', 'rps[home]>=10']);
    assert.deepEqual(thresholdReport(thresholds, evaluateThresholds(thresholds, figures())), ['✓ p95<300: actual 245.1 ms', '✓ checks>98%: actual 98.5%', '✗ rps[home]>=10: no value (no request of step "home" completed)']);
  });
});

describe('thresholds: judging errors', () => {
  it('counts the whole test, per-step error and failed-iteration thresholds as judging errors', () => {
    for (const expression of ['errors<1%', 'errors<=5', 'errors[create]<1%', 'errors[create]<=5', 'failed_iterations<=3', 'failed_iterations<1%']) {
      assert.equal(judgesErrors(parseThresholds(['p95<200', expression])), true, expression);
    }
  });

  it('does not count latency, rps, checks or other iteration thresholds', () => {
    assert.equal(judgesErrors(parseThresholds(['p95<200', 'rps>=1', 'p99[login]<3', 'rps[home]>1', 'checks>99%', 'iteration_p95<2000', 'dropped_iterations==0'])), false);
    assert.equal(judgesErrors([]), false);
  });
});

describe('thresholds: step names', () => {
  it('lists the distinct step names the thresholds refer to, in order of first mention', () => {
    const thresholds = parseThresholds(['p95<200', 'p99[login]<300', 'errors[create]<1%', 'rps[ login ]>=1', 'checks>99%', 'median[GET /posts]<50', 'iteration_p95<2000', 'errors[create]<=5']);
    assert.deepEqual(thresholdStepNames(thresholds), ['login', 'create', 'GET /posts']);
    assert.deepEqual(thresholdStepNames(parseThresholds(['p95<200', 'errors<1%'])), []);
  });

  it('has nothing to say when every named step exists', () => {
    assert.deepEqual(unknownStepProblems(parseThresholds(['p99[login]<300', 'errors[create]<1%', 'p95<200', 'checks>99%']), ['login', 'create', 'read']), []);
    assert.deepEqual(unknownStepProblems([], []), []);
  });

  it('names each threshold whose step does not exist, with the steps and the closest name within 2 edits', () => {
    const thresholds = parseThresholds(['p99[logn]<300', 'p95<200', 'errors[craete]<1%', 'rps[checkout]>=1', 'p99[read]<5', 'median[Read]<50', 'p90[logn]<1']);
    assert.deepEqual(unknownStepProblems(thresholds, ['login', 'create', 'read']), [
      'threshold "p99[logn]<300" names step "logn", which the test does not have (steps: login, create, read); did you mean "login"?',
      'threshold "errors[craete]<1%" names step "craete", which the test does not have (steps: login, create, read); did you mean "create"?',
      'threshold "rps[checkout]>=1" names step "checkout", which the test does not have (steps: login, create, read)',
      'threshold "median[Read]<50" names step "Read", which the test does not have (steps: login, create, read); did you mean "read"?',
      'threshold "p90[logn]<1" names step "logn", which the test does not have (steps: login, create, read); did you mean "login"?',
    ]);
  });

  it('suggests the nearest of several close names, and none 3 edits away', () => {
    assert.deepEqual(unknownStepProblems(parseThresholds(['p99[GET /post]<3']), ['GET /posts', 'GET /post/1']), ['threshold "p99[GET /post]<3" names step "GET /post", which the test does not have (steps: GET /posts, GET /post/1); did you mean "GET /posts"?']);
    assert.deepEqual(unknownStepProblems(parseThresholds(['p99[abc]<3']), ['xyz']), ['threshold "p99[abc]<3" names step "abc", which the test does not have (steps: xyz)']);
  });

  it('says so when the test has no named steps', () => {
    assert.deepEqual(unknownStepProblems(parseThresholds(['p99[login]<300']), []), ['threshold "p99[login]<300" names step "login", which the test does not have (it has no named steps)']);
  });
});
