import { z } from 'zod';
import { durationSeconds } from './duration.js';
import { EXECUTOR_NAMES, executorNamed, type DriverShare, type Executor, type ExecutorPlan } from './executors/index.js';
import { flowSteps, requestSteps, type FlowStep } from './flows.js';
import { isDataVariable, undefinedVariables } from './flowVariables.js';
import { MAX_PLAN_SECONDS, plannedDurationMs, plannedWorkloadMs, type ShapeFields } from './loadShape.js';
import { requestName, type RequestSpec } from './requests.js';
import { scenarioData, type ScenarioData } from './data.js';

/**
 * The `scenarios` of a test: named scenarios that run at the same time on every driver taking part, each
 * with an executor (when iterations start, src/protocol/executors/), a flow (what one iteration does,
 * flows.ts) and an optional `start_after`. One schema for the REST body and the test_config extension.
 */

export const SCENARIO_LIMITS = { scenarios: 20, nameLength: 64 } as const;
export const SCENARIO_NAME = /^[A-Za-z0-9_-]{1,64}$/;
export const DEFAULT_GRACEFUL_STOP_S = 30;

/** Seconds as a number, or a duration text such as "30s" or "1m30s". */
export type SecondsValue = number | string;

export function secondsOf(value: SecondsValue | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  return typeof value === 'number' ? value : (durationSeconds(value) ?? fallback);
}

const secondsValue = (what: string) =>
  z
    .union([z.number(), z.string()], { error: 'must be seconds, or a duration such as "30s"' })
    .superRefine((value, ctx) => {
      const seconds = typeof value === 'number' ? value : durationSeconds(value);
      if (seconds === undefined || !(seconds >= 0) || seconds > MAX_PLAN_SECONDS) ctx.addIssue({ code: 'custom', message: `must be from 0 to ${MAX_PLAN_SECONDS} seconds, or a duration such as "30s", got ${JSON.stringify(value)}` });
    })
    .meta({ description: what });

/** What every scenario has, whatever its executor. */
const COMMON_FIELDS = {
  flow: flowSteps.meta({ description: 'what one iteration does: request steps (with capture and check), think, loop, group' }),
  start_after: secondsValue('seconds (or "30s") after the test starts before this scenario starts').optional(),
  graceful_stop: secondsValue(`how long a stopping VU may finish its iteration (default ${DEFAULT_GRACEFUL_STOP_S} s)`).optional(),
  data: scenarioData.optional(),
};

export type Scenario = {
  executor: string;
  flow: FlowStep[];
  start_after?: SecondsValue | undefined;
  graceful_stop?: SecondsValue | undefined;
  data?: ScenarioData | undefined;
} & Record<string, unknown>;

function executorSchema(executor: Executor) {
  return z
    .strictObject({ executor: z.literal(executor.name), ...COMMON_FIELDS, ...executor.fields })
    .superRefine((scenario, ctx) => {
      for (const problem of executor.problems(scenario)) ctx.addIssue({ code: 'custom', ...problem });
      // The columns of a data source are known where its file is (the orchestrator checks them there).
      const problems = undefinedVariables(scenario.flow as FlowStep[], []).filter((problem) => !(scenario.data && isDataVariable(problem.variable)));
      for (const problem of problems) ctx.addIssue({ code: 'custom', path: ['flow', ...problem.path], message: problem.message });
    });
}

const SCHEMAS = new Map(EXECUTOR_NAMES.map((name) => [name, executorSchema(executorNamed(name)!)]));

/** One scenario, parsed by its executor's schema so each problem is named at its path. */
const scenario: z.ZodType<Scenario> = z.unknown().transform((value, ctx) => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a scenario: {executor, flow, …}' });
    return z.NEVER;
  }
  const name = (value as { executor?: unknown }).executor;
  const schema = typeof name === 'string' ? SCHEMAS.get(name) : undefined;
  if (!schema) {
    ctx.addIssue({ code: 'custom', path: ['executor'], message: `must be one of ${EXECUTOR_NAMES.join(', ')}` });
    return z.NEVER;
  }
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as Scenario;
  for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue), path: issue.path });
  return z.NEVER;
});

export const scenarioMap = z
  .record(z.string().regex(SCENARIO_NAME, `a scenario's name is 1 to ${SCENARIO_LIMITS.nameLength} letters, digits, _ or -`), scenario, {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  })
  .superRefine((scenarios, ctx) => {
    const count = Object.keys(scenarios).length;
    if (count === 0) ctx.addIssue({ code: 'custom', message: 'must name at least one scenario' });
    if (count > SCENARIO_LIMITS.scenarios) ctx.addIssue({ code: 'custom', message: `at most ${SCENARIO_LIMITS.scenarios} scenarios` });
  })
  .meta({ description: `named scenarios run at the same time: {executor (${EXECUTOR_NAMES.join(', ')}), flow, start_after, graceful_stop, and the executor's fields}` });

