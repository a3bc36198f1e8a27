import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { evaluateThresholds, parseThreshold, parseThresholds, thresholdReport, ThresholdSyntaxError } from '../../../src/api/thresholds.js';
import { figures } from '../../cli/fixtures.js';

function check(expression: string, aggregate = figures()) {
  const thresholds = parseThresholds([expression]);
  const results = evaluateThresholds(thresholds, aggregate);
  return { result: results[0]!, line: thresholdReport(thresholds, results)[0]! };
}

describe('threshold parsing', () => {
  for (const [expression, measure, operator, limit] of [
    ['p95<200', { kind: 'latency', metric: 'p95' }, '<', 200],
    ['p99<=500', { kind: 'latency', metric: 'p99' }, '<=', 500],
    ['median<50', { kind: 'latency', metric: 'median' }, '<', 50],
    ['p50 < 50ms', { kind: 'latency', metric: 'median' }, '<', 50],
    ['min>0.1', { kind: 'latency', metric: 'min' }, '>', 0.1],
    ['mode==2', { kind: 'latency', metric: 'mode' }, '==', 2],
    ['errors<1%', { kind: 'errorRate' }, '<', 1],
    ['errors<=5', { kind: 'errorCount' }, '<=', 5],
    ['rps>=900', { kind: 'rps' }, '>=', 900],
  ] as const) {
    it(`reads ${expression}`, () => {
      assert.deepEqual(parseThreshold(expression), { expression, measure, operator, limit });
    });
  }

  for (const [expression, why] of [
    ['p95', /expected METRIC OPERATOR NUMBER/],
    ['p95=<200', /expected METRIC OPERATOR NUMBER/],
    ['p95<abc', /expected METRIC OPERATOR NUMBER/],
    ['p95<-1', /expected METRIC OPERATOR NUMBER/],
    ['p42<3', /unknown metric "p42"/],
    ['latency<3', /unknown metric "latency"/],
    ['p95<5%', /latency in milliseconds, not a percentage/],
    ['rps>5%', /not a percentage/],
    ['errors<5ms', /errors is not a latency/],
    ['', /expected METRIC/],
  ] as const) {
    it(`refuses "${expression}" with an error naming it`, () => {
      assert.throws(
        () => parseThreshold(expression),
        (error: Error) => error instanceof ThresholdSyntaxError && error.message.includes(`threshold "${expression}"`) && why.test(error.message),
      );
    });
  }
});

describe('threshold evaluation', () => {
  it('fails a latency over its limit and says by how much', () => {
    const { result, line } = check('p95<200');
    assert.deepEqual(result, { expression: 'p95<200', ok: false, actual: 245.1 });
    assert.equal(line, '✗ p95<200: actual 245.1 ms (over by 45.1 ms)');
  });

  it('passes a latency within its limit', () => {
    const { result, line } = check('p99<=300');
    assert.equal(result.ok, true);
    assert.equal(line, '✓ p99<=300: actual 300 ms');
  });

  it('says "under by" when a lower bound is missed, and "off by" for ==', () => {
    assert.equal(check('rps>=1000').line, '✗ rps>=1000: actual 950 req/s (under by 50 req/s)');
    assert.equal(check('min==0.2').line, '✗ min==0.2: actual 0.5 ms (off by 0.3 ms)');
    assert.equal(check('p95<245.1').line, '✗ p95<245.1: actual 245.1 ms (equal to the limit, must be below it)');
  });

  it('takes the error rate over completed requests, in percent', () => {
    const aggregate = figures({ completed: 400, error_count: 10, errors: { http_500: 10 } });
    assert.deepEqual(check('errors<1%', aggregate).result, { expression: 'errors<1%', ok: false, actual: 2.5 });
    assert.equal(check('errors<1%', aggregate).line, '✗ errors<1%: actual 2.5% (over by 1.5%)');
    assert.equal(check('errors<5%', aggregate).result.ok, true);
  });

  it('counts errors when the limit has no %', () => {
    const aggregate = figures({ error_count: 5 });
    assert.equal(check('errors<=5', aggregate).result.ok, true);
    assert.equal(check('errors<5', aggregate).line, '✗ errors<5: actual 5 errors (equal to the limit, must be below it)');
  });

  it('fails a threshold with nothing measured instead of passing it silently', () => {
    const empty = figures({ completed: 0, rps: null, latency: { min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null } });
    assert.deepEqual(check('p99<5000', empty).result, { expression: 'p99<5000', ok: false, actual: null });
    assert.equal(check('rps>=1', empty).line, '✗ rps>=1: no value (no request completed)');
    assert.equal(check('errors<1%', empty).result.ok, true);
  });
});
