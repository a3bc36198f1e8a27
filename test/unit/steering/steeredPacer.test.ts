import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { LoadPlan } from '../../../src/driver/load/loadModel.js';
import { constantPacer, linearRampPacer, stagedPacer, type Pacer, type RateSegment } from '../../../src/driver/load/pacers.js';
import { SteeredPacer } from '../../../src/driver/load/steeredPacer.js';
import { lanePlan } from '../../../src/driver/workers/lanePlan.js';

type Steer = { planMs: number; rate: number };

/** How far each property looks: every index below this. */
const INDICES = 1_500;

function offsets(pacer: Pacer, n = INDICES): (number | undefined)[] {
  return Array.from({ length: n }, (_, index) => pacer.startOffsetMs(index));
}

function steered(base: Pacer, steers: readonly Steer[]): SteeredPacer {
  const pacer = new SteeredPacer(base);
  for (const { planMs, rate } of steers) pacer.steer(planMs, rate);
  return pacer;
}

/**
 * The specification, by brute force over the first `n` indices: a change takes the first start whose
 * offset is at or after its instant (an absent start counts as after it), and from there on start k is
 * at planMs + (k − from) · 1000/rate.
 */
function referenceOffsets(base: Pacer, steers: readonly Steer[], n = INDICES): (number | undefined)[] {
  const out = offsets(base, n);
  for (const { planMs, rate } of steers) {
    const found = out.findIndex((offset) => (offset ?? Infinity) >= planMs);
    const from = found < 0 ? n : found;
    for (let k = from; k < n; k++) out[k] = planMs + (k - from) * (1000 / rate);
  }
  return out;
}

/** The first index whose offset is at or after `planMs`, as the pacer stands (undefined = past its end). */
function firstIndexFrom(pacer: Pacer, planMs: number, n = INDICES): number {
  for (let k = 0; k < n; k++) if ((pacer.startOffsetMs(k) ?? Infinity) >= planMs) return k;
  return n;
}

function assertClose(actual: number | undefined, expected: number | undefined, message: string, tolerance = 1e-6): void {
  if (expected === undefined || actual === undefined) {
    assert.equal(actual, expected, message);
    return;
  }
  assert.ok(Math.abs(actual - expected) <= tolerance * Math.max(1, Math.abs(expected)), `${message}: ${actual} ≠ ${expected}`);
}

function assertSameOffsets(actual: readonly (number | undefined)[], expected: readonly (number | undefined)[], what: string): void {
  assert.equal(actual.length, expected.length);
  for (let k = 0; k < expected.length; k++) assertClose(actual[k], expected[k], `${what}: start ${k}`);
}

// ---- generators -------------------------------------------------------------------------------------

type BaseSpec = { kind: 'constant'; intervalMs: number } | { kind: 'staged'; segments: RateSegment[] } | { kind: 'ramp'; fromRps: number; toRps: number; durationMs: number };

function baseOf(spec: BaseSpec): Pacer {
  if (spec.kind === 'constant') return constantPacer(spec.intervalMs);
  if (spec.kind === 'staged') return stagedPacer(spec.segments);
  return linearRampPacer(spec.fromRps, spec.toRps, spec.durationMs);
}

const segmentArb: fc.Arbitrary<RateSegment> = fc.record({
  durationMs: fc.integer({ min: 50, max: 4_000 }),
  fromRps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 }), fc.double({ min: 0.1, max: 150, noNaN: true })),
  toRps: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 150 }), fc.double({ min: 0.1, max: 150, noNaN: true })),
});

const baseArb: fc.Arbitrary<BaseSpec> = fc.oneof(
  fc.record({ kind: fc.constant('constant' as const), intervalMs: fc.oneof(fc.integer({ min: 1, max: 400 }), fc.double({ min: 0.5, max: 400, noNaN: true })) }),
  fc.record({ kind: fc.constant('staged' as const), segments: fc.array(segmentArb, { minLength: 1, maxLength: 4 }) }),
  fc.record({ kind: fc.constant('ramp' as const), fromRps: fc.integer({ min: 0, max: 100 }), toRps: fc.integer({ min: 0, max: 100 }), durationMs: fc.integer({ min: 100, max: 8_000 }) }),
);

