import { z } from 'zod';
import { MAX_PLAN_SECONDS, type RateSegment } from '../loadShape.js';

/**
 * An executor decides when a scenario's iterations start, as k6's executors do. Each one is a file of
 * this folder that owns everything about itself: its fields and their rules (the REST body, the wire and
 * the OpenAPI document read them), its description, and its plan for one driver (the driver runs it; the
 * orchestrator reads its planned counts). A new executor is one file, its test, and a line in index.ts.
 */

/** Where this driver stands among the drivers taking part: totals are split over them by it. */
export type DriverShare = { index: number; count: number };

/** The whole test on one driver: a plain per-driver value, or none of the others. */
export const ALONE: DriverShare = { index: 0, count: 1 };

/** Open model: an arrival starts an iteration on a free VU, or is dropped when all `maxVus` are busy. */
export type ArrivalPlan = {
  model: 'arrivals';
  /** the arrival rate over time, iterations/s (of the whole fleet when `lane.count` > 1) */
  segments: RateSegment[];
  /** this driver takes arrivals lane.index, lane.index + lane.count, …: a total rate split exactly */
  lane: DriverShare;
  maxVus: number;
};

/** Closed model: VUs loop iterations, as many as `vuChanges` say at each moment. */
export type VuPlan = {
  model: 'vus';
  /** from `atMs` on (after the scenario's start), the scenario runs `vus` VUs; in time order, the first at 0 */
  vuChanges: { atMs: number; vus: number }[];
  /** no iteration starts this late; undefined: only iterations bound the scenario */
  durationMs: number | undefined;
  /** each VU runs at most this many iterations (per-vu-iterations) */
  iterationsPerVu?: number;
  /** this driver's VUs run this many iterations between them (shared-iterations) */
  sharedIterations?: number;
};

export type ExecutorPlan = (ArrivalPlan | VuPlan) & {
  /** the most VUs this driver's share ever runs at once */
  maxVus: number;
};

export type ExecutorProblem = { path: (string | number)[]; message: string };

/** An executor's fields once parsed (its own schemas say their types). */
export type ExecutorFields = Record<string, unknown>;

export type Executor = {
  name: string;
  /** One line for --help, the OpenAPI document and the dashboard. */
  description: string;
  /** Its own fields of a scenario, as zod schemas (each with its description). */
  fields: Record<string, z.ZodType>;
  /** Rules across its fields (one of rate and total_rate…), each naming a field. */
  problems(fields: ExecutorFields): ExecutorProblem[];
  /** This driver's share of the scenario. */
  plan(fields: ExecutorFields, share: DriverShare): ExecutorPlan;
  /** Iterations this driver's share plans to start; undefined when time and the target's speed decide. */
  plannedIterations(fields: ExecutorFields, share: DriverShare): number | undefined;
};

/** A whole number of something, 1 to a bound. */
export const wholeCount = (max: number, what: string) => z.int('must be a whole number').min(1, 'must be >= 1').max(max, `must be at most ${max}`).meta({ description: what });

/** Seconds above 0, at most a day. */
export const planSeconds = (what: string) =>
  z
    .number({ error: 'must be a number of seconds' })
    .gt(0, 'must be > 0')
    .max(MAX_PLAN_SECONDS, `must be at most ${MAX_PLAN_SECONDS} (24 h)`)
    .meta({ description: what });

/** An iterations-per-second rate. */
export const iterationRate = (what: string) =>
  z
    .number({ error: 'must be a number' })
    .min(0, 'must be >= 0')
    .max(1_000_000, 'must be at most 1000000')
    .meta({ description: what });

export const EXECUTOR_LIMITS = { vus: 100_000, iterations: 1_000_000_000 } as const;

/** Ramping stages `{duration_s, target}`: iterations/s or VUs at the end of each. */
export const targetStages = (what: string, maxTarget: number) =>
  z
    .array(z.strictObject({ duration_s: planSeconds('seconds; the target is reached linearly over them'), target: z.number({ error: 'must be a number' }).min(0, 'must be >= 0').max(maxTarget, `must be at most ${maxTarget}`) }))
    .min(1, 'must have at least one stage')
    .max(10_000, 'must have at most 10000 stages')
    .meta({ description: what });

export type TargetStage = { duration_s: number; target: number };

/**
 * This driver's part of a total: remainders go to the first drivers, so 10 on 3 drivers is 4/3/3 and
 * the parts always add up to the total.
 */
export function shareOfTotal(total: number, share: DriverShare): number {
  return Math.floor(total / share.count) + (share.index < total % share.count ? 1 : 0);
}

/** Exactly one of a per-driver field and its `total_` twin. */
export function oneOf(fields: ExecutorFields, perDriver: string, total: string): ExecutorProblem[] {
  const given = [perDriver, total].filter((name) => fields[name] !== undefined);
  if (given.length === 1) return [];
  return [{ path: [perDriver], message: given.length === 0 ? `give ${perDriver} (per driver) or ${total} (split over the drivers)` : `give ${perDriver} or ${total}, not both` }];
}

/** The per-driver value, or this driver's part of the total. */
export function perDriverCount(fields: ExecutorFields, perDriver: string, total: string, share: DriverShare): number {
  const own = fields[perDriver];
  return typeof own === 'number' ? own : shareOfTotal(fields[total] as number, share);
}

/** Arrivals of a lane among `segments` whose integral is `total`: indices lane.index, lane.index + lane.count, … below it. */
export function laneArrivals(total: number, lane: DriverShare): number {
  const all = Math.ceil(total - 1e-9);
  return all > lane.index ? Math.ceil((all - lane.index) / lane.count) : 0;
}

/** k6's maxDuration for the iteration executors: a count of iterations is still bounded in time. */
export const DEFAULT_ITERATIONS_MAX_DURATION_S = 600;

/** `vus` on each driver, or `total_vus` split over them: the closed-model executors' VUs (one of the two, `oneOf`). */
export const VU_COUNT_FIELDS = {
  vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs on each driver').optional(),
  total_vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs over all drivers, split exactly (10 on 3 drivers: 4/3/3)').optional(),
};

/** The iteration executors' bound in time. */
export const MAX_DURATION_FIELD = {
  max_duration_s: planSeconds(`seconds after which no iteration starts (default ${DEFAULT_ITERATIONS_MAX_DURATION_S})`).optional(),
};

/** How long an iteration executor may start iterations, in ms. */
export function iterationsWindowMs(fields: ExecutorFields): number {
  return ((fields.max_duration_s as number | undefined) ?? DEFAULT_ITERATIONS_MAX_DURATION_S) * 1000;
}
