import { z } from 'zod';
import { fieldPath, figureRequests, requestName, TEST_TYPES, type RequestSpec, type Scenarios } from '../protocol/index.js';
import { createTestBody, fieldErrors, type CreateTestBody, type FieldError } from './createTest.js';
import { durationSeconds, hasDurationUnit, parseStageText } from '../protocol/index.js';
import { parseThreshold, ThresholdSyntaxError, unknownStepProblems, type Threshold } from './thresholds.js';

/**
 * Scenario and plan files describe a test with the CLI's long option names as keys (`_` for `-`), values
 * as the flags take them (`type: tsunami`, `duration: 30s`, `stages: ["30s:500"]`). This module is the one
 * translation from those keys to the REST create-test body: `stampede run --scenario` and plans use it.
 */
const durationText = z.union([z.number(), z.string()], { error: 'must be a duration such as 30s, 1m30s or 500ms (a bare number is seconds)' });

export const SCENARIO_FIELDS = {
  type: z.string({ error: `must be one of ${TEST_TYPES.map((t) => t.toLowerCase()).join(', ')}` }).meta({ description: `the load model (--type): ${TEST_TYPES.map((t) => t.toLowerCase()).join(' or ')}` }),
  count: z.number({ error: 'must be a number' }).meta({ description: 'requests per driver (--count)' }),
  delay_ms: z.number({ error: 'must be a number' }).meta({ description: 'TSUNAMI: milliseconds between request starts (--delay-ms)' }),
  rate: z.number({ error: 'must be a number' }).meta({ description: 'requests per second per driver (--rate)' }),
  target: z.string({ error: 'must be an http(s) URL' }).meta({ description: 'the URL every request goes to (--target)' }),
  drivers: z.union([z.number(), z.string(), z.array(z.string())], { error: 'must be a count, or driver ids (a list or comma-separated)' }).meta({ description: 'how many live drivers take part, or which ones (--drivers)' }),
  concurrency: z.number({ error: 'must be a number' }).meta({ description: 'AVALANCHE: most requests in flight per driver (--concurrency)' }),
  timeout_ms: z.number({ error: 'must be a number' }).meta({ description: 'per-request timeout in milliseconds (--timeout-ms)' }),
  warmup: z.union([z.number(), z.string()], { error: 'must be a count of requests (200) or a duration (10s)' }).meta({ description: 'requests (200) or a time (10s) per driver sent first and kept out of the figures (--warmup)' }),
  duration: durationText.meta({ description: 'how long to start requests: 30s, 1m30s (--duration)' }),
  thresholds: z.array(z.string({ error: 'must be a threshold such as p95<200' }), { error: 'must be a list of thresholds such as ["p95<200", "errors<1%"]' }).meta({ description: 'pass/fail criteria on the overall figures (--threshold)' }),
  requests: z.array(z.unknown(), { error: 'must be a list of requests' }).meta({ description: 'a weighted mix of requests, as in the REST body' }),
  stages: z
    .array(z.union([z.string(), z.looseObject({})], { error: 'must be "DURATION:TARGET_RPS" such as "30s:500", or {duration_s, target_rps}' }), { error: 'must be a list of stages' })
    .meta({ description: 'a ramping arrival rate (--stage): "30s:500" strings or {duration_s, target_rps}' }),
  scenarios: z.record(z.string(), z.unknown(), { error: 'must be a mapping of scenario names to scenarios' }).meta({ description: 'user journeys: named scenarios, each with an executor and a flow, as in the REST body' }),
};

export type ScenarioKey = keyof typeof SCENARIO_FIELDS;
export const SCENARIO_KEYS = Object.keys(SCENARIO_FIELDS) as ScenarioKey[];

/** Every scenario key optional: a plan's defaults, or one test of it. */
export const scenarioShape = Object.fromEntries(Object.entries(SCENARIO_FIELDS).map(([key, schema]) => [key, schema.optional()])) as { [K in ScenarioKey]: z.ZodOptional<(typeof SCENARIO_FIELDS)[K]> };

/** A scenario file: one test's keys; an unknown key is refused, naming it. */
export const scenarioFile = z.strictObject(scenarioShape);
export type Scenario = z.output<typeof scenarioFile>;

/** The body field each key sets, so the body's "field: problem" names the key the user wrote. */
const KEY_OF_FIELD: Record<string, ScenarioKey> = {
  test_type: 'type',
  message_count_per_driver: 'count',
  test_message_delay: 'delay_ms',
  throughput_per_driver: 'rate',
  target_url: 'target',
  drivers: 'drivers',
  concurrency: 'concurrency',
  timeout_ms: 'timeout_ms',
  warmup_count_per_driver: 'warmup',
  warmup_s: 'warmup',
  duration_s: 'duration',
  requests: 'requests',
  stages: 'stages',
  scenarios: 'scenarios',
};

/** A problem found in a scenario: `path` starts at the scenario's key. */
export type ScenarioIssue = { path: (string | number)[]; message: string };

/** A scenario as the REST API takes it: the create-test body (not triggered) and its thresholds. */
export type ScenarioTest = { body: CreateTestBody; thresholds: string[] };

