import { z } from 'zod';
import { fieldPath, figureRequests, requestName, type RequestSpec, type Scenarios } from '../protocol/index.js';
import { createTestBody, fieldErrors, parseInput, type CreateTestBody, type FieldError } from './createTest.js';
import { KEY_OF_FIELD, keyToBody, TEST_KEY_NAMES, TEST_KEYS, type KeyIssue, type TestKey, type TestKeyName } from './testKeys.js';
import { parseThreshold, ThresholdSyntaxError, unknownStepProblems, type Threshold } from './thresholds.js';

/**
 * Scenario and plan files describe a test with the CLI's long option names as keys (`_` for `-`), values
 * as the flags take them (`type: tsunami`, `duration: 30s`, `stages: ["30s:500"]`). The keys are declared
 * once, in testKeys.ts; this module is the one translation from them to the REST create-test body:
 * `stampede run` (flags and --scenario alike) and plans use it.
 */
export const SCENARIO_FIELDS = Object.fromEntries(TEST_KEY_NAMES.map((key) => [key, TEST_KEYS[key].schema.meta({ description: keyDescription(key) })])) as { [K in TestKeyName]: (typeof TEST_KEYS)[K]['schema'] };

function keyDescription(key: TestKeyName): string {
  const spec: TestKey = TEST_KEYS[key];
  const flag = spec.flag === null ? '' : ` (--${spec.flag})`;
  return `${spec.help.join(' ').replace(/\s+/g, ' ')}${flag}`;
}

export type ScenarioKey = TestKeyName;
export const SCENARIO_KEYS = TEST_KEY_NAMES;

/** Every scenario key optional: a plan's defaults, or one test of it. */
export const scenarioShape = Object.fromEntries(Object.entries(SCENARIO_FIELDS).map(([key, schema]) => [key, schema.optional()])) as { [K in ScenarioKey]: z.ZodOptional<(typeof SCENARIO_FIELDS)[K]> };

/** A scenario file: one test's keys; an unknown key is refused, naming it. */
export const scenarioFile = z.strictObject(scenarioShape);
export type Scenario = z.output<typeof scenarioFile>;

/** A problem found in a scenario: `path` starts at the scenario's key. */
export type ScenarioIssue = KeyIssue;

/** A scenario as the REST API takes it: the create-test body (not triggered) and its thresholds. */
export type ScenarioTest = { body: CreateTestBody; thresholds: string[] };

/** Translates the keys to body fields, key by key; a value that cannot be translated is an issue at its key. */
function translate(scenario: Scenario, issues: ScenarioIssue[]): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  for (const key of SCENARIO_KEYS) {
    const value = scenario[key];
    if (value === undefined) continue;
    for (const [field, fieldValue] of Object.entries(keyToBody(key, value, issues))) if (fieldValue !== undefined) body[field] = fieldValue;
  }
  return body;
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
  const parsed = parseInput(createTestBody, body);
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
  const parsed = parseInput(scenarioFile, value);
  if (!parsed.success) return { test: undefined, errors: fieldErrors(parsed.error) };
  const { test, issues } = scenarioTest(parsed.data);
  if (test) return { test, errors: [] };
  return { test: undefined, errors: issues.map(toFieldError) };
}

export function toFieldError(issue: ScenarioIssue): FieldError {
  return { field: issue.path.length > 0 ? fieldPath(issue.path) : '(scenario)', message: issue.message };
}
