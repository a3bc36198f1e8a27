import type { Logger } from '../log/logger.js';
import type { MetricsStore } from '../store/metricsStore.js';
import type { PlanLog, PlanSummary } from './planLog.js';
import type { TestLog, TestSummary } from './testLog.js';
import { isFinished } from './testProjection.js';

/** `--retain`: finished tests and plans older than this go; `--retain-tests`: only this many newest finished ones stay. */
export type RetentionPolicy = { maxAgeMs?: number | undefined; keep?: number | undefined };

/** How often retention looks for what to remove. */
export const RETENTION_SWEEP_MS = 60_000;

type Finished = { id: string; finishedAtMs: number };

/**
 * What retention removes now (pure): finished tests and plans that finished longer than `maxAgeMs` ago,
 * and those past the newest `keep` finished ones. Never a test or plan still running, nor a test of a
 * plan still running (the plan reads its tests' verdicts).
 */
export function retentionVictims(tests: readonly TestSummary[], plans: readonly PlanSummary[], policy: RetentionPolicy, nowMs: number): { tests: string[]; plans: string[] } {
  const runningPlanTests = new Set(plans.filter((plan) => plan.state === 'running').flatMap((plan) => plan.tests.map((test) => test.test_id)));
  const finishedTests = tests.filter((test) => isFinished(test) && !runningPlanTests.has(test.test_id)).map((test) => ({ id: test.test_id, finishedAtMs: Date.parse(test.finished_at ?? test.created_at) }));
  const finishedPlans = plans.filter((plan) => plan.state === 'finished').map((plan) => ({ id: plan.plan_id, finishedAtMs: Date.parse(plan.finished_at ?? plan.created_at) }));
  return { tests: victims(finishedTests, policy, nowMs), plans: victims(finishedPlans, policy, nowMs) };
}

function victims(finished: Finished[], policy: RetentionPolicy, nowMs: number): string[] {
  const newestFirst = [...finished].sort((a, b) => b.finishedAtMs - a.finishedAtMs);
  return newestFirst.filter((item, index) => (policy.keep !== undefined && index >= policy.keep) || (policy.maxAgeMs !== undefined && nowMs - item.finishedAtMs > policy.maxAgeMs)).map((item) => item.id);
}

/**
 * Removes what the policy no longer keeps, from memory and from the store (events, figures and reports:
 * all of a test is its events), in the background; a removed id is then answered 404 with why.
 */
export class Retention {
  constructor(
    private readonly tests: TestLog,
    private readonly plans: PlanLog,
    private readonly store: MetricsStore,
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
  ) {}

  /** Returns how many tests and plans it removed. */
  sweep(nowMs: number): { tests: number; plans: number } {
    const doomed = retentionVictims(this.tests.list(), this.plans.list(), this.policy, nowMs);
    if (doomed.tests.length + doomed.plans.length === 0) return { tests: 0, plans: 0 };
    this.store.removeEvents([...doomed.tests, ...doomed.plans], `removed by retention (${describePolicy(this.policy)}) at ${new Date(nowMs).toISOString()}`);
    this.tests.forget(doomed.tests);
    this.plans.forget(doomed.plans);
    this.log.info({ tests: doomed.tests.length, plans: doomed.plans.length, policy: describePolicy(this.policy) }, 'retention removed finished tests and plans');
    return { tests: doomed.tests.length, plans: doomed.plans.length };
  }
}

export function describePolicy(policy: RetentionPolicy): string {
  const parts: string[] = [];
  if (policy.maxAgeMs !== undefined) parts.push(`--retain ${formatAge(policy.maxAgeMs)}`);
  if (policy.keep !== undefined) parts.push(`--retain-tests ${policy.keep}`);
  return parts.join(', ');
}

function formatAge(ms: number): string {
  const seconds = ms / 1000;
  if (seconds % 86_400 === 0) return `${seconds / 86_400}d`;
  if (seconds % 3600 === 0) return `${seconds / 3600}h`;
  return `${seconds}s`;
}
