import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { comparableReport, compareReports } from '../../src/report/comparison.js';

const latency = (p99: number) => ({ min: 1, mean: 2, median: 2, p90: 3, p95: 4, p99, max: 9 });

function scenarioResult(iterationP99: number, failedIterations: number, checkFails: number) {
  return comparableReport.parse({
    test_id: 't',
    state: 'completed',
    aggregate: {
      sent: 100,
      completed: 100,
      error_count: 0,
      rps: 50,
      latency: latency(5),
      requests: [{ name: 'login', sent: 50, completed: 50, error_count: 0, rps: 25, latency: latency(5) }],
      groups: [{ name: 'browse', sent: 50, completed: 50, error_count: 0, rps: 25, latency: latency(6) }],
      iterations: { completed: 50 - failedIterations, failed: failedIterations, dropped: 0, failed_by_reason: {}, duration: latency(iterationP99) },
      checks: { passes: 100 - checkFails, fails: checkFails, by_name: [] },
    },
  });
}

describe('stampede compare on scenario tests', () => {
  it('compares iterations (failed as errors, durations as latency), checks (fails as errors) and shared groups', () => {
    const { scopes } = compareReports(scenarioResult(200, 0, 0), scenarioResult(300, 5, 10));
    assert.deepEqual(scopes.map((s) => s.scope), ['overall', 'request login', 'iterations', 'checks', 'group browse']);
    const metric = (scope: string, name: string) => scopes.find((s) => s.scope === scope)!.metrics.find((m) => m.metric === name)!;
    assert.deepEqual([metric('iterations', 'p99').base, metric('iterations', 'p99').new, metric('iterations', 'p99').change_pct], [200, 300, 50]);
    assert.deepEqual([metric('iterations', 'error_rate').base, metric('iterations', 'error_rate').new], [0, 10]);
    assert.deepEqual([metric('checks', 'error_rate').base, metric('checks', 'error_rate').new], [0, 10]);
    assert.equal(metric('checks', 'p99').base, null);
  });

  it('reads a plain result (no iterations, checks or groups) as before', () => {
    const plain = comparableReport.parse({ test_id: 't', state: 'completed', aggregate: { sent: 1, completed: 1, error_count: 0, rps: 1, latency: latency(1) } });
    assert.deepEqual(compareReports(plain, plain).scopes.map((s) => s.scope), ['overall']);
  });
});
