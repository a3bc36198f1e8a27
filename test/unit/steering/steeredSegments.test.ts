import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { constantPacer, stagedPacer, type Pacer } from '../../../src/driver/load/pacers.js';
import { SteeredPacer } from '../../../src/driver/load/steeredPacer.js';
import { plannedDurationMs, plannedStartsBetween, segmentsIntegral, type RateSegment } from '../../../src/protocol/loadShape.js';
import { scenarioSteering, steeredSegments, steeringChange, STEERING_LIMITS, type PlanChange } from '../../../src/protocol/steering.js';
import { controlMessage } from '../../../src/protocol/messages.js';
import { virtualRun } from './virtualClock.js';

const near = (actual: number, expected: number, message: string, tolerance = 1e-6) =>
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${message}: ${actual} ≠ ${expected}`);

function assertSegmentsSane(segments: readonly RateSegment[]): void {
  for (const s of segments) {
    assert.ok(s.durationMs > 0 && Number.isFinite(s.durationMs), `segment of ${s.durationMs} ms`);
    assert.ok(s.fromRps >= -1e-9 && s.toRps >= -1e-9 && Number.isFinite(s.fromRps) && Number.isFinite(s.toRps), `segment rates ${s.fromRps}→${s.toRps}`);
  }
}

const integralUpTo = (segments: readonly RateSegment[], ms: number) => plannedStartsBetween(segments, 0, ms);

// ---- generators: whole milliseconds, so a 1 ms reference walk is exact ----

const segmentArb: fc.Arbitrary<RateSegment> = fc.record({
  durationMs: fc.integer({ min: 1, max: 3_000 }),
  fromRps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 })),
  toRps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 200 })),
});
const baseArb = fc.array(segmentArb, { minLength: 1, maxLength: 4 });
/**
 * A count-bounded base: requests in it, and no 0→0 segment at its end (the count is started before it, so
 * the plan ends there, and the base's own end is no longer the plan's).
 */
const countBaseArb = baseArb.filter((base) => segmentsIntegral(base) >= 1 && (base.at(-1)!.fromRps > 0 || base.at(-1)!.toRps > 0));
const changeArb: fc.Arbitrary<PlanChange> = fc.record(
  { atMs: fc.integer({ min: 0, max: 12_000 }), rate: fc.integer({ min: 1, max: 300 }), paused: fc.boolean() },
  { requiredKeys: ['atMs'] },
);
const RUNS = { numRuns: 120 };

/** The base's rate at an instant of its own clock. */
function baseRateAt(base: readonly RateSegment[], planMs: number): number {
  let startMs = 0;
  for (const s of base) {
    if (planMs < startMs + s.durationMs) return s.fromRps + ((s.toRps - s.fromRps) * (planMs - startMs)) / s.durationMs;
    startMs += s.durationMs;
  }
  return 0;
}

/**
 * A time-bounded plan, walked millisecond by millisecond of the wall clock: the changes due by then apply
 * (a pause stops the plan clock, a rate replaces the base's), and the plan ends when its clock reaches
 * the base's end. `cumulative[w]` is the requests due in the first w ms; `endMs` is undefined when an
 * open pause leaves the plan unfinished (`cumulative` then runs to the last change: a change made during
 * the pause, say a rate for after it, records the pause up to its instant as a 0 req/s stretch).
 */
function referenceWalk(base: readonly RateSegment[], changes: readonly PlanChange[]): { cumulative: number[]; endMs: number | undefined } {
  const planEndMs = plannedDurationMs(base);
  const pending = [...changes].sort((a, b) => a.atMs - b.atMs);
  const cumulative = [0];
  let planMs = 0;
  let paused = false;
  let fixed: number | undefined;
  for (let wall = 0; ; wall++) {
    if (!paused && planMs >= planEndMs) return { cumulative, endMs: wall };
    while (pending.length > 0 && pending[0]!.atMs <= wall) {
      const change = pending.shift()!;
      if (change.rate !== undefined) fixed = change.rate;
      if (change.paused !== undefined) paused = change.paused;
    }
    if (paused && pending.length === 0) return { cumulative, endMs: undefined };
    const rate = paused ? 0 : (fixed ?? baseRateAt(base, planMs + 0.5));
    cumulative.push(cumulative.at(-1)! + rate / 1000);
    if (!paused) planMs += 1;
  }
}

describe('steeredSegments', () => {
  it('with no changes gives the base back, on either bound', () => {
    fc.assert(
      fc.property(countBaseArb, fc.constantFrom('time' as const, 'count' as const), (base, bound) => {
        const out = steeredSegments(base, [], bound);
        assertSegmentsSane(out);
        near(segmentsIntegral(out), segmentsIntegral(base), 'integral');
        near(plannedDurationMs(out), plannedDurationMs(base), 'duration');
        const nonEmpty = base.filter((s) => s.durationMs > 0);
        assert.equal(out.length, nonEmpty.length);
        out.forEach((s, i) => {
          near(s.durationMs, nonEmpty[i]!.durationMs, `segment ${i} duration`);
          near(s.fromRps, nonEmpty[i]!.fromRps, `segment ${i} from`);
          near(s.toRps, nonEmpty[i]!.toRps, `segment ${i} to`);
        });
      }),
      RUNS,
    );
  });

  it('does not change its arguments', () => {
    const base = [{ durationMs: 1_000, fromRps: 0, toRps: 10 }];
    const changes = [{ atMs: 700, paused: false }, { atMs: 200, paused: true }];
    const copies = JSON.stringify([base, changes]);
    steeredSegments(base, changes, 'time');
    assert.equal(JSON.stringify([base, changes]), copies);
  });

  it('a pause [P, R] inserts a zero-rate segment of R − P at P and shifts the rest (time bound: longer by the pause, same integral)', () => {
    const base = [{ durationMs: 2_000, fromRps: 10, toRps: 10 }, { durationMs: 1_000, fromRps: 10, toRps: 30 }];
    const out = steeredSegments(base, [{ atMs: 2_500, paused: true }, { atMs: 4_000, paused: false }], 'time');
    assert.deepEqual(out, [
      { durationMs: 2_000, fromRps: 10, toRps: 10 },
      { durationMs: 500, fromRps: 10, toRps: 20 },
      { durationMs: 1_500, fromRps: 0, toRps: 0 },
      { durationMs: 500, fromRps: 20, toRps: 30 },
    ]);
  });

  it('a pause, for any base and instants: zero segment, shift, integral kept, duration + pause (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 0, max: 5_000 }), fc.constantFrom('time' as const, 'count' as const), (base, pauseMs, lengthMs, bound) => {
        const last = base.at(-1)!;
        if (bound === 'count' && (segmentsIntegral(base) < 1 || (last.fromRps === 0 && last.toRps === 0))) return;
        const resumeMs = pauseMs + lengthMs;
        const plain = steeredSegments(base, [], bound);
        const endMs = plannedDurationMs(plain);
        const out = steeredSegments(base, [{ atMs: pauseMs, paused: true }, { atMs: resumeMs, paused: false }], bound);
        assertSegmentsSane(out);
        near(segmentsIntegral(out), segmentsIntegral(plain), 'the pause changed the integral');
        if (pauseMs >= endMs) {
          near(plannedDurationMs(out), endMs, 'a pause after the end changed the plan');
          return;
        }
        near(plannedDurationMs(out), endMs + lengthMs, 'duration');
        near(integralUpTo(out, pauseMs), integralUpTo(plain, pauseMs), 'before the pause');
        near(plannedStartsBetween(out, pauseMs, resumeMs), 0, 'inside the pause');
        for (const x of [0, 1, 250, 1_000, endMs - pauseMs]) {
          near(plannedStartsBetween(out, resumeMs, resumeMs + x), plannedStartsBetween(plain, pauseMs, pauseMs + x), `${x} ms after the resume`);
        }
        if (lengthMs > 0) {
          let wall = 0;
          const zero = out.find((s) => {
            const at = wall;
            wall += s.durationMs;
            return at === pauseMs && s.fromRps === 0 && s.toRps === 0;
          });
          assert.equal(zero?.durationMs, lengthMs, 'no zero-rate segment of the pause at its instant');
        }
      }),
      RUNS,
    );
  });

  it('a rate change on a time-bounded plan keeps its end and takes the new rate from the change on', () => {
    const base = [{ durationMs: 10_000, fromRps: 0, toRps: 100 }]; // 500 requests
    const out = steeredSegments(base, [{ atMs: 4_000, rate: 10 }], 'time');
    assert.deepEqual(out, [
      { durationMs: 4_000, fromRps: 0, toRps: 40 },
      { durationMs: 6_000, fromRps: 10, toRps: 10 },
    ]);
    near(segmentsIntegral(out), 80 + 60, 'integral');
  });

  it('a rate change on a time-bounded plan, any base and instant (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 1, max: 500 }), (base, changeMs, rate) => {
        const endMs = plannedDurationMs(base);
        const out = steeredSegments(base, [{ atMs: changeMs, rate }], 'time');
        assertSegmentsSane(out);
        near(plannedDurationMs(out), endMs, 'a rate change moved the end of a time-bounded plan');
        const expected = changeMs >= endMs ? segmentsIntegral(base) : integralUpTo(base, changeMs) + (rate * (endMs - changeMs)) / 1000;
        near(segmentsIntegral(out), expected, 'integral');
      }),
      RUNS,
    );
  });

  it('a rate change on a count-bounded plan keeps the count and moves the end', () => {
    const base = [{ durationMs: 4_000, fromRps: 25, toRps: 25 }]; // 100 requests at 25/s
    const out = steeredSegments(base, [{ atMs: 2_000, rate: 10 }], 'count');
    assert.deepEqual(out, [
      { durationMs: 2_000, fromRps: 25, toRps: 25 },
      { durationMs: 5_000, fromRps: 10, toRps: 10 },
    ]);
  });

  it('a rate change on a count-bounded plan, any count, rate and instant (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 5_000 }), fc.integer({ min: 1, max: 500 }), fc.integer({ min: 0, max: 20_000 }), fc.integer({ min: 1, max: 500 }), (count, baseRate, changeMs, rate) => {
        const base = [{ durationMs: (count / baseRate) * 1000, fromRps: baseRate, toRps: baseRate }];
        const endMs = plannedDurationMs(base);
        const out = steeredSegments(base, [{ atMs: changeMs, rate }], 'count');
        assertSegmentsSane(out);
        near(segmentsIntegral(out), count, 'the count');
        const expectedEnd = changeMs >= endMs ? endMs : changeMs + ((count - (baseRate * changeMs) / 1000) / rate) * 1000;
        near(plannedDurationMs(out), expectedEnd, 'the end');
      }),
      RUNS,
    );
  });

  it('an open pause leaves the plan unfinished: nothing after the pause instant', () => {
    const base = [{ durationMs: 5_000, fromRps: 20, toRps: 20 }];
    for (const bound of ['time', 'count'] as const) {
      const out = steeredSegments(base, [{ atMs: 1_500, rate: 40 }, { atMs: 3_000, paused: true }], bound);
      assert.deepEqual(out, [
        { durationMs: 1_500, fromRps: 20, toRps: 20 },
        { durationMs: 1_500, fromRps: 40, toRps: 40 },
      ]);
    }
    fc.assert(
      fc.property(countBaseArb, fc.integer({ min: 0, max: 12_000 }), fc.constantFrom('time' as const, 'count' as const), (base, pauseMs, bound) => {
        const plain = steeredSegments(base, [], bound);
        const out = steeredSegments(base, [{ atMs: pauseMs, paused: true }], bound);
        const endMs = plannedDurationMs(plain);
        near(plannedDurationMs(out), Math.min(pauseMs, endMs), 'the segments run past the pause');
        near(segmentsIntegral(out), integralUpTo(plain, Math.min(pauseMs, endMs)), 'integral');
      }),
      RUNS,
    );
  });

  it('an open pause with a rate asked during it: nothing is started after the pause instant', () => {
    fc.assert(
      fc.property(countBaseArb, fc.integer({ min: 0, max: 12_000 }), fc.integer({ min: 0, max: 3_000 }), fc.integer({ min: 1, max: 300 }), fc.constantFrom('time' as const, 'count' as const), (base, pauseMs, laterMs, rate, bound) => {
        const plain = steeredSegments(base, [], bound);
        const endMs = plannedDurationMs(plain);
        if (pauseMs >= endMs) return;
        const out = steeredSegments(base, [{ atMs: pauseMs, paused: true }, { atMs: pauseMs + laterMs, rate }], bound);
        assertSegmentsSane(out);
        near(segmentsIntegral(out), integralUpTo(plain, pauseMs), 'integral');
        let wall = 0;
        for (const s of out) {
          if (wall >= pauseMs) assert.deepEqual([s.fromRps, s.toRps], [0, 0], `a segment at ${wall} ms, after the open pause at ${pauseMs}`);
          wall += s.durationMs;
        }
        assert.ok(wall <= pauseMs + laterMs, 'the segments run past the last change');
      }),
      RUNS,
    );
  });

  it('takes its changes in time order, whatever order they come in (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.uniqueArray(changeArb, { maxLength: 6, selector: (c) => c.atMs }), fc.constantFrom('time' as const, 'count' as const), (base, changes, bound) => {
        if (bound === 'count' && segmentsIntegral(base) < 1) return;
        const sorted = [...changes].sort((a, b) => a.atMs - b.atMs);
        assert.deepEqual(steeredSegments(base, [...changes].reverse(), bound), steeredSegments(base, sorted, bound));
      }),
      RUNS,
    );
  });

  it('matches a millisecond-by-millisecond walk of a time-bounded plan, for any changes (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.array(changeArb, { maxLength: 6 }), (base, changes) => {
        const out = steeredSegments(base, changes, 'time');
        assertSegmentsSane(out);
        const { cumulative, endMs } = referenceWalk(base, changes);
        const outEnd = plannedDurationMs(out);
        near(outEnd, endMs ?? cumulative.length - 1, 'where the segments end');
        const step = Math.max(1, Math.floor(cumulative.length / 60));
        for (let w = 0; w < cumulative.length; w += step) near(integralUpTo(out, w), cumulative[w]!, `requests due by ${w} ms`, 1e-6);
        near(segmentsIntegral(out), cumulative.at(-1)!, 'integral');
      }),
      RUNS,
    );
  });

  it('with a count bound: the integral is the count whenever the plan is not left paused (property)', () => {
    fc.assert(
      fc.property(countBaseArb, fc.array(changeArb, { maxLength: 6 }), (base, changes) => {
        const out = steeredSegments(base, changes, 'count');
        assertSegmentsSane(out);
        const sorted = [...changes].sort((a, b) => a.atMs - b.atMs);
        const lastPause = sorted.filter((c) => c.paused !== undefined).at(-1);
        if (lastPause?.paused === true) {
          assert.ok(segmentsIntegral(out) <= segmentsIntegral(base) + 1e-6, 'more than the count');
          return;
        }
        near(segmentsIntegral(out), segmentsIntegral(base), 'the count', 1e-6);
      }),
      RUNS,
    );
  });
});

describe('the steering schemas', () => {
  const issues = (result: { success: boolean; error?: { issues: { path: PropertyKey[]; message: string }[] } }) =>
    result.success ? [] : result.error!.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);

  it('steeringChange takes a rate, a pause, a resume, scenarios, or several of them', () => {
    assert.deepEqual(steeringChange.parse({ rate: 250 }), { rate: 250 });
    assert.equal(steeringChange.safeParse({ rate: '12.5' }).success, false, 'the REST body takes JSON numbers, as its OpenAPI schema says (strings are for the wire)');
    assert.deepEqual(controlMessage.parse({ message_type: 'STEER_TEST', test_id: 't', rate: '12.5', scenarios: { checkout: { vus: '7' } } }), { message_type: 'STEER_TEST', test_id: 't', rate: 12.5, scenarios: { checkout: { vus: 7 } } }, 'on the wire a number may be a string, as the spec sends numbers');
    assert.deepEqual(steeringChange.parse({ paused: true }), { paused: true });
    assert.deepEqual(steeringChange.parse({ paused: false }), { paused: false });
    assert.deepEqual(steeringChange.parse({ scenarios: { browse: { rate: 5 }, login: { vus: 0 } } }), { scenarios: { browse: { rate: 5 }, login: { vus: 0 } } });
    assert.deepEqual(steeringChange.parse({ rate: 1, paused: false }), { rate: 1, paused: false });
    assert.deepEqual(steeringChange.parse({ rate: STEERING_LIMITS.rate }), { rate: STEERING_LIMITS.rate });
  });

  it('steeringChange refuses an empty change, with a message that says what to give', () => {
    for (const empty of [{}, { scenarios: {} }]) assert.deepEqual(issues(steeringChange.safeParse(empty)), [': give rate, paused or scenarios']);
  });

  it('steeringChange refuses a rate that is not above 0, too large or not a number, and unknown fields', () => {
    assert.deepEqual(issues(steeringChange.safeParse({ rate: 0 })), ['rate: must be > 0 (pause the test to stop its load)']);
    assert.deepEqual(issues(steeringChange.safeParse({ rate: -3 })), ['rate: must be > 0 (pause the test to stop its load)']);
    assert.deepEqual(issues(steeringChange.safeParse({ rate: STEERING_LIMITS.rate + 1 })), [`rate: must be at most ${STEERING_LIMITS.rate}`]);
    assert.deepEqual(issues(steeringChange.safeParse({ rate: 'fast' })), ['rate: must be a number']);
    for (const bad of [{ rate: Infinity }, { rate: Number.NaN }, { rate: null }, { paused: 'yes' }, { paused: 1 }, { rate: 5, speed: 2 }, { scenarios: { '': { rate: 1 } } }, { scenarios: [] }, 'rate=5', null]) {
      assert.equal(steeringChange.safeParse(bad).success, false, `accepted ${JSON.stringify(bad)}`);
    }
  });

  it('scenarioSteering wants exactly one of rate and vus, a rate above 0 and whole VUs', () => {
    assert.deepEqual(scenarioSteering.parse({ rate: 0.5 }), { rate: 0.5 });
    assert.deepEqual(scenarioSteering.parse({ vus: 7 }), { vus: 7 });
    assert.deepEqual(scenarioSteering.parse({ vus: 0 }), { vus: 0 }, 'no VUs is a change a capacity search can make');
    assert.deepEqual(issues(scenarioSteering.safeParse({})), [': give exactly one of rate and vus']);
    assert.deepEqual(issues(scenarioSteering.safeParse({ rate: 1, vus: 2 })), [': give exactly one of rate and vus']);
    assert.deepEqual(issues(scenarioSteering.safeParse({ vus: 2.5 })), ['vus: must be a whole number']);
    assert.deepEqual(issues(scenarioSteering.safeParse({ vus: -1 })), ['vus: must be >= 0']);
    assert.deepEqual(issues(scenarioSteering.safeParse({ rate: 0 })), ['rate: must be > 0 (pause the test to stop its load)']);
    assert.equal(scenarioSteering.safeParse({ vus: STEERING_LIMITS.vus + 1 }).success, false);
    assert.equal(scenarioSteering.safeParse({ rate: 1, paused: true }).success, false, 'a scenario has no pause of its own');
    assert.deepEqual(issues(steeringChange.safeParse({ scenarios: { checkout: { vus: 1.5 } } })), ['scenarios.checkout.vus: must be a whole number']);
    assert.deepEqual(issues(steeringChange.safeParse({ scenarios: { checkout: {} } })), ['scenarios.checkout: give exactly one of rate and vus']);
  });

  it('accepts exactly what the rules allow (property)', () => {
    const rateValue = fc.oneof(fc.double({ min: -10, max: STEERING_LIMITS.rate * 1.5, noNaN: true }), fc.constant(0));
    const vusValue = fc.oneof(fc.integer({ min: -5, max: STEERING_LIMITS.vus + 5 }), fc.double({ min: 0, max: 100, noNaN: true }));
    const scenario = fc.record({ rate: rateValue, vus: vusValue }, { requiredKeys: [] });
    fc.assert(
      fc.property(fc.record({ rate: rateValue, paused: fc.boolean(), scenarios: fc.dictionary(fc.stringMatching(/^[a-z][a-z0-9-]{0,7}$/), scenario, { maxKeys: 3 }) }, { requiredKeys: [] }), (change) => {
        const rateOk = (r: number | undefined) => r === undefined || (r > 0 && r <= STEERING_LIMITS.rate);
        const vusOk = (v: number | undefined) => v === undefined || (Number.isInteger(v) && v >= 0 && v <= STEERING_LIMITS.vus);
        const scenarios = Object.values(change.scenarios ?? {});
        const scenarioOk = (s: { rate?: number; vus?: number }) => (s.rate === undefined) !== (s.vus === undefined) && rateOk(s.rate) && vusOk(s.vus);
        const expected = rateOk(change.rate) && scenarios.every(scenarioOk) && (change.rate !== undefined || change.paused !== undefined || scenarios.length > 0);
        assert.equal(steeringChange.safeParse(change).success, expected, JSON.stringify(change));
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * What the orchestrator plans (steeredSegments) against what a driver starts: a SteeredPacer under a
 * StartScheduler on an injected clock, given the same plan and changes (instants from the run's start).
 */
type CrossCase = { name: string; base: RateSegment[]; bound: 'time' | 'count'; pacer: () => Pacer; changes: PlanChange[]; openAtEnd?: boolean };

const CROSS_CASES: CrossCase[] = [
  { name: 'time: 10/s for 2 s, 30/s from 1 s', base: [{ durationMs: 2_000, fromRps: 10, toRps: 10 }], bound: 'time', pacer: () => constantPacer(100), changes: [{ atMs: 1_000, rate: 30 }] },
  {
    name: 'time: 10/s for 2 s, paused 500–800, 20/s from 1300',
    base: [{ durationMs: 2_000, fromRps: 10, toRps: 10 }],
    bound: 'time',
    pacer: () => constantPacer(100),
    changes: [{ atMs: 500, paused: true }, { atMs: 800, paused: false }, { atMs: 1_300, rate: 20 }],
  },
  { name: 'count: 40 at 20/s, 5/s from 1 s', base: [{ durationMs: 2_000, fromRps: 20, toRps: 20 }], bound: 'count', pacer: () => constantPacer(50), changes: [{ atMs: 1_000, rate: 5 }] },
  { name: 'count: 40 at 20/s, paused 300–700', base: [{ durationMs: 2_000, fromRps: 20, toRps: 20 }], bound: 'count', pacer: () => constantPacer(50), changes: [{ atMs: 300, paused: true }, { atMs: 700, paused: false }] },
  {
    name: 'time: a ramp 0→20/s over 2 s, paused 700–1200, 15/s from 1500',
    base: [{ durationMs: 2_000, fromRps: 0, toRps: 20 }],
    bound: 'time',
    pacer: () => stagedPacer([{ durationMs: 2_000, fromRps: 0, toRps: 20 }]),
    changes: [{ atMs: 700, paused: true }, { atMs: 1_200, paused: false }, { atMs: 1_500, rate: 15 }],
  },
  {
    name: 'time: stages 5→25→10/s, 40/s from 900, paused 1400–1650, 8/s from 2200',
    base: [{ durationMs: 1_500, fromRps: 5, toRps: 25 }, { durationMs: 1_500, fromRps: 25, toRps: 10 }],
    bound: 'time',
    pacer: () => stagedPacer([{ durationMs: 1_500, fromRps: 5, toRps: 25 }, { durationMs: 1_500, fromRps: 25, toRps: 10 }]),
    changes: [{ atMs: 900, rate: 40 }, { atMs: 1_400, paused: true }, { atMs: 1_650, paused: false }, { atMs: 2_200, rate: 8 }],
  },
  { name: 'time: 10/s for 2 s, paused at 1250 for good', base: [{ durationMs: 2_000, fromRps: 10, toRps: 10 }], bound: 'time', pacer: () => constantPacer(100), changes: [{ atMs: 1_250, paused: true }], openAtEnd: true },
];

/** `slack`: starts the scheduler may make beyond the integral (a change starts its rate at its own instant). */
async function crossCheck({ base, bound, pacer, changes, openAtEnd }: CrossCase, slack = 1): Promise<void> {
  const segments = steeredSegments(base, changes, bound);
  const planned = segmentsIntegral(segments);
  const count = bound === 'count' ? Math.round(segmentsIntegral(base)) : Math.ceil(segmentsIntegral(base));
  const options = { count, pacer: new SteeredPacer(pacer()), maxInFlight: Infinity, startWindowMs: bound === 'time' ? plannedDurationMs(base) : undefined };
  await virtualRun(options, async (run) => {
    await run.start();
    for (const change of changes) run.scheduler.steer(change);
    const endMs = plannedDurationMs(segments);
    const done = await run.runUntilDone(endMs + 1_000);
    assert.equal(done, !openAtEnd, openAtEnd ? 'a plan left paused ended' : 'the plan did not end');
    const started = run.starts.length;
    assert.ok(Math.abs(started - planned) <= slack, `started ${started}, steeredSegments plans ${planned}`);
    assert.ok(run.intendedTimes().every((t) => t <= endMs + 1e-9), `a start after the planned end ${endMs}`);
    // and along the way: the starts so far against the planned integral so far
    for (let w = 0; w <= endMs; w += 100) {
      const so = run.starts.filter((s) => s.intended < w).length;
      assert.ok(Math.abs(so - integralUpTo(segments, w)) <= slack + 1e-9, `by ${w} ms: started ${so}, planned ${integralUpTo(segments, w)}`);
    }
  });
}

describe('steeredSegments against what a steered StartScheduler starts', () => {
  for (const crossCase of CROSS_CASES) it(crossCase.name, () => crossCheck(crossCase));

  // A change starts its fixed rate with a start at its own instant, so the fraction of a gap left before
  // the next old start is started in full: each change that lands between two starts can add one, and the
  // count drifts from the integral by up to 1 per change (docs/protocol.md, "Steering").
  it('drifts by at most one start per change when a change lands between two starts (1/s, the same rate again at 1.1 s)', () =>
    crossCheck({ name: '', base: [{ durationMs: 2_200, fromRps: 1, toRps: 1 }], bound: 'time', pacer: () => constantPacer(1_000), changes: [{ atMs: 1_100, rate: 1 }] }, 2),
  );
});