const rateArb = fc.oneof(fc.integer({ min: 1, max: 300 }), fc.double({ min: 0.5, max: 300, noNaN: true }));
const steerArb: fc.Arbitrary<Steer> = fc.record({ planMs: fc.oneof(fc.integer({ min: 0, max: 12_000 }), fc.double({ min: 0, max: 12_000, noNaN: true })), rate: rateArb });

/** Steers in the order a running test makes them: each instant later than the one before. */
const increasingSteersArb = fc.array(steerArb, { minLength: 1, maxLength: 5 }).map((steers) => {
  const instants = [...new Set(steers.map((s) => s.planMs))].sort((a, b) => a - b);
  return instants.map((planMs, i) => ({ planMs, rate: steers[i]!.rate }));
});

const RUNS = { numRuns: 150 };

// ---- tests ------------------------------------------------------------------------------------------

describe('SteeredPacer before any change', () => {
  it('is its base, index for index, with the same description (constant, staged, ramp, past the end)', () => {
    const bases = [constantPacer(7.5), stagedPacer([{ durationMs: 1_000, fromRps: 0, toRps: 40 }, { durationMs: 500, fromRps: 0, toRps: 0 }, { durationMs: 2_000, fromRps: 10, toRps: 10 }]), linearRampPacer(50, 5, 3_000)];
    for (const base of bases) {
      const pacer = new SteeredPacer(base);
      assert.deepEqual(offsets(pacer, 300), offsets(base, 300));
      assert.equal(pacer.description, base.description);
    }
    const staged = new SteeredPacer(stagedPacer([{ durationMs: 1_000, fromRps: 10, toRps: 10 }]));
    assert.equal(staged.startOffsetMs(9), 900);
    assert.equal(staged.startOffsetMs(10), undefined, 'past the plan there is no start');
  });

  it('matches its base for any base (property)', () => {
    fc.assert(
      fc.property(baseArb, (spec) => {
        assert.deepEqual(offsets(new SteeredPacer(baseOf(spec)), 400), offsets(baseOf(spec), 400));
      }),
      RUNS,
    );
  });
});

