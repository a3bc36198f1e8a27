import type { PlanView, TestDetailView } from '../../api/index.js';
import { alignColumns, errorPercent } from './summaryTable.js';

export type PlanVerdictExit = { exitCode: number; problem: string | undefined };

/** 0 every test passed, 99 a threshold failed (and no test failed), 1 a test failed or the plan was cancelled. */
export function planExitCode(plan: PlanView): PlanVerdictExit {
  switch (plan.verdict) {
    case 'passed':
      return { exitCode: 0, problem: undefined };
    case 'threshold_failed':
      return { exitCode: 99, problem: `plan ${plan.plan_id}: a threshold failed${plan.reason ? `; ${plan.reason}` : ''}` };
    default:
      return { exitCode: 1, problem: `plan ${plan.plan_id} ${plan.verdict ?? plan.state}${plan.reason ? `: ${plan.reason}` : ''}` };
  }
}

/** A row per test: attempts, verdict and the last attempt's key figures; then each failed threshold. */
export function planSummary(plan: PlanView, lastTests: ReadonlyMap<string, TestDetailView>): string {
  const header = ['test', 'attempts', 'verdict', 'requests', 'errors', 'rps', 'p50', 'p99'];
  const rows = plan.tests.map((test) => {
    const last = test.attempts.at(-1);
    const view = last?.test_id ? lastTests.get(last.test_id) : undefined;
    const f = view?.aggregate;
    const figures = f ? [String(f.completed), `${f.error_count} (${errorPercent(f)})`, f.rps === null ? '-' : f.rps.toFixed(1), fixed(f.latency.median), fixed(f.latency.p99)] : ['-', '-', '-', '-', '-'];
    return [test.name, String(test.attempts.length), test.state, ...figures];
  });
  const lines = [`plan ${plan.name} (${plan.plan_id}): ${plan.verdict ?? plan.state}`, '', ...alignColumns([header, ...rows]).map((line) => `  ${line}`)];
  for (const test of plan.tests) {
    for (const attempt of test.attempts) {
      const missed = attempt.thresholds.filter((t) => !t.ok);
      if (missed.length > 0) lines.push(`  ${test.name} attempt ${attempt.attempt}: ${missed.map((t) => `✗ ${t.expression} (actual ${t.actual ?? 'none'})`).join(', ')}`);
      else if (attempt.verdict !== 'passed' && attempt.reason) lines.push(`  ${test.name} attempt ${attempt.attempt}: ${attempt.reason}`);
    }
  }
  lines.push('', '  latencies in ms, of each test’s last attempt');
  return lines.join('\n');
}

function fixed(value: number | null): string {
  return value === null ? '-' : value.toFixed(2);
}

/** `stampede run --plan --json`: the plan and, for each test, its verdict and every attempt. */
export function planJson(plan: PlanView): object {
  return {
    plan_id: plan.plan_id,
    name: plan.name,
    verdict: plan.verdict,
    reason: plan.reason,
    tests: plan.tests.map((test) => ({
      name: test.name,
      verdict: test.state,
      attempts: test.attempts.map((a) => ({ attempt: a.attempt, test_id: a.test_id, state: a.state, verdict: a.verdict, reason: a.reason, thresholds: a.thresholds, interrupted: a.interrupted })),
    })),
  };
}