/** Translates the keys to body fields; a value that cannot be translated is an issue at its key. */
function translate(scenario: Scenario, issues: ScenarioIssue[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  const set = (field: string, value: unknown) => {
    if (value !== undefined) body[field] = value;
  };
  set('test_type', scenario.type === undefined ? undefined : (TEST_TYPES.find((t) => t === scenario.type?.toUpperCase()) ?? scenario.type));
  set('message_count_per_driver', scenario.count);
  set('test_message_delay', scenario.delay_ms);
  set('throughput_per_driver', scenario.rate);
  set('target_url', scenario.target);
  set('drivers', typeof scenario.drivers === 'string' ? driverList(scenario.drivers) : scenario.drivers);
  set('concurrency', scenario.concurrency);
  set('timeout_ms', scenario.timeout_ms);
  set('requests', scenario.requests);
  set('scenarios', scenario.scenarios);
  if (scenario.warmup !== undefined) Object.assign(body, warmupFields(scenario.warmup, issues));
  if (scenario.duration !== undefined) set('duration_s', seconds(scenario.duration, ['duration'], issues));
  if (scenario.stages !== undefined) set('stages', scenario.stages.map((stage, i) => (typeof stage === 'string' ? stageOf(stage, i, issues) : stage)));
  return body;
}

/** `--drivers 3` is a count, `--drivers d1,d2` names them. */
function driverList(text: string): number | string[] {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text.split(',').map((id) => id.trim());
}

function warmupFields(warmup: number | string, issues: ScenarioIssue[]): Record<string, unknown> {
  if (typeof warmup === 'number' || /^\s*\d+\s*$/.test(warmup)) return { warmup_count_per_driver: Number(warmup) };
  if (!hasDurationUnit(warmup)) {
    issues.push({ path: ['warmup'], message: `must be a count of requests (200) or a duration (10s), got "${warmup}"` });
    return {};
  }
  return { warmup_s: durationSeconds(warmup) };
}

function seconds(value: number | string, path: ScenarioIssue['path'], issues: ScenarioIssue[]): number | undefined {
  const result = typeof value === 'number' ? value : durationSeconds(value);
  if (result === undefined || !(result > 0)) issues.push({ path, message: `must be a duration > 0 such as 30s, 1m30s or 500ms, got ${JSON.stringify(value)}` });
  return result;
}

function stageOf(text: string, index: number, issues: ScenarioIssue[]): unknown {
  const stage = parseStageText(text);
  if (!stage) issues.push({ path: ['stages', index], message: `must be DURATION:TARGET_RPS such as 30s:500, got "${text}"` });
  return stage ?? text;
}

/**
 * Checks a scenario whose keys are known (scenarioFile parsed it) and gives its body and thresholds, or
 * every problem, each at the key the user wrote (`thresholds[1]`, `count`): the body is judged by the
 * REST schema itself, so a scenario accepts exactly what POST /api/tests accepts.
 */
export function scenarioTest(scenario: Scenario): { test: ScenarioTest; issues: [] } | { test: undefined; issues: ScenarioIssue[] } {
  const issues: ScenarioIssue[] = [];
  const body = translate(scenario, issues);
  const thresholds = scenario.thresholds ?? [];
  const parsedThresholds = new Map<number, Threshold>();
  thresholds.forEach((expression, i) => {
    try {
      parsedThresholds.set(i, parseThreshold(expression));
    } catch (error) {
      if (!(error instanceof ThresholdSyntaxError)) throw error;
      issues.push({ path: ['thresholds', i], message: error.message });
    }
  });
  const parsed = createTestBody.safeParse(body);
  if (!parsed.success) issues.push(...bodyIssues(parsed.error, new Set(issues.map((issue) => String(issue.path[0])))));
  else for (const [i, threshold] of parsedThresholds) for (const message of thresholdStepProblems([threshold], parsed.data)) issues.push({ path: ['thresholds', i], message });
  if (issues.length > 0) return { test: undefined, issues };
  return { test: { body: body as CreateTestBody, thresholds }, issues: [] };
}

/**
 * A threshold naming a step (`p99[login]<300`) that the test does not have: its requests' names, or its
 * flows' request steps'. Found before the test starts, so a typo is exit 2, not a threshold never met.
 */
export function thresholdStepProblems(thresholds: readonly Threshold[], test: { requests?: RequestSpec[] | undefined; scenarios?: Scenarios | undefined }): string[] {
  return unknownStepProblems(thresholds, figureRequests(test).map(requestName));
}

/** The body's problems at the scenario's keys; a key already reported (a bad duration) is not blamed twice. */
function bodyIssues(error: z.ZodError, reported: Set<string>): ScenarioIssue[] {
  return error.issues.flatMap((issue): ScenarioIssue[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => KEY_OF_FIELD[key] ?? key).filter((key) => !reported.has(key)).map((key) => ({ path: [key], message: 'is not supported by this orchestrator' }));
    const [field, ...rest] = issue.path.map((part) => (typeof part === 'symbol' ? String(part) : part));
    const key = field === undefined ? undefined : (KEY_OF_FIELD[String(field)] ?? String(field));
    if (key !== undefined && reported.has(key)) return [];
    const [{ message } = { message: issue.message }] = fieldErrors(new z.ZodError([issue]));
    return [{ path: key === undefined ? [] : [key, ...rest], message: inKeys(message) }];
  });
}

/** A body's message speaks of body fields (`test_message_delay must be 0 for AVALANCHE`); the user wrote keys. */
function inKeys(message: string): string {
  return Object.entries(KEY_OF_FIELD).reduce((text, [field, key]) => (field === key ? text : text.replaceAll(field, key)), message);
}

/** Parses a whole scenario file's content: its test, or every problem as `key: message`. */
export function parseScenario(value: unknown): { test: ScenarioTest; errors: [] } | { test: undefined; errors: FieldError[] } {
  const parsed = scenarioFile.safeParse(value);
  if (!parsed.success) return { test: undefined, errors: fieldErrors(parsed.error) };
  const { test, issues } = scenarioTest(parsed.data);
  if (test) return { test, errors: [] };
  return { test: undefined, errors: issues.map(toFieldError) };
}

export function toFieldError(issue: ScenarioIssue): FieldError {
  return { field: issue.path.length > 0 ? fieldPath(issue.path) : '(scenario)', message: issue.message };
}
