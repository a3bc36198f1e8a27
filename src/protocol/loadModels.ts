import { z } from 'zod';
import type { TestType } from './testTypes.js';

/** The fields of a test request that a load model's rules read. */
export type LoadFields = { test_message_delay: number; throughput_per_driver?: number | undefined; stages?: readonly unknown[] | undefined };

export type FieldProblem = { path: string[]; message: string };

/**
 * A model's rule over the load fields as a zod schema, so it checks a request and also reads as JSON
 * Schema (the OpenAPI document states it as `if test_type is … then …`); `problem` names the field
 * and says what is wrong when the fields fail it.
 */
export type LoadModelRule = { schema: z.ZodType; problem: FieldProblem };

export type LoadModelSpec = {
  /** One line for --help, the OpenAPI document and the dashboard's form. */
  description: string;
  /** What a request for this model must also satisfy. */
  rule: LoadModelRule;
};

export const LOAD_MODEL_SPECS: { readonly [T in TestType]: LoadModelSpec } = {
  AVALANCHE: {
    description: 'as fast as allowed, at most `concurrency` in flight (throughput_per_driver caps the rate)',
    rule: {
      schema: z.object({ test_message_delay: z.literal(0).optional() }),
      problem: { path: ['test_message_delay'], message: 'must be 0 for an AVALANCHE test (use throughput_per_driver to cap the rate)' },
    },
  },
  TSUNAMI: {
    description: 'a fixed gap of test_message_delay ms between request starts, never waiting for answers',
    rule: {
      // A gap between requests, a rate that makes one, or stages that set the gaps.
      schema: z.union([z.object({ test_message_delay: z.number().positive() }), z.object({ throughput_per_driver: z.number().positive() }), z.object({ stages: z.array(z.unknown()).min(1) })]),
      problem: { path: ['test_message_delay'], message: 'must be > 0 for a TSUNAMI test (milliseconds between requests), or give stages' },
    },
  },
};

/** What a request's load fields break of its model's rule, each problem naming its field. */
export function loadModelProblems(testType: TestType, fields: LoadFields): FieldProblem[] {
  const { rule } = LOAD_MODEL_SPECS[testType];
  return rule.schema.safeParse(fields).success ? [] : [rule.problem];
}
