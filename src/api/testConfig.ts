import { z } from 'zod';
import { LOAD_MODEL_SPECS, MAX_PLAN_SECONDS, plannedTestMs, scenarioMap, TEST_TYPES, testDataMap, type TestConfigMessage } from '../protocol/index.js';
import { httpUrl } from './httpUrl.js';
import { restRequestList } from './requests.js';

/**
 * Bounds past which a number makes no sense for a test: a billion requests per driver is days of load,
 * a request gap below a microsecond or a time limit below 0.1 s is no gap or limit at all. Each bound
 * is in the OpenAPI document, so a schema-driven client never sends what is refused.
 */
export const LIMITS = {
  count: 1_000_000_000,
  delayMs: { min: 0.001, max: 86_400_000 },
  throughput: { min: 0.001, max: 10_000_000 },
  timeoutMs: 3_600_000,
  concurrency: 100_000,
  pipelining: 64,
  maxDurationS: { min: 0.1, max: 604_800 },
} as const;

/** Messages that name the problem, not zod's type vocabulary ("expected number, received string"). */
const numberError = (integer: boolean) => (issue: { input?: unknown }) =>
  issue.input === undefined ? undefined : typeof issue.input === 'number' && integer ? 'must be an integer' : 'must be a number';

function integerIn(min: number, max: number) {
  return z
    .int({ error: numberError(true) })
    .min(min, min === 0 ? 'must be >= 0' : min === 1 ? 'must be > 0' : `must be >= ${min}`)
    .max(max, `must be at most ${max}`);
}

/** 0 (none), or a number from `min` to `max`: a positive value below `min` is no value at all. */
function zeroOrIn(bounds: { min: number; max: number }) {
  return z.union([z.literal(0), z.number().min(bounds.min).max(bounds.max)], { error: (issue) => (issue.input === undefined ? undefined : `must be 0, or from ${bounds.min} to ${bounds.max}`) });
}

/**
 * The fields of a test's configuration as the REST API takes them: JSON numbers (the wire's numeric
 * strings are the spec's; over REST a number is a number), each within LIMITS. The REST body, the
 * test views' `config`, the OpenAPI document, the CLI's body type and the dashboard's form all derive
 * from this one object: a new field is added here (and to the protocol's test_config when it travels).
 */
export const TEST_CONFIG_FIELDS = {
  test_type: z
    .enum(TEST_TYPES, { error: `must be one of ${TEST_TYPES.join(', ')}` })
    .optional()
    .meta({
      description: `required unless scenarios are given. ${TEST_TYPES.map((type) => `${type}: ${LOAD_MODEL_SPECS[type].description}`).join('; ')}`,
      'x-enum-descriptions': Object.fromEntries(TEST_TYPES.map((type) => [type, LOAD_MODEL_SPECS[type].description])),
    }),
  test_message_delay: zeroOrIn(LIMITS.delayMs).default(0).meta({ description: 'milliseconds between request starts on each driver (TSUNAMI); 0 for AVALANCHE' }),
  message_count_per_driver: integerIn(1, LIMITS.count).optional().meta({ description: 'requests each driver sends; required unless stages or duration_s set the count (then their planned count)' }),
  target_url: httpUrl.optional().meta({ description: 'the URL every request goes to; absent: each driver uses its own --target' }),
  throughput_per_driver: zeroOrIn(LIMITS.throughput).optional().meta({ description: 'requests per second per driver; 0 or absent: no cap' }),
  timeout_ms: integerIn(1, LIMITS.timeoutMs).optional().meta({ description: 'per-request timeout, milliseconds' }),
  concurrency: integerIn(1, LIMITS.concurrency).optional().meta({ description: 'AVALANCHE: the most requests in flight at once per driver' }),
  pipelining: integerIn(1, LIMITS.pipelining).optional().meta({ description: 'requests written on one connection before the first of them is answered (HTTP/1.1 pipelining); 1 (the default): none' }),
  warmup_count_per_driver: integerIn(0, LIMITS.count).optional().meta({ description: 'requests each driver sends first, the same way, and keeps out of every figure' }),
  max_duration_s: z
    .number({ error: numberError(false) })
    .min(LIMITS.maxDurationS.min, `must be at least ${LIMITS.maxDurationS.min} (seconds)`)
    .max(LIMITS.maxDurationS.max, `must be at most ${LIMITS.maxDurationS.max} (seconds)`)
    .optional()
    .meta({ description: 'seconds from the trigger after which the test fails and every driver stops' }),
  requests: restRequestList.optional().meta({ description: 'a weighted mix of requests (name, method, url, headers, body, weight, expect_status; templates such as {{seq}}); instead of target_url' }),
  tls_insecure: z.boolean({ error: 'must be true or false' }).default(false).meta({ description: 'accept self-signed TLS certificates' }),
  stages: z
    .array(
      z.strictObject({
        duration_s: planSeconds().meta({ description: 'seconds; the rate moves linearly to target_rps over them' }),
        target_rps: z.number({ error: numberError(false) }).min(0, 'must be >= 0').max(LIMITS.throughput.max, `must be at most ${LIMITS.throughput.max}`).meta({ description: 'requests per second per driver at the end of the stage' }),
      }),
    )
    .min(1, 'must have at least one stage')
    .max(10_000, 'must have at most 10000 stages')
    .optional()
    .meta({ description: 'a ramping arrival rate per driver, stage after stage (k6 ramping-arrival-rate), each from the previous target; the count is its integral, rounded down' }),
  start_rps: z.number({ error: numberError(false) }).min(0, 'must be >= 0').max(LIMITS.throughput.max, `must be at most ${LIMITS.throughput.max}`).optional().meta({ description: 'the rate the first stage ramps from (default 0); only with stages' }),
  duration_s: planSeconds().optional().meta({ description: 'with a fixed rate: count = rate × duration; AVALANCHE without a rate: start requests for this long (message_count_per_driver is then a cap)' }),
  warmup_s: planSeconds().optional().meta({ description: 'seconds of warm-up, beside or instead of warmup_count_per_driver (whichever ends first)' }),
  scenarios: scenarioMap.optional(),
  data: testDataMap.optional(),
};

