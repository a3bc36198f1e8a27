import { z } from 'zod';
import { fieldPath, ID_MAX_LENGTH, LOAD_MODEL_SPECS, loadModelProblems, MAX_PLANNED_REQUESTS, plannedIterations, plannedWireCount, requestsPerIteration, shapeProblems, TEST_TYPES, type Scenarios, type TestConfigMessage } from '../protocol/index.js';
import { TEST_CONFIG_FIELDS } from './testConfig.js';
import { findCapacity, maxSteps, type FindCapacity } from './capacity.js';

/** More drivers than any one test could use; a count or list past it is a mistake. */
export const MAX_DRIVERS = 10_000;

const MODEL_RULE_FIELDS = new Set(['test_type', 'test_message_delay', 'throughput_per_driver', 'stages']);
/** The load shape's rules (src/protocol/loadShape.ts) read these fields: they run once all of them are valid. */
const SHAPE_RULE_FIELDS = new Set([...MODEL_RULE_FIELDS, 'start_rps', 'duration_s', 'message_count_per_driver', 'max_duration_s', 'warmup_s']);

const driverId = z.string({ error: 'must be a driver id' }).min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`);

/** The fields of POST /api/tests that pick and start the drivers; they do not travel in test_config. */
const RUN_FIELDS = {
  drivers: z
    .union([z.int().min(1).max(MAX_DRIVERS), z.array(driverId).min(1).max(MAX_DRIVERS)], { error: (issue) => (issue.input === undefined ? undefined : `must be a count from 1 to ${MAX_DRIVERS} or a list of 1 to ${MAX_DRIVERS} driver ids`) })
    .optional()
    .meta({ description: 'how many of the alive idle drivers take part, or which ones; all alive idle drivers when absent' }),
  trigger: z.boolean({ error: 'must be true or false' }).optional().meta({ description: 'true: trigger the test at once' }),
  find_capacity: findCapacity.optional(),
};

/** What a capacity search sets itself (a TSUNAMI at its steps' rates, for as long as its steps take): given beside it, each is refused. */
const CAPACITY_SET_FIELDS = ['scenarios', 'message_count_per_driver', 'throughput_per_driver', 'stages', 'start_rps', 'duration_s', 'warmup_count_per_driver', 'warmup_s'] as const;

function hasCapacitySearch(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { find_capacity?: unknown }).find_capacity !== undefined;
}

/** The load rules of a plain test apply to a body that sets its own load: not scenarios, not a capacity search. */
function setsOwnLoad(body: unknown): boolean {
  return !hasScenarios(body) && !hasCapacitySearch(body);
}

/** Fields of which a body may give one or the other, not both. */
const EXCLUSIVE_FIELDS = [{ fields: ['target_url', 'requests'] as const, message: 'give target_url (one GET) or requests, not both' }];

/** What a test of scenarios sets through its executors and flows instead: given beside scenarios, each is refused. */
const SCENARIO_SET_FIELDS = ['test_type', 'message_count_per_driver', 'target_url', 'requests', 'throughput_per_driver', 'concurrency', 'pipelining', 'warmup_count_per_driver', 'warmup_s', 'stages', 'start_rps', 'duration_s'] as const;

/** Whether a body is a test of scenarios: its load is its scenarios', and the spec's load fields are not given. */
function hasScenarios(body: unknown): boolean {
  return typeof body === 'object' && body !== null && (body as { scenarios?: unknown }).scenarios !== undefined;
}

/**
 * The body of POST /api/tests. Unknown fields are refused: a typo must not be silently ignored.
 * The rules across fields (EXCLUSIVE_FIELDS, the load models' LOAD_MODEL_SPECS) are checked after the
 * fields, and stated in the OpenAPI document by `createTestRules()`, so the document accepts what this accepts.
 */
export const createTestBody = z
  .strictObject({ ...TEST_CONFIG_FIELDS, ...RUN_FIELDS })
  .superRefine((body, ctx) => {
    for (const { fields, message } of EXCLUSIVE_FIELDS) if (fields.every((field) => body[field] !== undefined)) ctx.addIssue({ code: 'custom', path: [fields[1]], message });
    if (body.find_capacity) {
      for (const field of CAPACITY_SET_FIELDS) if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'cannot be given with find_capacity: the search sets the rate and the length' });
      if (body.test_type !== undefined && body.test_type !== 'TSUNAMI') ctx.addIssue({ code: 'custom', path: ['test_type'], message: 'must be TSUNAMI (or left out) with find_capacity: the search paces requests at its rates' });
      if (body.test_message_delay !== 0) ctx.addIssue({ code: 'custom', path: ['test_message_delay'], message: 'cannot be given with find_capacity: the search sets the rate' });
    } else if (hasScenarios(body)) {
      for (const field of SCENARIO_SET_FIELDS) if (body[field] !== undefined) ctx.addIssue({ code: 'custom', path: [field], message: 'cannot be given with scenarios: their executors and flows set the load' });
      if (body.test_message_delay !== 0) ctx.addIssue({ code: 'custom', path: ['test_message_delay'], message: 'cannot be given with scenarios: think steps set the pauses' });
    } else if (body.test_type === undefined) ctx.addIssue({ code: 'custom', path: ['test_type'], message: 'is required' });
    for (const problem of dataSourceProblems(body)) ctx.addIssue({ code: 'custom', ...problem });
  })
  .superRefine(
    (body, ctx) => {
      for (const problem of shapeProblems(body as typeof body & { test_type: string })) ctx.addIssue({ code: 'custom', ...problem });
    },
    { when: (payload) => setsOwnLoad(payload.value) && payload.issues.every((issue) => issue.path !== undefined && issue.path.length > 0 && !SHAPE_RULE_FIELDS.has(String(issue.path[0]))) },
  )
  .superRefine(
    (body, ctx) => {
      if (body.test_type === undefined || body.find_capacity) return;
      for (const problem of loadModelProblems(body.test_type, body)) ctx.addIssue({ code: 'custom', ...problem });
    },
    // The model's rules read only these fields: with them valid, the rules run even when others are
    // bad, so one answer names every problem. A body that is no object at all (an issue at the root)
    // has no fields for them to read.
    { when: (payload) => payload.issues.every((issue) => issue.path !== undefined && issue.path.length > 0 && !MODEL_RULE_FIELDS.has(String(issue.path[0]))) },
  );

/** Each scenario's data source is one of the test's; a test's data is read by scenarios only. */
function dataSourceProblems(body: { data?: Record<string, string> | undefined; scenarios?: Scenarios | undefined }): { path: (string | number)[]; message: string }[] {
  const named = Object.keys(body.data ?? {});
  if (!body.scenarios) return body.data ? [{ path: ['data'], message: "is read by scenarios' data: {source}; this test has no scenarios" }] : [];
  const readers = new Map<string, { scenario: string; how: string }>();
  return Object.entries(body.scenarios).flatMap(([name, scenario]) => {
    const data = scenario.data;
    if (data === undefined) return [];
    const path = ['scenarios', name, 'data'];
    if (!named.includes(data.source)) {
      const known = named.length > 0 ? `the test's data names ${named.join(', ')}` : 'the test has no data (upload a file: POST /api/data, or stampede run --data NAME=FILE)';
      return [{ path: [...path, 'source'], message: `names no data source of the test: ${known}` }];
    }
    // One way of dealing per source: unique rows and a circular walk of the same rows cannot share an account.
    const how = data.mode === 'unique' ? `mode unique, on_exhausted ${data.on_exhausted ?? 'stop'}` : `mode ${data.mode}`;
    const first = readers.get(data.source);
    if (!first) readers.set(data.source, { scenario: name, how });
    else if (first.how !== how) return [{ path, message: `reads ${data.source} with ${how}, but scenario ${first.scenario} reads it with ${first.how}: scenarios sharing a source read it the same way` }];
    return [];
  });
}

