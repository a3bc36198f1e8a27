import { z } from 'zod';
import type { RateSegment } from './loadShape.js';
import { wireNonNegative, wireNumber } from './wireValues.js';

/**
 * Steering a running test (docs/protocol.md, "Steering"): a change of rate or VUs, or a pause, that every
 * driver applies at one instant (`apply_at`). Rates and VUs are totals over the drivers taking part, as a
 * capacity search states them; each driver takes its share.
 */
export const STEERING_LIMITS = { rate: 10_000_000, vus: 1_000_000 } as const;

const rateRule = z.number({ error: 'must be a number' }).positive('must be > 0 (pause the test to stop its load)').max(STEERING_LIMITS.rate, `must be at most ${STEERING_LIMITS.rate}`);
const vusRule = z.number({ error: 'must be a number' }).int('must be a whole number').min(0, 'must be >= 0').max(STEERING_LIMITS.vus, `must be at most ${STEERING_LIMITS.vus}`);
/** On the wire numbers may come as strings too (wireValues.ts); the REST body takes JSON numbers, as its schema says. */
const wireRate = wireNumber.pipe(rateRule);
const wireVus = wireNumber.pipe(vusRule);

/** One scenario's change: its arrival rate (arrival executors) or its VUs (VU executors). */
function scenarioChange(rate: z.ZodType<number>, vus: z.ZodType<number>) {
  return z
    .strictObject({
      rate: rate.optional().meta({ description: 'iterations started per second over every driver, from the change on (arrival-rate executors)' }),
      vus: vus.optional().meta({ description: 'VUs over every driver, from the change on (constant-vus, ramping-vus)' }),
    })
    .refine((s) => (s.rate === undefined) !== (s.vus === undefined), { message: 'give exactly one of rate and vus' });
}

export const scenarioSteering = scenarioChange(rateRule, vusRule);

/** What a change asks; at least one part. */
export const steeringChange = z
  .strictObject({
    rate: rateRule.optional().meta({ description: "a plain test's requests started per second over every driver, from the change on (a fixed rate replaces the rest of its stages)" }),
    paused: z.boolean().optional().meta({ description: 'true: no request or iteration starts until resumed (the plan waits: a time-bounded test runs longer by the pause); false: resume' }),
    scenarios: z.record(z.string().min(1).max(200), scenarioSteering).optional().meta({ description: 'per scenario name: {rate} or {vus}' }),
  })
  .refine((c) => c.rate !== undefined || c.paused !== undefined || (c.scenarios !== undefined && Object.keys(c.scenarios).length > 0), {
    message: 'give rate, paused or scenarios',
  });

export type ScenarioSteering = z.output<typeof scenarioSteering>;
export type SteeringChange = z.output<typeof steeringChange>;

/** The control message's extension fields for STEER_TEST (beside message_type and test_id). */
export const steerFields = {
  /** the change's id: a driver applies each once, and the log names it */
  change_id: z.string().min(1).max(200).optional(),
  /** epoch ms: when every driver applies it, each on its own clock (a late one applies it on arrival) */
  apply_at: wireNonNegative.optional(),
  rate: wireRate.optional(),
  paused: z.boolean().optional(),
  scenarios: z.record(z.string().min(1).max(200), scenarioChange(wireRate, wireVus)).optional(),
};

/**
 * A change as it lands on a plan: `atMs` after the workload's start on the wall clock, `rate` in starts per
 * second of this plan (one driver's, for a plain test), `paused` as asked.
 */
export type PlanChange = { atMs: number; rate?: number | undefined; paused?: boolean | undefined };

/**
 * What a plan does once steered, as wall-clock rate segments from the workload's start: a pause is a
 * segment of rate 0 and shifts the rest of the plan (the plan's clock waits, as k6's pause), a rate is a
 * fixed rate from then on. `base` is the plan's own segments; its end stays where it was on the plan's
 * clock (`bound: 'time'`, stages or duration_s) or comes when its count is started (`'count'`: the count
 * is the base's integral).
 */
export function steeredSegments(base: readonly RateSegment[], changes: readonly PlanChange[], bound: 'time' | 'count'): RateSegment[] {
  const planEndMs = base.reduce((sum, s) => sum + s.durationMs, 0);
  const count = integral(base);
  const out: RateSegment[] = [];
  let planMs = 0;
  let wallMs = 0;
  let started = 0;
  let fixedRate: number | undefined;
  let paused = false;
  const ended = () => (bound === 'time' ? planMs >= planEndMs : started >= count - 1e-9);
  /** Runs the plan on for `wallSpanMs` of wall clock (Infinity: to its end). */
  const advance = (wallSpanMs: number) => {
    if (wallSpanMs <= 0) return;
    if (paused) {
      if (wallSpanMs !== Infinity) out.push({ durationMs: wallSpanMs, fromRps: 0, toRps: 0 });
      wallMs += wallSpanMs;
      return;
    }
    const pieces = fixedRate === undefined ? slice(base, planMs, planMs + Math.min(wallSpanMs, planEndMs - planMs)) : [{ durationMs: Math.min(wallSpanMs, fixedSpanMs(fixedRate)), fromRps: fixedRate, toRps: fixedRate }];
    for (const piece of pieces) {
      if (piece.durationMs <= 0) continue;
      out.push(piece);
      planMs += piece.durationMs;
      wallMs += piece.durationMs;
      started += ((piece.fromRps + piece.toRps) / 2) * (piece.durationMs / 1000);
    }
  };
  /** How long a fixed rate may run before the plan ends. */
  const fixedSpanMs = (rate: number) => (bound === 'time' ? planEndMs - planMs : ((count - started) / rate) * 1000);
  for (const change of [...changes].sort((a, b) => a.atMs - b.atMs)) {
    if (!paused && ended()) break;
    advance(change.atMs - wallMs);
    if (!paused && ended()) break;
    if (change.rate !== undefined) fixedRate = change.rate;
    if (change.paused !== undefined) paused = change.paused;
  }
  if (!paused) advance(Infinity);
  return out;
}

/** The part of `segments` between two instants of their own clock, as segments. */
function slice(segments: readonly RateSegment[], fromMs: number, toMs: number): RateSegment[] {
  const out: RateSegment[] = [];
  let startMs = 0;
  for (const s of segments) {
    const endMs = startMs + s.durationMs;
    const from = Math.max(fromMs, startMs);
    const to = Math.min(toMs, endMs);
    if (to > from) out.push({ durationMs: to - from, fromRps: rateAt(s, from - startMs), toRps: rateAt(s, to - startMs) });
    startMs = endMs;
  }
  return out;
}

function rateAt(segment: RateSegment, ms: number): number {
  return segment.fromRps + ((segment.toRps - segment.fromRps) * ms) / segment.durationMs;
}

function integral(segments: readonly RateSegment[]): number {
  return segments.reduce((sum, s) => sum + ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000), 0);
}
