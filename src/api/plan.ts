import { z } from 'zod';
import { ID_MAX_LENGTH } from '../protocol/index.js';
import type { CreateTestBody } from './createTest.js';
import { scenarioShape, scenarioTest, type Scenario, type ScenarioIssue } from './scenario.js';
import { TEST_STATES } from './views.js';

/** More tests than a plan run one after another could sensibly hold. */
export const MAX_PLAN_TESTS = 100;
/** A test is run again at most this many times. */
export const MAX_RETRIES = 10;

const planName = z.string({ error: 'must be a name' }).min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`);

const planTestEntry = z.strictObject({
  name: planName.meta({ description: 'the test’s name in the plan' }),
  ...scenarioShape,
  retries: z
    .int({ error: 'must be an integer' })
    .min(0, 'must be >= 0')
    .max(MAX_RETRIES, `must be at most ${MAX_RETRIES}`)
    .optional()
    .meta({ description: `how many more times a failed test (state failed, or a failed threshold) is run; 0 to ${MAX_RETRIES}, default 0` }),
  continue_on_failure: z.boolean({ error: 'must be true or false' }).optional().meta({ description: 'true: the plan goes on to the next test when this one still fails' }),
});

const PLAN_ONLY_KEYS = new Set(['name', 'retries', 'continue_on_failure']);

/**
 * The body of POST /api/plans, and the content of a plan file (YAML or JSON): a name, plan-wide
 * defaults (any scenario key, e.g. target, drivers, thresholds) that each test may override, and the
 * tests run one after another. Every problem is named by its path, e.g. `tests[2].thresholds[0]`.
 */
export const createPlanBody = z
  .strictObject({
    name: planName.meta({ description: 'the plan’s name' }),
    ...scenarioShape,
    tests: z
      .array(planTestEntry, { error: 'must be a list of tests' })
      .min(1, 'must list at least one test: the plan is empty')
      .max(MAX_PLAN_TESTS, `must list at most ${MAX_PLAN_TESTS} tests`)
      .meta({ description: 'run one after another; each one’s keys override the plan-wide ones' }),
  })
  .superRefine((plan, ctx) => {
    if (!Array.isArray(plan.tests)) return;
    const reported = new Set<string>();
    plan.tests.forEach((entry, index) => {
      const { issues } = scenarioTest(mergedScenario(plan, entry));
      for (const issue of issues) {
        const path = issuePath(plan, entry, index, issue);
        const key = JSON.stringify(path);
        if (reported.has(key)) continue;
        reported.add(key);
        ctx.addIssue({ code: 'custom', path, message: issue.message });
      }
    });
    const seen = new Map<string, number>();
    plan.tests.forEach((entry, index) => {
      const first = seen.get(entry.name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: ['tests', index, 'name'], message: `"${entry.name}" is the name of tests[${first}] too; each test needs its own` });
      seen.set(entry.name, index);
    });
  });

export type CreatePlanBody = z.input<typeof createPlanBody>;
type ParsedPlan = z.output<typeof createPlanBody>;
type PlanTestEntry = ParsedPlan['tests'][number];

/** The plan's defaults with the test's own keys over them. */
function mergedScenario(plan: ParsedPlan, entry: PlanTestEntry): Scenario {
  const defaults = Object.fromEntries(Object.entries(plan).filter(([key]) => key !== 'name' && key !== 'tests'));
  const own = Object.fromEntries(Object.entries(entry).filter(([key]) => !PLAN_ONLY_KEYS.has(key)));
  return { ...defaults, ...own } as Scenario;
}

/** A problem with a key the test set is the test's; with a plan-wide default, the default's (named once). */
function issuePath(plan: ParsedPlan, entry: PlanTestEntry, index: number, issue: ScenarioIssue): (string | number)[] {
  const key = issue.path[0];
  const fromDefaults = typeof key === 'string' && !(key in entry) && (plan as Record<string, unknown>)[key] !== undefined;
  return fromDefaults ? issue.path : ['tests', index, ...issue.path];
}

/** One test of a plan as the orchestrator runs it: the create-test body (defaults merged) and its thresholds. */
export type PlanTestSpec = { name: string; retries: number; continue_on_failure: boolean; body: CreateTestBody; thresholds: string[] };
export type PlanSpec = { name: string; tests: PlanTestSpec[] };

/** The plan in the form kept in the event log: every test with its defaults merged and its keys translated. */
export function planSpec(plan: ParsedPlan): PlanSpec {
  return {
    name: plan.name,
    tests: plan.tests.map((entry) => {
      const { test } = scenarioTest(mergedScenario(plan, entry));
      if (!test) throw new Error(`plan ${plan.name}: test ${entry.name} was not validated`);
      return { name: entry.name, retries: entry.retries ?? 0, continue_on_failure: entry.continue_on_failure ?? false, body: test.body, thresholds: test.thresholds };
    }),
  };
}

/** How one attempt, or a test of a plan, came out: a threshold failure is told apart from a failed test (exit 99 vs 1). */
export const ATTEMPT_VERDICTS = ['passed', 'threshold_failed', 'failed', 'cancelled'] as const;
export type AttemptVerdict = (typeof ATTEMPT_VERDICTS)[number];
export const PLAN_TEST_STATES = ['pending', 'running', ...ATTEMPT_VERDICTS, 'not_run'] as const;
export const PLAN_VERDICTS = ATTEMPT_VERDICTS;

const thresholdResultView = z.object({ expression: z.string(), ok: z.boolean(), actual: z.number().nullable() });

export const planAttemptView = z.object({
  attempt: z.int().meta({ description: '1 for the first run, 2 for the first retry…' }),
  test_id: z.string().nullable().meta({ description: 'the test of this attempt; null when it could not be created (its reason says why)' }),
  started_at: z.string(),
  finished_at: z.string().nullable(),
  state: z.enum(TEST_STATES).nullable().meta({ description: 'the test’s state when the attempt ended' }),
  verdict: z.enum(ATTEMPT_VERDICTS).nullable(),
  reason: z.string().nullable(),
  thresholds: z.array(thresholdResultView).meta({ description: 'each threshold evaluated by the orchestrator on the test’s overall figures' }),
  interrupted: z.boolean().meta({ description: 'ended by an orchestrator restart, not by the test: retried without using up a retry' }),
});

export const planTestView = z.object({
  name: z.string(),
  state: z.enum(PLAN_TEST_STATES).meta({ description: 'pending, running, its verdict once it ended, or not_run when the plan stopped before it' }),
  retries: z.int(),
  continue_on_failure: z.boolean(),
  thresholds: z.array(z.string()),
  config: z.record(z.string(), z.unknown()).meta({ description: 'the create-test body this test posts (plan defaults merged)' }),
  attempts: z.array(planAttemptView),
});

export const planView = z.object({
  plan_id: z.string(),
  name: z.string(),
  state: z.enum(['running', 'finished']),
  verdict: z.enum(PLAN_VERDICTS).nullable().meta({ description: 'once finished: passed, threshold_failed (some threshold failed), failed (some test failed) or cancelled' }),
  reason: z.string().nullable(),
  created_at: z.string(),
  finished_at: z.string().nullable(),
  cancel_requested_at: z.string().nullable(),
  current_test: z.int().nullable().meta({ description: 'index in tests of the test running now' }),
  tests: z.array(planTestView),
});

export type PlanView = z.output<typeof planView>;
export type PlanAttemptView = z.output<typeof planAttemptView>;
export type PlanTestView = z.output<typeof planTestView>;