export type Scenarios = Record<string, Scenario>;

/** A scenario's plan on one driver: its executor's, with when it starts and how long its VUs may finish. */
export type ScenarioPlan = ExecutorPlan & {
  name: string;
  flow: FlowStep[];
  startAfterMs: number;
  gracefulStopMs: number;
  /** `{{vu}}` of this driver's local VU k (from 0) is firstVuId + k · drivers: unique across scenarios and the fleet */
  firstVuId: number;
  vuIdStep: number;
  /** where its iterations' rows come from, when it reads test data */
  data: ScenarioData | undefined;
};

/** Every scenario's plan for this driver, in the order the test gives them. */
export function scenarioPlans(scenarios: Scenarios, share: DriverShare): ScenarioPlan[] {
  let vuIdsBefore = 0;
  return Object.entries(scenarios).map(([name, s]) => {
    const executor = executorNamed(s.executor);
    if (!executor) throw new Error(`scenario ${name}: unknown executor ${s.executor}`);
    const plan = executor.plan(s, share);
    // The largest share (the first driver's) sizes every driver's block of ids.
    const block = executor.plan(s, { index: 0, count: share.count }).maxVus * share.count;
    const planned: ScenarioPlan = {
      ...plan,
      name,
      flow: s.flow,
      startAfterMs: secondsOf(s.start_after, 0) * 1000,
      gracefulStopMs: secondsOf(s.graceful_stop, DEFAULT_GRACEFUL_STOP_S) * 1000,
      firstVuId: vuIdsBefore + share.index + 1,
      vuIdStep: share.count,
      data: s.data,
    };
    vuIdsBefore += block;
    return planned;
  });
}

/**
 * How long a test is planned to run: its load shape's, or with scenarios the end of the last one when time
 * bounds every scenario (arrivals, constant and ramping VUs); undefined when counts decide (iterations).
 */
export function plannedTestMs(config: ShapeFields & { scenarios?: Scenarios | undefined }): number | undefined {
  if (!config.scenarios) return plannedWorkloadMs(config);
  let end = 0;
  for (const plan of scenarioPlans(config.scenarios, { index: 0, count: 1 })) {
    const ms = plan.model === 'arrivals' ? plannedDurationMs(plan.segments) : plan.iterationsPerVu === undefined && plan.sharedIterations === undefined ? plan.durationMs : undefined;
    if (ms === undefined) return undefined;
    end = Math.max(end, plan.startAfterMs + ms);
  }
  return end;
}

/** Iterations this driver plans over every scenario; undefined when one of them is bounded by time only. */
export function plannedIterations(scenarios: Scenarios, share: DriverShare): number | undefined {
  let total = 0;
  for (const s of Object.values(scenarios)) {
    const planned = executorNamed(s.executor)?.plannedIterations(s, share);
    if (planned === undefined) return undefined;
    total += planned;
  }
  return total;
}

/** Every request step's name over every scenario, once each, in flow order: the figures' per-step names. */
export function stepNames(scenarios: Scenarios): string[] {
  return [...new Set(Object.values(scenarios).flatMap((s) => requestSteps(s.flow).map(({ step }) => requestName(step))))];
}

/**
 * The named requests a test's figures are kept under: its `requests`, or its flows' request steps (each
 * name once, with the method and URL of its first step); none for a plain target_url test.
 */
export function figureRequests(config: { requests?: RequestSpec[] | undefined; scenarios?: Scenarios | undefined }): RequestSpec[] {
  if (config.requests) return config.requests;
  if (!config.scenarios) return [];
  const byName = new Map<string, RequestSpec>();
  for (const s of Object.values(config.scenarios)) {
    for (const { step } of requestSteps(s.flow)) {
      const name = requestName(step);
      if (!byName.has(name)) byName.set(name, { name, method: step.method, url: step.url, weight: 1 });
    }
  }
  return [...byName.values()];
}

/** Every group's name over every scenario, once each. */
export function groupNames(scenarios: Scenarios): string[] {
  return [...new Set(Object.values(scenarios).flatMap((s) => requestSteps(s.flow).flatMap(({ groups }) => groups)))];
}

/** This driver's place among the drivers a config names (the whole test when it names none or not this one). */
export function driverShare(driverIds: readonly string[] | undefined, nodeId: string): DriverShare {
  const index = driverIds?.indexOf(nodeId) ?? -1;
  return index < 0 || !driverIds ? { index: 0, count: 1 } : { index, count: driverIds.length };
}
