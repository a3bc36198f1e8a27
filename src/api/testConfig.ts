import { z } from 'zod';
import { LOAD_MODEL_SPECS, requestList, TEST_TYPES } from '../protocol/index.js';
import { httpUrl } from './httpUrl.js';

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
  test_type: z.enum(TEST_TYPES, { error: `must be one of ${TEST_TYPES.join(', ')}` }).meta({
    description: TEST_TYPES.map((type) => `${type}: ${LOAD_MODEL_SPECS[type].description}`).join('; '),
    'x-enum-descriptions': Object.fromEntries(TEST_TYPES.map((type) => [type, LOAD_MODEL_SPECS[type].description])),
  }),
  test_message_delay: zeroOrIn(LIMITS.delayMs).default(0).meta({ description: 'milliseconds between request starts on each driver (TSUNAMI); 0 for AVALANCHE' }),
  message_count_per_driver: integerIn(1, LIMITS.count).meta({ description: 'requests each driver sends' }),
  target_url: httpUrl.optional().meta({ description: 'the URL every request goes to; absent: each driver uses its own --target' }),
  throughput_per_driver: zeroOrIn(LIMITS.throughput).optional().meta({ description: 'requests per second per driver; 0 or absent: no cap' }),
  timeout_ms: integerIn(1, LIMITS.timeoutMs).optional().meta({ description: 'per-request timeout, milliseconds' }),
  concurrency: integerIn(1, LIMITS.concurrency).optional().meta({ description: 'AVALANCHE: the most requests in flight at once per driver' }),
  warmup_count_per_driver: integerIn(0, LIMITS.count).optional().meta({ description: 'requests each driver sends first, the same way, and keeps out of every figure' }),
  max_duration_s: z
    .number({ error: numberError(false) })
    .min(LIMITS.maxDurationS.min, `must be at least ${LIMITS.maxDurationS.min} (seconds)`)
    .max(LIMITS.maxDurationS.max, `must be at most ${LIMITS.maxDurationS.max} (seconds)`)
    .optional()
    .meta({ description: 'seconds from the trigger after which the test fails and every driver stops' }),
  requests: requestList.optional().meta({ description: 'a weighted mix of requests (name, method, url, headers, body, weight, expect_status; templates such as {{seq}}); instead of target_url' }),
  tls_insecure: z.boolean({ error: 'must be true or false' }).default(false).meta({ description: 'accept self-signed TLS certificates' }),
};

type ConfigFields = typeof TEST_CONFIG_FIELDS;

/** An optional field shows as null when unset; a defaulted one always has its value. */
type ViewOf<S> = S extends z.ZodOptional<infer Inner> ? z.ZodNullable<Inner> : S extends z.ZodDefault<infer Inner> ? Inner : S;
type ConfigViewShape = { [K in keyof ConfigFields]: ViewOf<ConfigFields[K]> };

function viewOf(schema: z.ZodType): z.ZodType {
  if (schema instanceof z.ZodOptional) return (schema.unwrap() as z.ZodType).nullable();
  if (schema instanceof z.ZodDefault) return schema.unwrap() as z.ZodType;
  return schema;
}

/** A test's configuration as the test views show it: every field present, null where the test did not set it. */
export const testConfigView = z.object(Object.fromEntries(Object.entries(TEST_CONFIG_FIELDS).map(([name, schema]) => [name, viewOf(schema)])) as ConfigViewShape);

export type TestConfigView = z.output<typeof testConfigView>;

/** The view of a configuration: each field of TEST_CONFIG_FIELDS taken from `config`; when absent, its default, else null. */
export function configView(config: { [K in keyof ConfigFields]?: unknown }): TestConfigView {
  return Object.fromEntries(
    Object.entries(TEST_CONFIG_FIELDS).map(([name, schema]: [string, z.ZodType]) => [name, config[name as keyof ConfigFields] ?? (schema instanceof z.ZodDefault ? schema.parse(undefined) : null)]),
  ) as TestConfigView;
}
