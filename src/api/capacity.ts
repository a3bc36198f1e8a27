import { z } from 'zod';
import { evaluateThresholds, parseThreshold, ThresholdSyntaxError, type Threshold, type ThresholdFigures } from './thresholds.js';

/**
 * The capacity search (`find_capacity`): one test whose total rate rises in steps, each held `step_s`
 * and judged on its own seconds against the SLOs, then narrows between the last step that met every SLO
 * and the first that did not, and ends there. Rates are totals over the drivers taking part.
 */
export const CAPACITY_LIMITS = { rate: 1_000_000, stepS: { min: 3, max: 30 }, slos: 10 } as const;
/** Steps rise by this factor until one fails. */
export const RISE_FACTOR = 2;
/** Narrowing stops once the failing rate is within this fraction above the passing one. */
export const RESOLUTION = 0.05;
/** The first second of a step carries the step before (reports are labelled by when they came): not judged. */
export const SETTLE_MS = 1_000;

/** What an SLO may judge: a step's own per-second figures merged (never the test's cumulative ones). */
const SLO_MEASURES = new Set(['latency:median', 'latency:p95', 'latency:p99', 'errorRate', 'errorCount', 'rps']);
const SLO_EXAMPLES = "p99<50, p95<=200, median<20, errors<1%, errors<=5, rps>=900";

/** An SLO as its threshold, or a ThresholdSyntaxError saying why it cannot judge a step. */
export function parseSlo(expression: string): Threshold {
  const threshold = parseThreshold(expression);
  const { measure } = threshold;
  const key = measure.kind === 'latency' ? `latency:${measure.metric}` : measure.kind;
  if (!SLO_MEASURES.has(key)) throw new ThresholdSyntaxError(`${JSON.stringify(expression)}: an SLO judges a step of the whole test by its p50 (median), p95, p99, errors or rps (${SLO_EXAMPLES})`);
  return threshold;
}

const sloText = z.string({ error: 'must be an SLO such as p99<50' }).superRefine((text, ctx) => {
  try {
    parseSlo(text);
  } catch (error) {
    if (!(error instanceof ThresholdSyntaxError)) throw error;
    ctx.addIssue({ code: 'custom', message: error.message });
  }
});
const totalRate = z.number({ error: 'must be a number' }).positive('must be > 0').max(CAPACITY_LIMITS.rate, `must be at most ${CAPACITY_LIMITS.rate}`);

export const findCapacity = z
  .strictObject({
    slo: z.array(sloText).min(1, 'needs at least one SLO').max(CAPACITY_LIMITS.slos, `at most ${CAPACITY_LIMITS.slos} SLOs`).meta({ description: `what every step must meet, e.g. ["p99<50", "errors<1%"] (${SLO_EXAMPLES})` }),
    from: totalRate.default(100).meta({ description: 'the first step: requests per second over every driver' }),
    to: totalRate.default(20_000).meta({ description: 'the highest rate tried' }),
    step_s: z.number({ error: 'must be a number' }).min(CAPACITY_LIMITS.stepS.min, `must be at least ${CAPACITY_LIMITS.stepS.min}`).max(CAPACITY_LIMITS.stepS.max, `must be at most ${CAPACITY_LIMITS.stepS.max}`).default(5).meta({ description: 'how long each step holds its rate, in seconds (its first second is not judged)' }),
  })
  .refine((spec) => spec.to >= spec.from, { path: ['to'], message: 'must be at least from' })
  .meta({ description: 'a capacity search: the test raises its total rate from `from` in steps until a step misses an SLO, narrows, and reports the highest rate that met every SLO (capacity_rps)' });

export type FindCapacity = z.output<typeof findCapacity>;

/** Steps a search may take at most: the rise from `from` to `to`, and the narrowing after. */
export function maxSteps(spec: Pick<FindCapacity, 'from' | 'to'>): number {
  const rising = Math.ceil(Math.log(spec.to / spec.from) / Math.log(RISE_FACTOR)) + 1;
  const narrowing = Math.ceil(Math.log((RISE_FACTOR - 1) / RESOLUTION) / Math.log(2)) + 1;
  return rising + narrowing;
}

/** One step as judged: its rate, its figures over its judged seconds, and whether every SLO held. */
export type CapacityStep = { rate: number; p50: number | null; p95: number | null; p99: number | null; errors: number; completed: number; error_rate: number | null; achieved_rps: number | null; ok: boolean; failed_slos: string[] };

/** A step's judged seconds merged: what its SLOs read. */
export type StepFigures = { completed: number; errors: number; seconds: number; p50: number | null; p95: number | null; p99: number | null };

export function judgeStep(rate: number, figures: StepFigures, slos: readonly Threshold[]): CapacityStep {
  const achieved = figures.seconds > 0 ? figures.completed / figures.seconds : null;
  const thresholdFigures: ThresholdFigures = {
    latency: { min: null, max: null, mean: null, median: figures.p50, mode: null, p90: null, p95: figures.p95, p99: figures.p99 },
    completed: figures.completed,
    error_count: figures.errors,
    rps: achieved,
  };
  const failed = evaluateThresholds(slos, thresholdFigures).filter((r) => !r.ok).map((r) => r.expression);
  return {
    rate,
    p50: figures.p50,
    p95: figures.p95,
    p99: figures.p99,
    errors: figures.errors,
    completed: figures.completed,
    error_rate: figures.completed > 0 ? figures.errors / figures.completed : null,
    achieved_rps: achieved === null ? null : Math.round(achieved * 1000) / 1000,
    ok: failed.length === 0,
    failed_slos: failed,
  };
}

/** What the search does next: another step at `rate`, or stop with the highest rate that held (null: none did). */
export type NextMove = { rate: number } | { capacity: number | null };

/**
 * The search's decision after its steps so far (pure): rise ×RISE_FACTOR (capped at `to`) while every
 * step held; after a failure, halve the gap between the highest rate that held and the lowest that did
 * not, until that gap is within RESOLUTION of the rate that held.
 */
export function nextMove(spec: Pick<FindCapacity, 'from' | 'to'>, steps: readonly Pick<CapacityStep, 'rate' | 'ok'>[]): NextMove {
  if (steps.length === 0) return { rate: spec.from };
  const held = steps.filter((s) => s.ok).map((s) => s.rate);
  const missed = steps.filter((s) => !s.ok).map((s) => s.rate);
  const best = held.length > 0 ? Math.max(...held) : undefined;
  const worst = missed.length > 0 ? Math.min(...missed) : undefined;
  if (best === undefined) return { capacity: null };
  if (worst === undefined) return best >= spec.to ? { capacity: best } : { rate: roundRate(Math.min(spec.to, best * RISE_FACTOR)) };
  if (worst - best <= best * RESOLUTION || steps.length >= maxSteps(spec)) return { capacity: best };
  return { rate: roundRate((best + worst) / 2) };
}

function roundRate(rate: number): number {
  return Math.round(rate * 1000) / 1000;
}

/** Every SLO of a search, parsed (its schema has checked them). */
export function slosOf(spec: Pick<FindCapacity, 'slo'>): Threshold[] {
  return spec.slo.map(parseSlo);
}
