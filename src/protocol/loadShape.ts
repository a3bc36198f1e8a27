/**
 * Load shapes (docs/protocol.md, "Load shapes"): `stages` of a ramping arrival rate per driver, a
 * `duration_s` for a fixed rate or an open-ended AVALANCHE, and their planned counts. The orchestrator
 * plans with these functions and the driver paces with the same segments, so both agree on the count.
 */

export type Stage = { duration_s: number; target_rps: number };

/** The rate moves linearly from `fromRps` to `toRps` over `durationMs`. */
export type RateSegment = { durationMs: number; fromRps: number; toRps: number };

/** A plan above this many requests per driver is refused: it is a typo, not a test. */
export const MAX_PLANNED_REQUESTS = 1_000_000_000;
/** The longest plan (stages, duration_s, warmup_s): a day. */
export const MAX_PLAN_SECONDS = 86_400;

/** Each stage ramps from the previous stage's target; the first from `startRps`. */
export function stageSegments(stages: readonly Stage[], startRps = 0): RateSegment[] {
  let fromRps = startRps;
  return stages.map((stage) => {
    const segment = { durationMs: stage.duration_s * 1000, fromRps, toRps: stage.target_rps };
    fromRps = stage.target_rps;
    return segment;
  });
}

/** Requests a plan holds: the integral of its rate, not rounded. */
export function segmentsIntegral(segments: readonly RateSegment[]): number {
  return segments.reduce((sum, s) => sum + ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000), 0);
}

/**
 * The planned count: the integral rounded down. A hair of floating-point error below a whole number
 * (0.1 + 0.2 style) must not cost a request, so the integral is rounded to 1e-9 first.
 */
export function plannedCount(segments: readonly RateSegment[]): number {
  return Math.floor(Math.round(segmentsIntegral(segments) * 1e9) / 1e9);
}

export function plannedDurationMs(segments: readonly RateSegment[]): number {
  return segments.reduce((sum, s) => sum + s.durationMs, 0);
}

/** Requests the plan starts between `fromMs` and `toMs` (its integral there): the planned count of an interval. */
export function plannedStartsBetween(segments: readonly RateSegment[], fromMs: number, toMs: number): number {
  return integralUpTo(segments, toMs) - integralUpTo(segments, fromMs);
}

function integralUpTo(segments: readonly RateSegment[], ms: number): number {
  let total = 0;
  let startMs = 0;
  for (const s of segments) {
    const inside = Math.min(Math.max(ms - startMs, 0), s.durationMs) / 1000;
    if (inside <= 0) break;
    const slope = (s.toRps - s.fromRps) / (s.durationMs / 1000);
    total += s.fromRps * inside + (slope * inside * inside) / 2;
    startMs += s.durationMs;
  }
  return total;
}

/** The fields of a test that say how fast and how long it runs. */
export type ShapeFields = {
  test_type: string;
  test_message_delay: number;
  throughput_per_driver?: number | undefined;
  stages?: readonly Stage[] | undefined;
  start_rps?: number | undefined;
  duration_s?: number | undefined;
  /** the count of a count-only plan, which ends a fixed-rate plan */
  message_count_per_driver?: number | undefined;
};

/**
 * The fixed start rate per driver, or undefined when unpaced: TSUNAMI's gap (or the throughput cap,
 * whichever is slower), AVALANCHE's throughput cap.
 */
export function constantRate(fields: ShapeFields): number | undefined {
  const cap = fields.throughput_per_driver ?? 0;
  const delayRate = fields.test_type === 'TSUNAMI' && fields.test_message_delay > 0 ? 1000 / fields.test_message_delay : Infinity;
  const rate = Math.min(delayRate, cap > 0 ? cap : Infinity);
  return rate === Infinity ? undefined : rate;
}

/** The plan as rate segments: the stages, or a fixed rate over duration_s; undefined when unpaced or without an end. */
export function planSegments(fields: ShapeFields): RateSegment[] | undefined {
  if (fields.stages) return stageSegments(fields.stages, fields.start_rps);
  const rate = constantRate(fields);
  if (rate === undefined || fields.duration_s === undefined) return undefined;
  return [{ durationMs: fields.duration_s * 1000, fromRps: rate, toRps: rate }];
}

/** How long the measured workload is planned to start requests, in ms; undefined for a count-only plan. */
export function plannedWorkloadMs(fields: ShapeFields): number | undefined {
  const segments = planSegments(fields);
  if (segments) return plannedDurationMs(segments);
  return fields.duration_s === undefined ? undefined : fields.duration_s * 1000;
}

