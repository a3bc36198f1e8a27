/**
 * How far ahead of the trigger the shared start (`start_at`) lies: long enough for the trigger to reach every
 * driver and for each to get its load ready (workers up, connections open, data at hand), short enough not
 * to keep a small test waiting. Both are measured: the test_config's publish round trip, and each driver's
 * priming time as its last report said (`priming_ms`). A test of one driver has nobody to start with: no lead.
 */
export const START_LEAD = {
  minMs: 150,
  maxMs: 3_000,
  /** a driver that has not said yet (its first test here, or a spec-only one) */
  unknownPrimingMs: 150,
} as const;

/** Undefined: start at once (one driver). */
export function startLeadMs(deliveryMs: number, primingMs: readonly (number | undefined)[]): number | undefined {
  if (primingMs.length <= 1) return undefined;
  const priming = Math.max(0, ...primingMs.map((ms) => ms ?? START_LEAD.unknownPrimingMs));
  // Twice the delivery (the trigger travels as the config did, and a fetch may be mid-wait) and twice the
  // slowest priming seen: 8 drivers on 2 cores primed in 10-100 ms, the same driver 2-3× apart from one
  // test to the next (test/orchestrator/startTogether.test.ts).
  const lead = 2 * deliveryMs + 2 * priming + 50;
  return Math.round(Math.min(START_LEAD.maxMs, Math.max(START_LEAD.minMs, lead)));
}
