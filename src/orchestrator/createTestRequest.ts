import { z } from 'zod';
import { fieldPath, LOAD_MODEL_SPECS, requestList, TEST_TYPES } from '../protocol/index.js';

const numberOrNumericString = z.union([z.number(), z.string().trim().regex(/^[+-]?\d+(\.\d+)?$/, 'must be a number').transform(Number)]);
const nonNegative = numberOrNumericString.pipe(z.number().finite().nonnegative('must be >= 0'));
const positiveInt = numberOrNumericString.pipe(z.number().int('must be an integer').positive('must be > 0'));
const count = numberOrNumericString.pipe(z.number().int('must be an integer').nonnegative('must be >= 0'));

const MODEL_RULE_FIELDS = new Set(['test_type', 'test_message_delay', 'throughput_per_driver']);

/** The body of POST /api/tests. Unknown fields are refused: a typo must not be silently ignored. */
export const createTestRequest = z
  .strictObject({
    test_type: z
      .string()
      .transform((v) => v.trim().toUpperCase())
      .pipe(z.enum(TEST_TYPES, { error: `must be one of ${TEST_TYPES.join(', ')}` }))
      .meta({ description: TEST_TYPES.map((type) => `${type}: ${LOAD_MODEL_SPECS[type].description}`).join('; ') }),
    /** milliseconds between request starts on each driver (TSUNAMI) */
    test_message_delay: nonNegative.default(0),
    message_count_per_driver: positiveInt,
    /** absent: each driver uses its own --target */
    target_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
    /** requests per second per driver; 0 = no cap */
    throughput_per_driver: nonNegative.optional(),
    /** how many of the alive drivers, or which ones; all alive drivers when absent */
    drivers: z.union([positiveInt, z.array(z.string().min(1)).min(1, 'must name at least one driver')], { error: 'must be a positive count or a list of driver ids' }).optional(),
    trigger: z.boolean().optional(),
    timeout_ms: positiveInt.optional(),
    concurrency: positiveInt.optional(),
    /** requests each driver sends first and keeps out of the figures */
    warmup_count_per_driver: count.optional(),
    max_duration_s: numberOrNumericString.pipe(z.number().positive('must be > 0')).optional(),
    /** a weighted mix of requests (method, url, headers, body, weight, expect_status); instead of target_url */
    requests: requestList.optional(),
    /** accept self-signed TLS certificates */
    tls_insecure: z.boolean().optional(),
  })
  .refine((body) => body.target_url === undefined || body.requests === undefined, { path: ['requests'], message: 'give target_url (one GET) or requests, not both' })
  .superRefine(
    (body, ctx) => {
      for (const problem of LOAD_MODEL_SPECS[body.test_type].problems(body)) ctx.addIssue({ code: 'custom', ...problem });
    },
    // The model's rules read only these fields: with them valid, the rules run even when others are
    // bad, so one answer names every problem.
    { when: (payload) => payload.issues.every((issue) => !MODEL_RULE_FIELDS.has(String(issue.path?.[0]))) },
  );

export type CreateTestRequest = z.output<typeof createTestRequest>;

export type FieldError = { field: string; message: string };

/** Every problem, each named by its field path, e.g. `message_count_per_driver: must be > 0`. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const errors = error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: key, message: 'unknown field' }));
    const field = issue.path.length > 0 ? fieldPath(issue.path) : '(body)';
    const missing = issue.code === 'invalid_type' && issue.input === undefined;
    return [{ field, message: missing ? 'is required' : issue.message }];
  });
  return errors.length > 0 ? errors : [{ field: '(body)', message: 'invalid' }];
}