type JsonSchema = Record<string, unknown>;

/**
 * The body's rules across fields as JSON Schema, which the zod refinements cannot show: `not both` for
 * exclusive fields, and for each load model `if test_type is … then <its rule>`.
 */
export function createTestRules(jsonSchema: (schema: z.ZodType) => JsonSchema): JsonSchema[] {
  return [
    ...EXCLUSIVE_FIELDS.map(({ fields, message }) => ({ not: { required: [...fields] }, description: message })),
    { anyOf: [{ required: ['test_type'] }, { required: ['scenarios'] }], description: 'test_type is required unless scenarios are given' },
    {
      if: { required: ['scenarios'] },
      then: { not: { anyOf: SCENARIO_SET_FIELDS.map((field) => ({ required: [field] })) }, properties: { test_message_delay: { const: 0 } } },
      description: `with scenarios, their executors and flows set the load: ${SCENARIO_SET_FIELDS.join(', ')} and test_message_delay are not given`,
    },
    ...SHAPE_RULES,
    ...TEST_TYPES.map((type) => ({ if: { properties: { test_type: { const: type } }, required: ['test_type'] }, then: jsonSchema(LOAD_MODEL_SPECS[type].rule.schema) })),
  ];
}

/**
 * The load shape's rules across fields, as far as JSON Schema can say them. What it cannot say (a plan
 * of 1 to 10⁹ requests, at most 24 h long, max_duration_s not shorter than it) is in the field
 * descriptions and answered with a 400 naming the field.
 */
