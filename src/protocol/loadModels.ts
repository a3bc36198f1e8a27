/**
 * The load models every peer knows by name (`test_type`), with what a user needs to choose one and the
 * rules a request for it must follow. This list is the one source of the wire enum, the REST body's
 * enum, the OpenAPI document and the CLI's `--type`; each driver-side model (src/driver/load/) is keyed
 * by the same names, and the compiler refuses a name without one.
 */
export const TEST_TYPES = ['AVALANCHE', 'TSUNAMI'] as const;
export type TestType = (typeof TEST_TYPES)[number];

/** The fields of a test request that a load model's rules read. */
export type LoadFields = { test_message_delay: number; throughput_per_driver?: number | undefined };

export type FieldProblem = { path: string[]; message: string };

export type LoadModelSpec = {
  /** One line for --help, the OpenAPI document and the dashboard's form. */
  description: string;
  /** What a request for this model must also satisfy, each problem naming its field. */
  problems(fields: LoadFields): FieldProblem[];
};

export const LOAD_MODEL_SPECS: { readonly [T in TestType]: LoadModelSpec } = {
  AVALANCHE: {
    description: 'as fast as allowed, at most `concurrency` in flight (throughput_per_driver caps the rate)',
    problems: (fields) =>
      fields.test_message_delay > 0 ? [{ path: ['test_message_delay'], message: 'must be 0 for an AVALANCHE test (use throughput_per_driver to cap the rate)' }] : [],
  },
  TSUNAMI: {
    description: 'a fixed gap of test_message_delay ms between request starts, never waiting for answers',
    problems: (fields) =>
      fields.test_message_delay <= 0 && !fields.throughput_per_driver
        ? [{ path: ['test_message_delay'], message: 'must be > 0 for a TSUNAMI test (milliseconds between requests)' }]
        : [],
  },
};