/** Seconds of a plan: above 0, at most a day. */
function planSeconds() {
  return z
    .number({ error: numberError(false) })
    .gt(0, 'must be > 0')
    .max(MAX_PLAN_SECONDS, `must be at most ${MAX_PLAN_SECONDS} (24 h)`);
}

type ConfigFields = typeof TEST_CONFIG_FIELDS;

/** An optional field shows as null when unset; a defaulted one always has its value. */
type ViewOf<S> = S extends z.ZodOptional<infer Inner> ? z.ZodNullable<Inner> : S extends z.ZodDefault<infer Inner> ? Inner : S;
type ConfigViewShape = { [K in Exclude<keyof ConfigFields, 'message_count_per_driver'>]: ViewOf<ConfigFields[K]> };

function viewOf(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) return (schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodDefault) return schema.unwrap() as z.ZodType;
  return schema;
}

/**
 * A test's configuration as the test views show it: every field present, null where the test did not set
 * it; the count is always there (with stages or duration_s, the planned one), beside the planned duration.
 */
export const testConfigView = z.object({
  ...(Object.fromEntries(Object.entries(TEST_CONFIG_FIELDS).map(([name, schema]) => [name, viewOf(schema)])) as ConfigViewShape),
  message_count_per_driver: z.int().meta({ description: 'requests each driver sends: with stages their integral, with duration_s at a fixed rate rate × duration, for an unpaced AVALANCHE over duration_s a cap' }),
  planned_duration_s: z.number().nullable().meta({ description: 'how long the workload is planned to start requests (stages or duration_s; with scenarios, until the last ends when time bounds each); null for a count-only test' }),
});

export type TestConfigView = z.output<typeof testConfigView>;

/** The view of a configuration: each field of TEST_CONFIG_FIELDS taken from `config`; when absent, its default, else null. */
export function configView(config: TestConfigMessage): TestConfigView {
  const fields = Object.fromEntries(
    Object.entries(TEST_CONFIG_FIELDS).map(([name, schema]: [string, z.ZodType]) => [name, config[name as keyof TestConfigMessage] ?? (schema instanceof z.ZodDefault ? schema.parse(undefined) : null)]),
  );
  const plannedMs = plannedTestMs(config);
  return { ...fields, planned_duration_s: plannedMs === undefined ? null : plannedMs / 1000 } as TestConfigView;
}