describe('SteeredPacer.steer', () => {
  it('takes the first start at or after the instant and paces from the instant at the new rate', () => {
    const pacer = new SteeredPacer(constantPacer(100)); // 10 req/s: 0, 100, 200, …
    pacer.steer(250, 40); // starts 0..2 stay; start 3 (old 300) is the first at or after 250
    assert.deepEqual([0, 1, 2].map((k) => pacer.startOffsetMs(k)), [0, 100, 200]);
    assert.equal(pacer.startOffsetMs(3), 250);
    assert.equal(pacer.startOffsetMs(4), 275);
    assert.equal(pacer.startOffsetMs(3 + 40), 250 + 1_000);
    assert.equal(pacer.description, 'constant 10 req/s, then 40 req/s from 250 ms');
  });

  it('keeps a start due exactly at the instant (it is the first steered one)', () => {
    const pacer = new SteeredPacer(constantPacer(100));
    pacer.steer(300, 5);
    assert.deepEqual([2, 3, 4, 5].map((k) => pacer.startOffsetMs(k)), [200, 300, 500, 700]);
  });

  it('at instant 0 replaces the whole plan', () => {
    const pacer = new SteeredPacer(linearRampPacer(0, 100, 10_000));
    pacer.steer(0, 20);
    assert.deepEqual(offsets(pacer, 5), [0, 50, 100, 150, 200]);
  });

  it('after a staged plan has ended applies from its end index: no start is lost or added before', () => {
    const base = stagedPacer([{ durationMs: 1_000, fromRps: 10, toRps: 10 }]); // 10 starts, 0..900
    const pacer = new SteeredPacer(base);
    pacer.steer(5_000, 2);
    assert.deepEqual(offsets(pacer, 10), offsets(base, 10));
    assert.equal(pacer.startOffsetMs(10), 5_000);
    assert.equal(pacer.startOffsetMs(11), 5_500);
    assert.equal(pacer.startOffsetMs(1_000), 5_000 + 990 * 500, 'a fixed rate has no end: the scheduler bounds it');
  });

  it('inside a staged pause (a 0→0 segment) starts the new rate at the instant, not at the pause end', () => {
    const base = stagedPacer([{ durationMs: 1_000, fromRps: 10, toRps: 10 }, { durationMs: 5_000, fromRps: 0, toRps: 0 }, { durationMs: 1_000, fromRps: 10, toRps: 10 }]);
    assert.equal(base.startOffsetMs(10), 6_000, 'the base waits out its pause');
    const pacer = new SteeredPacer(base);
    pacer.steer(2_000, 4);
    assert.equal(pacer.startOffsetMs(9), 900);
    assert.equal(pacer.startOffsetMs(10), 2_000);
    assert.equal(pacer.startOffsetMs(11), 2_250);
  });

  it('a later change at a later instant keeps the earlier regime before it', () => {
    const pacer = new SteeredPacer(constantPacer(100));
    pacer.steer(1_000, 20); // start 10 at 1000, then every 50 ms
    pacer.steer(2_010, 1); // starts at 1000..2000 (10..30) stay; 31 was at 2050
    assert.equal(pacer.startOffsetMs(30), 2_000);
    assert.equal(pacer.startOffsetMs(31), 2_010);
    assert.equal(pacer.startOffsetMs(32), 3_010);
    assert.equal(pacer.description, 'constant 10 req/s, then 1 req/s from 2010 ms');
  });

  it('a later change at an earlier instant replaces every regime from its own first index on', () => {
    const once = new SteeredPacer(constantPacer(100));
    once.steer(5_000, 50);
    once.steer(2_000, 3);
    const fresh = new SteeredPacer(constantPacer(100));
    fresh.steer(2_000, 3);
    assert.deepEqual(offsets(once), offsets(fresh));
    assert.equal(once.description, fresh.description);
  });

  it('the same change twice is the change once (lanes of one pacer each forward it)', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, (spec, steers) => {
        const once = steered(baseOf(spec), steers);
        const twice = new SteeredPacer(baseOf(spec));
        for (const s of steers) {
          twice.steer(s.planMs, s.rate);
          twice.steer(s.planMs, s.rate);
        }
        assert.deepEqual(offsets(twice), offsets(once));
      }),
      RUNS,
    );
  });

  it('refuses a rate that is not a positive finite number, and stays as it was', () => {
    const pacer = new SteeredPacer(constantPacer(100));
    pacer.steer(500, 4);
    const before = offsets(pacer, 50);
    for (const rate of [0, -1, Number.NaN, Infinity, -Infinity]) {
      assert.throws(() => pacer.steer(100, rate), (error: unknown) => error instanceof RangeError && /rate must be a positive number/.test(error.message) && error.message.includes(String(rate)));
    }
    assert.deepEqual(offsets(pacer, 50), before);
  });

  it('matches the brute-force specification for any base and any changes, in any order (property)', () => {
    fc.assert(
      fc.property(baseArb, fc.array(steerArb, { minLength: 0, maxLength: 6 }), (spec, steers) => {
        assertSameOffsets(offsets(steered(baseOf(spec), steers)), referenceOffsets(baseOf(spec), steers), 'steered vs reference');
      }),
      RUNS,
    );
  });
});

