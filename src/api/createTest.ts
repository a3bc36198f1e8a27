import { z } from 'zod';
import { fieldPath, ID_MAX_LENGTH, LOAD_MODEL_SPECS, loadModelProblems, TEST_TYPES } from '../protocol/index.js';
import { TEST_CONFIG_FIELDS } from './testConfig.js';

/** More drivers than any one test could use; a count or list past it is a mistake. */
export const MAX_DRIVERS = 10_000;

const MODEL_RULE_FIELDS = new Set(['test_type', 'test_message_delay', 'throughput_per_driver']);

const driverId = z.string({ error: 'must be a driver id' }).min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`);

/** The fields of POST /api/tests that pick and start the drivers; they do not travel in test_config. */
const RUN_FIELDS = {
  drivers: z
    .union([z.int().min(1).max(MAX_DRIVERS), z.array(driverId).min(1).max(MAX_DRIVERS)], { error: (issue) => (issue.input === undefined ? undefined : `must be a count from 1 to ${MAX_DRIVERS} or a list of 1 to ${MAX_DRIVERS} driver ids`) })
    .optional()
    .meta({ description: 'how many of the alive idle drivers take part, or which ones; all alive idle drivers when absent' }),
  trigger: z.boolean({ error: 'must be true or false' }).optional().meta({ description: 'true: trigger the test at once' }),
};

/** Fields of which a body may give one or the other, not both. */
const EXCLUSIVE_FIELDS = [{ fields: ['target_url', 'requests'] as const, message: 'give target_url (one GET) or requests, not both' }];

/**
 * The body of POST /api/tests. Unknown fields are refused: a typo must not be silently ignored.
 * The rules across fields (EXCLUSIVE_FIELDS, the load models' LOAD_MODEL_SPECS) are checked after the
 * fields, and stated in the OpenAPI document by `createTestRules()`, so the document accepts what this accepts.
 */
export const createTestBody = z
  .strictObject({ ...TEST_CONFIG_FIELDS, ...RUN_FIELDS })
  .superRefine((body, ctx) => {
    for (const { fields, message } of EXCLUSIVE_FIELDS) if (fields.every((field) => body[field] !== undefined)) ctx.addIssue({ code: 'custom', path: [fields[1]], message });
  })
  .superRefine(
    (body, ctx) => {
      for (const problem of loadModelProblems(body.test_type, body)) ctx.addIssue({ code: 'custom', ...problem });
    },
    // The model's rules read only these fields: with them valid, the rules run even when others are
    // bad, so one answer names every problem. A body that is no object at all (an issue at the root)
    // has no fields for them to read.
    { when: (payload) => payload.issues.every((issue) => issue.path !== undefined && issue.path.length > 0 && !MODEL_RULE_FIELDS.has(String(issue.path[0]))) },
  );

type JsonSchema = Record<string, unknown>;

/**
 * The body's rules across fields as JSON Schema, which the zod refinements cannot show: `not both` for
 * exclusive fields, and for each load model `if test_type is … then <its rule>`.
 */
export function createTestRules(jsonSchema: (schema: z.ZodType) => JsonSchema): JsonSchema[] {
  return [
    ...EXCLUSIVE_FIELDS.map(({ fields, message }) => ({ not: { required: [...fields] }, description: message })),
    ...TEST_TYPES.map((type) => ({ if: { properties: { test_type: { const: type } }, required: ['test_type'] }, then: jsonSchema(LOAD_MODEL_SPECS[type].rule.schema) })),
  ];
}

/** What a client sends (defaults may be left out). */
export type CreateTestBody = z.input<typeof createTestBody>;
/** What the orchestrator works with, defaults filled in. */
export type CreateTestRequest = z.output<typeof createTestBody>;

export type FieldError = { field: string; message: string };

/** Every problem, each named by its field path, e.g. `message_count_per_driver: must be > 0`. */
export function fieldErrors(error: z.ZodError): FieldError[] {
  const errors = error.issues.flatMap((issue): FieldError[] => {
    if (issue.code === 'unrecognized_keys') return issue.keys.map((key) => ({ field: key, message: 'unknown field' }));
    const field = issue.path.length > 0 ? fieldPath(issue.path) : '(body)';
    const missing = issue.input === undefined && ['invalid_type', 'invalid_value', 'invalid_union'].includes(issue.code);
    return [{ field, message: missing ? 'is required' : issue.message }];
  });
  return errors.length > 0 ? errors : [{ field: '(body)', message: 'invalid' }];
}