const SHAPE_RULES: JsonSchema[] = [
  { anyOf: [{ required: ['message_count_per_driver'] }, { required: ['stages'] }, { required: ['duration_s'] }, { required: ['scenarios'] }], description: 'message_count_per_driver is required unless stages, duration_s or scenarios set the count' },
  { dependentRequired: { start_rps: ['stages'] }, description: 'start_rps needs stages' },
  {
    if: { required: ['stages'] },
    then: {
      not: { anyOf: [{ required: ['duration_s'] }, { required: ['message_count_per_driver'] }] },
      properties: { throughput_per_driver: { const: 0 }, test_message_delay: { const: 0 } },
    },
    description: 'with stages, the stages set the count, the duration, the rate and the gaps',
  },
  {
    if: { required: ['duration_s', 'message_count_per_driver'], not: { required: ['stages'] } },
    then: { properties: { test_type: { const: 'AVALANCHE' }, throughput_per_driver: { const: 0 } } },
    description: 'with duration_s at a fixed rate the count is rate × duration: message_count_per_driver only caps an unpaced AVALANCHE',
  },
];

/**
 * The test_config of a valid request: with stages or duration_s at a fixed rate, message_count_per_driver
 * is the planned count, so a spec-only driver sees the true number. A staged TSUNAMI carries the plan's
 * mean gap as test_message_delay: a spec-only driver then sends the same count over the same time.
 */
export function plannedConfig<T extends Omit<CreateTestRequest, 'drivers' | 'trigger'>>(request: T, driverCount: number): T & Pick<TestConfigMessage, 'message_count_per_driver' | 'test_type'> {
  if (request.scenarios) return { ...request, test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: scenarioWireCount(request.scenarios, driverCount) };
  const { find_capacity: search, ...plain } = request as T & { find_capacity?: FindCapacity };
  // The search is the orchestrator's: drivers get the plain test it steers.
  if (search) return { ...(plain as T), ...capacityLoad(search, driverCount) };
  if (request.test_type === undefined) throw new Error('plannedConfig: a test without scenarios needs its test_type');
  const count = plannedWireCount({ ...request, test_type: request.test_type });
  const stagedGapMs = request.stages && request.test_type === 'TSUNAMI' ? (request.stages.reduce((sum, s) => sum + s.duration_s, 0) * 1000) / count : undefined;
  return { ...request, test_type: request.test_type, message_count_per_driver: count, ...(stagedGapMs === undefined ? {} : { test_message_delay: stagedGapMs }) };
}

/**
 * A capacity search's own load: a TSUNAMI at its first step's rate, planned for its longest search (the
 * orchestrator steers each step and ends the test at the answer). Its pauses between steps hold the plan's clock.
 */
function capacityLoad(search: FindCapacity, driverCount: number): Pick<TestConfigMessage, 'test_type' | 'test_message_delay' | 'duration_s' | 'message_count_per_driver'> {
  const drivers = Math.max(1, driverCount);
  const durationS = maxSteps(search) * search.step_s;
  const perDriver = search.from / drivers;
  return { test_type: 'TSUNAMI', test_message_delay: 1000 / perDriver, duration_s: durationS, message_count_per_driver: Math.max(1, Math.floor(perDriver * durationS)) };
}

/**
 * What a scenario test's message_count_per_driver says to a spec-only reader: the requests the first
 * driver plans when its executors fix the iterations (as if every iteration ran to its end), else the
 * largest plan, as for an AVALANCHE bounded by time (the count is then a cap).
 */
function scenarioWireCount(scenarios: Scenarios, driverCount: number): number {
  const share = { index: 0, count: Math.max(1, driverCount) };
  let requests = 0;
  for (const [name, scenario] of Object.entries(scenarios)) {
    const iterations = plannedIterations({ [name]: scenario }, share);
    if (iterations === undefined) return MAX_PLANNED_REQUESTS;
    requests += iterations * requestsPerIteration(scenario.flow);
  }
  return Math.min(MAX_PLANNED_REQUESTS, Math.max(1, requests));
}

/** What a client sends (defaults may be left out). */
export type CreateTestBody = z.input<typeof createTestBody>;
/** What the orchestrator works with, defaults filled in. */
export type CreateTestRequest = z.output<typeof createTestBody>;

export type FieldError = { field: string; message: string };

/**
 * Parses input whose problems `fieldErrors` will name. zod 4 keeps the input out of its issues unless
 * asked, and without it every value of the wrong type read as "is required".
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown): z.ZodSafeParseResult<z.output<S>> {
  return schema.safeParse(value, { reportInput: true });
}

/** Every problem, each named by its field path, e.g. `message_count_per_driver: must be > 0`. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const errors = error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: fieldPath([...issue.path, key]), message: 'unknown field' }));
    const field = issue.path.length > 0 ? fieldPath(issue.path) : '(body)';
    const missing = issue.input === undefined && ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code);
    return [{ field, message: missing ? 'is required' : issue.message }];
  });
  return errors.length > 0 ? errors : [{ field: '(body)', message: 'invalid' }];
}