describe('SteeredPacer properties over steers with increasing instants', () => {
  it('offsets never decrease, and after a change every index has a start', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, (spec, steers) => {
        const all = offsets(steered(baseOf(spec), steers));
        for (let k = 1; k < all.length; k++) assert.ok(all[k]! >= all[k - 1]!, `start ${k} at ${all[k]} before start ${k - 1} at ${all[k - 1]}`);
        assert.ok(all.every((offset) => offset !== undefined && Number.isFinite(offset)));
      }),
      RUNS,
    );
  });

  it('leaves every start before the change instant where it was', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, (spec, steers) => {
        const pacer = new SteeredPacer(baseOf(spec));
        for (const { planMs, rate } of steers) {
          const before = offsets(pacer);
          pacer.steer(planMs, rate);
          const after = offsets(pacer);
          for (let k = 0; k < before.length; k++) {
            if ((before[k] ?? Infinity) < planMs) assert.equal(after[k], before[k], `start ${k} (at ${before[k]}, before ${planMs}) moved to ${after[k]}`);
          }
        }
      }),
      RUNS,
    );
  });

  it('puts the first steered start at or after the instant and within one old gap of it', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, (spec, steers) => {
        const pacer = new SteeredPacer(baseOf(spec));
        for (const { planMs, rate } of steers) {
          const from = firstIndexFrom(pacer, planMs);
          if (from >= INDICES - 1) return; // beyond the window we look at
          const oldStart = pacer.startOffsetMs(from);
          const oldGap = from === 0 ? 0 : (oldStart ?? Infinity) - pacer.startOffsetMs(from - 1)!;
          pacer.steer(planMs, rate);
          const first = pacer.startOffsetMs(from)!;
          assert.ok(first >= planMs, `first steered start ${first} before the instant ${planMs}`);
          assert.ok(first - planMs <= Math.max(oldGap, 0) + 1e-9, `first steered start ${first} more than one old gap (${oldGap}) after ${planMs}`);
          if (oldStart !== undefined) assert.ok(first <= oldStart, `the first steered start ${first} came later than it was (${oldStart})`);
          if (from > 0) assert.ok(pacer.startOffsetMs(from - 1)! < planMs, 'the start before the first steered one is not before the instant');
        }
      }),
      RUNS,
    );
  });

  it('runs at exactly the new rate after the change, until the next', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, (spec, steers) => {
        const pacer = new SteeredPacer(baseOf(spec));
        const froms = steers.map(({ planMs, rate }) => {
          const from = firstIndexFrom(pacer, planMs);
          pacer.steer(planMs, rate);
          return from;
        });
        steers.forEach(({ planMs, rate }, i) => {
          const from = froms[i]!;
          const until = Math.min(INDICES, ...froms.slice(i + 1));
          for (let k = from; k < until; k++) assertClose(pacer.startOffsetMs(k), planMs + (k - from) * (1000 / rate), `regime ${i}, start ${k}`, 1e-9);
        });
      }),
      RUNS,
    );
  });
});

describe('SteeredPacer split over lanes (lanePlan)', () => {
  const planOf = (pacer: Pacer, count: number): LoadPlan => ({ count, pacer, maxInFlight: Infinity, startWindowMs: undefined });

  it('forwards steer only when the pacer has one', () => {
    const plain = lanePlan(planOf(constantPacer(10), 100), { index: 0, count: 2 });
    assert.equal(plain.pacer?.steer, undefined);
    const steerable = lanePlan(planOf(new SteeredPacer(constantPacer(10)), 100), { index: 1, count: 2 });
    assert.equal(typeof steerable.pacer?.steer, 'function');
  });

  it('merged, gives the unsplit starts after the same steers: lanes of one shared pacer, each forwarding every change (property)', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, fc.integer({ min: 2, max: 5 }), (spec, steers, laneCount) => {
        const unsplit = steered(baseOf(spec), steers);
        const shared = new SteeredPacer(baseOf(spec));
        const lanes = Array.from({ length: laneCount }, (_, index) => lanePlan(planOf(shared, 10_000), { index, count: laneCount }));
        for (const s of steers) for (const lane of lanes) lane.pacer!.steer!(s.planMs, s.rate);
        assertMergedEqual(lanes, unsplit);
      }),
      RUNS,
    );
  });

  it('merged, gives the unsplit starts after the same steers: each lane with its own copy of the plan, as load workers have (property)', () => {
    fc.assert(
      fc.property(baseArb, increasingSteersArb, fc.integer({ min: 2, max: 5 }), (spec, steers, laneCount) => {
        const unsplit = steered(baseOf(spec), steers);
        const lanes = Array.from({ length: laneCount }, (_, index) => lanePlan(planOf(new SteeredPacer(baseOf(spec)), 10_000), { index, count: laneCount }));
        for (const lane of lanes) for (const s of steers) lane.pacer!.steer!(s.planMs, s.rate);
        assertMergedEqual(lanes, unsplit);
      }),
      RUNS,
    );
  });

  function assertMergedEqual(lanes: readonly LoadPlan[], unsplit: Pacer): void {
    const laneCount = lanes.length;
    const perLane = Math.floor(INDICES / laneCount);
    const merged: (number | undefined)[] = [];
    for (let j = 0; j < perLane; j++) for (const lane of lanes) merged.push(lane.pacer!.startOffsetMs(j));
    assert.deepEqual(merged, offsets(unsplit, perLane * laneCount));
    assert.equal(lanes.reduce((sum, lane) => sum + lane.count, 0), 10_000, 'the lanes split the count');
  }
});