/**
 * The planned start rate per driver (req/s) over an interval of the workload: the stages' mean rate
 * there, the fixed rate, or null when unpaced (AVALANCHE without a cap) or past the plan's end.
 */
export function plannedRateBetween(fields: ShapeFields, fromMs: number, toMs: number): number | null {
  if (!(toMs > fromMs)) return null;
  if (fields.stages) {
    const segments = stageSegments(fields.stages, fields.start_rps);
    if (fromMs >= plannedDurationMs(segments)) return null;
    return (plannedStartsBetween(segments, fromMs, toMs) * 1000) / (toMs - fromMs);
  }
  const rate = constantRate(fields);
  if (rate === undefined) return null;
  const count = fields.message_count_per_driver;
  const endMs = fields.duration_s !== undefined ? fields.duration_s * 1000 : count !== undefined ? (count * 1000) / rate : Infinity;
  return fromMs >= endMs ? null : rate;
}

/** A problem with a request's shape, named by its field path. */
export type ShapeProblem = { path: (string | number)[]; message: string };

export type ShapeRequest = ShapeFields & { max_duration_s?: number | undefined; warmup_s?: number | undefined };

/**
 * The rules of a test's shape that no single field can check: which fields go together, and whether the
 * plan holds at least one request and at most MAX_PLANNED_REQUESTS. Per-field ranges are the schema's.
 */
export function shapeProblems(request: ShapeRequest): ShapeProblem[] {
  const problems = request.stages ? stagedProblems(request, request.stages) : unstagedProblems(request);
  const plannedMs = plannedWorkloadMs(request);
  if (plannedMs !== undefined && request.max_duration_s !== undefined) {
    const needed = plannedMs / 1000 + (request.warmup_s ?? 0);
    if (request.max_duration_s < needed) problems.push({ path: ['max_duration_s'], message: `is shorter than the plan (${round3(needed)} s with the warm-up): the test would be stopped before its end` });
  }
  return problems;
}

function stagedProblems(request: ShapeRequest, stages: readonly Stage[]): ShapeProblem[] {
  const problems: ShapeProblem[] = [];
  const given = (field: keyof ShapeRequest, why: string) => problems.push({ path: [field], message: `cannot be given with stages: ${why}` });
  if (request.duration_s !== undefined) given('duration_s', 'the stages set the duration');
  if (request.message_count_per_driver !== undefined) given('message_count_per_driver', 'the stages set the count (their integral)');
  if ((request.throughput_per_driver ?? 0) > 0) given('throughput_per_driver', 'the stages set the rate');
  if (request.test_message_delay > 0) given('test_message_delay', 'the stages set the gaps between requests');
  const segments = stageSegments(stages, request.start_rps);
  const seconds = plannedDurationMs(segments) / 1000;
  if (seconds > MAX_PLAN_SECONDS) problems.push({ path: ['stages'], message: `last ${round3(seconds)} s in all, more than ${MAX_PLAN_SECONDS} s (24 h)` });
  problems.push(...countProblems(segmentsIntegral(segments), ['stages']));
  return problems;
}

function unstagedProblems(request: ShapeRequest): ShapeProblem[] {
  if (request.start_rps !== undefined) return [{ path: ['start_rps'], message: 'needs stages (it is the rate the first stage ramps from)' }];
  if (request.duration_s === undefined) {
    return request.message_count_per_driver === undefined ? [{ path: ['message_count_per_driver'], message: 'is required (or give duration_s or stages)' }] : [];
  }
  const rate = constantRate(request);
  if (rate === undefined) return [];
  if (request.message_count_per_driver !== undefined) {
    return [{ path: ['message_count_per_driver'], message: 'cannot be given with duration_s at a fixed rate: the count is rate × duration' }];
  }
  return countProblems(rate * request.duration_s, ['duration_s']);
}

function countProblems(integral: number, path: string[]): ShapeProblem[] {
  const count = Math.floor(Math.round(integral * 1e9) / 1e9);
  if (count < 1) return [{ path, message: `plan no request: the integral of the rate is ${round3(integral)}` }];
  if (count > MAX_PLANNED_REQUESTS) return [{ path, message: `plan ${count} requests per driver, more than ${MAX_PLANNED_REQUESTS}` }];
  return [];
}

/**
 * The count a test_config carries: the stages' integral, rate × duration_s, or the given count (a cap
 * for an AVALANCHE that runs for duration_s unpaced; MAX_PLANNED_REQUESTS when none is given).
 */
export function plannedWireCount(request: ShapeFields): number {
  const segments = planSegments(request);
  if (segments) return plannedCount(segments);
  return request.message_count_per_driver ?? MAX_PLANNED_REQUESTS;
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
