/**
 * The load models every peer knows by name (`test_type`). This list is the one source of the wire enum,
 * the REST body's enum, the OpenAPI document and the CLI's `--type`; each driver-side model
 * (src/driver/load/) is keyed by the same names, and the compiler refuses a name without one. No zod
 * here, so that load workers can read it without loading zod.
 */
export const TEST_TYPES = ['AVALANCHE', 'TSUNAMI'] as const;
export type TestType = (typeof TEST_TYPES)[number];
