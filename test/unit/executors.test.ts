import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { z } from 'zod';
import {
  ALONE,
  DEFAULT_ITERATIONS_MAX_DURATION_S,
  EXECUTOR_NAMES,
  EXECUTORS,
  executorNamed,
  laneArrivals,
  oneOf,
  perDriverCount,
  shareOfTotal,
  vuChangesOf,
  type DriverShare,
  type Executor,
  type ExecutorFields,
  type TargetStage,
} from '../../src/protocol/executors/index.js';

function executor(name: string): Executor {
  const found = executorNamed(name);
  assert.ok(found, `no executor ${name}`);
  return found;
}

/** Every share of `count` drivers. */
function shares(count: number): DriverShare[] {
  return Array.from({ length: count }, (_, index) => ({ index, count }));
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

describe('the executor registry', () => {
  it("holds k6's six executors, each found by its name", () => {
    assert.deepEqual(EXECUTOR_NAMES, ['constant-arrival-rate', 'ramping-arrival-rate', 'constant-vus', 'ramping-vus', 'per-vu-iterations', 'shared-iterations']);
    for (const found of EXECUTORS) assert.equal(executorNamed(found.name), found);
    assert.equal(executorNamed('externally-controlled'), undefined);
    assert.equal(executorNamed(''), undefined);
  });

  it('gives each executor a description and described fields', () => {
    for (const found of EXECUTORS) {
      assert.ok(found.description.length > 0, found.name);
      assert.ok(Object.keys(found.fields).length > 0, found.name);
      for (const [field, schema] of Object.entries(found.fields)) {
        const described = schema.description ?? (schema instanceof z.ZodOptional ? (schema.unwrap() as z.ZodType).description : undefined);
        assert.ok(described, `${found.name}.${field} has no description`);
      }
    }
  });
});

describe('shareOfTotal', () => {
  it('gives remainders to the first drivers: 10 on 3 drivers is 4/3/3', () => {
    assert.deepEqual(shares(3).map((share) => shareOfTotal(10, share)), [4, 3, 3]);
    assert.deepEqual(shares(4).map((share) => shareOfTotal(10, share)), [3, 3, 2, 2]);
    assert.deepEqual(shares(5).map((share) => shareOfTotal(2, share)), [1, 1, 0, 0, 0]);
    assert.equal(shareOfTotal(7, ALONE), 7);
    assert.equal(shareOfTotal(0, { index: 2, count: 3 }), 0);
  });

  it('splits any total into parts that add up to it, none more than one apart, the larger first', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 1, max: 50 }), (total, count) => {
        const parts = shares(count).map((share) => shareOfTotal(total, share));
        assert.equal(sum(parts), total);
        for (const part of parts) assert.ok(Number.isInteger(part) && part >= 0);
        assert.ok(Math.max(...parts) - Math.min(...parts) <= 1);
        for (let i = 1; i < parts.length; i += 1) assert.ok(parts[i]! <= parts[i - 1]!);
      }),
    );
  });
});

describe('laneArrivals', () => {
  it('counts the arrivals lane.index, lane.index + lane.count, … below the total', () => {
    assert.equal(laneArrivals(30, ALONE), 30);
    assert.equal(laneArrivals(7.5, ALONE), 8);
    assert.equal(laneArrivals(0, ALONE), 0);
    assert.deepEqual(shares(4).map((lane) => laneArrivals(30, lane)), [8, 8, 7, 7]);
    assert.deepEqual(shares(3).map((lane) => laneArrivals(2, lane)), [1, 1, 0]);
    assert.deepEqual(shares(3).map((lane) => laneArrivals(0.5, lane)), [1, 0, 0]);
  });

  it('does not add an arrival for a hair of floating-point error above a whole number', () => {
    assert.equal(laneArrivals(0.1 * 30, ALONE), 3);
    assert.equal(laneArrivals(0.1 + 0.2, ALONE), 1);
    assert.equal(laneArrivals(3 * 1.1, ALONE), 4);
  });

  it('over every lane of n drivers adds up to ceil(total) of the whole, each lane within 1 of the others', () => {
    const thousandths = fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 999 }));
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 1_000_000 }), thousandths, fc.integer({ min: 1, max: 50 }), (whole, fraction, count) => {
        const total = whole + fraction / 1000;
        const lanes = shares(count).map((lane) => laneArrivals(total, lane));
        assert.equal(sum(lanes), Math.ceil(total));
        assert.equal(sum(lanes), laneArrivals(total, ALONE));
        assert.ok(Math.max(...lanes) - Math.min(...lanes) <= 1);
        for (let i = 1; i < lanes.length; i += 1) assert.ok(lanes[i]! <= lanes[i - 1]!);
      }),
    );
  });
});

describe('oneOf and perDriverCount', () => {
  it('wants exactly one of a per-driver field and its total_ twin, naming the per-driver field', () => {
    assert.deepEqual(oneOf({ vus: 2 }, 'vus', 'total_vus'), []);
    assert.deepEqual(oneOf({ total_vus: 2 }, 'vus', 'total_vus'), []);
    assert.deepEqual(oneOf({}, 'vus', 'total_vus'), [{ path: ['vus'], message: 'give vus (per driver) or total_vus (split over the drivers)' }]);
    assert.deepEqual(oneOf({ vus: 1, total_vus: 2 }, 'vus', 'total_vus'), [{ path: ['vus'], message: 'give vus or total_vus, not both' }]);
  });

  it('takes the per-driver value as it is, or this driver part of the total', () => {
    assert.equal(perDriverCount({ vus: 5 }, 'vus', 'total_vus', { index: 2, count: 3 }), 5);
    assert.deepEqual(shares(3).map((share) => perDriverCount({ total_vus: 10 }, 'vus', 'total_vus', share)), [4, 3, 3]);
  });
});

describe('problems()', () => {
  const pairs: [string, ExecutorFields, string, string][] = [
    ['constant-arrival-rate', { duration_s: 10, max_vus: 5 }, 'rate', 'total_rate'],
    ['constant-vus', { duration_s: 10 }, 'vus', 'total_vus'],
    ['per-vu-iterations', { iterations: 2 }, 'vus', 'total_vus'],
    ['shared-iterations', { iterations: 20 }, 'vus', 'total_vus'],
    ['shared-iterations', { vus: 2 }, 'iterations', 'total_iterations'],
  ];

  for (const [name, base, perDriver, total] of pairs) {
    it(`${name}: exactly one of ${perDriver} and ${total}`, () => {
      const found = executor(name);
      assert.deepEqual(found.problems({ ...base, [perDriver]: 1 }), []);
      assert.deepEqual(found.problems({ ...base, [total]: 1 }), []);
      assert.deepEqual(found.problems(base), [{ path: [perDriver], message: `give ${perDriver} (per driver) or ${total} (split over the drivers)` }]);
      assert.deepEqual(found.problems({ ...base, [perDriver]: 1, [total]: 1 }), [{ path: [perDriver], message: `give ${perDriver} or ${total}, not both` }]);
    });
  }

  it('shared-iterations names both pairs when both are wrong', () => {
    const problems = executor('shared-iterations').problems({ vus: 1, total_vus: 3 });
    assert.deepEqual(
      problems.map((problem) => problem.path),
      [['vus'], ['iterations']],
    );
  });

  it('ramping-arrival-rate has no rule across its fields', () => {
    assert.deepEqual(executor('ramping-arrival-rate').problems({ stages: [{ duration_s: 1, target: 2.5 }], max_vus: 1 }), []);
  });

  it('ramping-vus wants whole stage targets, naming each fractional one', () => {
    const rampingVus = executor('ramping-vus');
    assert.deepEqual(rampingVus.problems({ stages: [{ duration_s: 1, target: 3 }, { duration_s: 1, target: 0 }] }), []);
    assert.deepEqual(rampingVus.problems({ stages: [{ duration_s: 1, target: 2 }, { duration_s: 1, target: 2.5 }, { duration_s: 1, target: 0.1 }] }), [
      { path: ['stages', 1, 'target'], message: 'must be a whole number of VUs' },
      { path: ['stages', 2, 'target'], message: 'must be a whole number of VUs' },
    ]);
  });
});

describe('constant-arrival-rate', () => {
  const car = executor('constant-arrival-rate');

  it('runs the whole rate on every driver when the rate is per driver', () => {
    const fields = { rate: 10, duration_s: 3, max_vus: 7 };
    for (const share of [ALONE, { index: 1, count: 3 }]) {
      assert.deepEqual(car.plan(fields, share), { model: 'arrivals', segments: [{ durationMs: 3000, fromRps: 10, toRps: 10 }], lane: ALONE, maxVus: 7 });
      assert.equal(car.plannedIterations(fields, share), 30);
    }
    assert.equal(car.plannedIterations({ rate: 2.5, duration_s: 3, max_vus: 1 }, ALONE), 8);
  });

  it('splits a total rate by lanes: the fleet rate, this driver lane, every arrival once', () => {
    const fields = { total_rate: 10, duration_s: 3, max_vus: 7 };
    const share = { index: 2, count: 4 };
    assert.deepEqual(car.plan(fields, share), { model: 'arrivals', segments: [{ durationMs: 3000, fromRps: 10, toRps: 10 }], lane: share, maxVus: 7 });
    assert.deepEqual(shares(4).map((lane) => car.plannedIterations(fields, lane)), [8, 8, 7, 7]);
    assert.equal(car.plannedIterations(fields, ALONE), 30);
    assert.deepEqual(shares(3).map((lane) => car.plannedIterations({ total_rate: 0.5, duration_s: 3, max_vus: 1 }, lane)), [1, 1, 0]);
  });
});

describe('ramping-arrival-rate', () => {
  const rar = executor('ramping-arrival-rate');

  it('ramps linearly from start_rate (default 0), the whole shape on every driver', () => {
    const fields = { stages: [{ duration_s: 10, target: 10 }, { duration_s: 5, target: 10 }, { duration_s: 2, target: 0 }], max_vus: 20 };
    const expected = {
      model: 'arrivals',
      segments: [
        { durationMs: 10_000, fromRps: 0, toRps: 10 },
        { durationMs: 5000, fromRps: 10, toRps: 10 },
        { durationMs: 2000, fromRps: 10, toRps: 0 },
      ],
      lane: ALONE,
      maxVus: 20,
    };
    for (const share of [ALONE, { index: 2, count: 3 }]) {
      assert.deepEqual(rar.plan(fields, share), expected);
      // 50 + 50 + 10
      assert.equal(rar.plannedIterations(fields, share), 110);
    }
  });

  it('starts from start_rate', () => {
    const fields = { stages: [{ duration_s: 4, target: 0 }], start_rate: 5, max_vus: 2 };
    assert.deepEqual(rar.plan(fields, ALONE), { model: 'arrivals', segments: [{ durationMs: 4000, fromRps: 5, toRps: 0 }], lane: ALONE, maxVus: 2 });
    assert.equal(rar.plannedIterations(fields, ALONE), 10);
    assert.equal(rar.plannedIterations({ stages: [{ duration_s: 3, target: 1 }], max_vus: 2 }, ALONE), 2);
  });
});

describe('constant-vus', () => {
  const cv = executor('constant-vus');

  it('runs vus VUs on every driver, or its part of total_vus, for duration_s; time decides the iterations', () => {
    assert.deepEqual(cv.plan({ vus: 5, duration_s: 2 }, { index: 1, count: 3 }), { model: 'vus', vuChanges: [{ atMs: 0, vus: 5 }], durationMs: 2000, maxVus: 5 });
    assert.deepEqual(
      shares(3).map((share) => cv.plan({ total_vus: 10, duration_s: 2.5 }, share)),
      [4, 3, 3].map((vus) => ({ model: 'vus', vuChanges: [{ atMs: 0, vus }], durationMs: 2500, maxVus: vus })),
    );
    assert.equal(cv.plannedIterations({ vus: 5, duration_s: 2 }, ALONE), undefined);
  });
});

describe('ramping-vus', () => {
  const rv = executor('ramping-vus');

  it('plans the VU changes of its stages from start_vus (default 0), the same on every driver', () => {
    const fields = { stages: [{ duration_s: 2, target: 2 }, { duration_s: 1, target: 2 }, { duration_s: 1, target: 1 }] };
    const expected = {
      model: 'vus',
      vuChanges: [
        { atMs: 0, vus: 0 },
        { atMs: 1000, vus: 1 },
        { atMs: 2000, vus: 2 },
        { atMs: 4000, vus: 1 },
      ],
      durationMs: 4000,
      maxVus: 2,
    };
    assert.deepEqual(rv.plan(fields, ALONE), expected);
    assert.deepEqual(rv.plan(fields, { index: 2, count: 3 }), expected);
    assert.equal(rv.plannedIterations(fields, ALONE), undefined);
  });

  it('counts start_vus in its most VUs', () => {
    const plan = rv.plan({ start_vus: 6, stages: [{ duration_s: 1, target: 2 }] }, ALONE);
    assert.equal(plan.maxVus, 6);
    assert.equal(plan.model === 'vus' ? plan.vuChanges[0]?.vus : undefined, 6);
  });
});

describe('vuChangesOf', () => {
  it('ramps 0 → 4 over 4 s one VU a second', () => {
    assert.deepEqual(vuChangesOf(0, [{ duration_s: 4, target: 4 }]), [
      { atMs: 0, vus: 0 },
      { atMs: 1000, vus: 1 },
      { atMs: 2000, vus: 2 },
      { atMs: 3000, vus: 3 },
      { atMs: 4000, vus: 4 },
    ]);
  });

  it('ramps down 4 → 0', () => {
    assert.deepEqual(vuChangesOf(4, [{ duration_s: 2, target: 0 }]), [
      { atMs: 0, vus: 4 },
      { atMs: 500, vus: 3 },
      { atMs: 1000, vus: 2 },
      { atMs: 1500, vus: 1 },
      { atMs: 2000, vus: 0 },
    ]);
  });

  it('changes nothing over a hold stage', () => {
    assert.deepEqual(vuChangesOf(3, [{ duration_s: 10, target: 3 }]), [{ atMs: 0, vus: 3 }]);
    assert.deepEqual(vuChangesOf(0, [{ duration_s: 10, target: 0 }]), [{ atMs: 0, vus: 0 }]);
    assert.deepEqual(vuChangesOf(0, [{ duration_s: 1, target: 1 }, { duration_s: 5, target: 1 }, { duration_s: 1, target: 0 }]), [
      { atMs: 0, vus: 0 },
      { atMs: 1000, vus: 1 },
      { atMs: 7000, vus: 0 },
    ]);
  });

  it('starts from start_vus', () => {
    assert.deepEqual(vuChangesOf(2, [{ duration_s: 3, target: 5 }]), [
      { atMs: 0, vus: 2 },
      { atMs: 1000, vus: 3 },
      { atMs: 2000, vus: 4 },
      { atMs: 3000, vus: 5 },
    ]);
  });

  it("lands each stage's last change exactly on the stage's end, one VU at a time, in time order", () => {
    const stage = fc.record({ duration_s: fc.integer({ min: 1, max: 100_000 }).map((ms) => ms / 1000), target: fc.integer({ min: 0, max: 60 }) });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 60 }), fc.array(stage, { minLength: 1, maxLength: 8 }), (startVus, stages: TargetStage[]) => {
        const changes = vuChangesOf(startVus, stages);
        assert.deepEqual(changes[0], { atMs: 0, vus: startVus });
        for (let i = 1; i < changes.length; i += 1) {
          assert.ok(changes[i]!.atMs >= changes[i - 1]!.atMs);
          assert.equal(Math.abs(changes[i]!.vus - changes[i - 1]!.vus), 1);
        }
        let from = startVus;
        let endMs = 0;
        for (const { duration_s, target } of stages) {
          endMs += duration_s * 1000;
          if (target !== from) {
            const last = changes.find((change) => change.atMs === endMs && change.vus === target);
            assert.ok(last, `no change to ${target} VUs at ${endMs} ms`);
          }
          from = target;
        }
        assert.equal(changes.at(-1)!.vus, from);
        assert.equal(changes.length, 1 + sum(stages.map((s, i) => Math.abs(s.target - (i === 0 ? startVus : stages[i - 1]!.target)))));
      }),
    );
  });
});

describe('per-vu-iterations', () => {
  const pvi = executor('per-vu-iterations');

  it('runs iterations on each VU within max_duration_s (default 600 s)', () => {
    assert.deepEqual(pvi.plan({ vus: 3, iterations: 5 }, { index: 1, count: 2 }), {
      model: 'vus',
      vuChanges: [{ atMs: 0, vus: 3 }],
      durationMs: DEFAULT_ITERATIONS_MAX_DURATION_S * 1000,
      iterationsPerVu: 5,
      maxVus: 3,
    });
    const bounded = pvi.plan({ vus: 3, iterations: 5, max_duration_s: 12 }, ALONE);
    assert.equal(bounded.model === 'vus' ? bounded.durationMs : undefined, 12_000);
    assert.equal(pvi.plannedIterations({ vus: 3, iterations: 5 }, { index: 1, count: 2 }), 15);
  });

  it('splits total_vus: 10 on 3 drivers is 4/3/3 VUs, each running every iteration', () => {
    const fields = { total_vus: 10, iterations: 2 };
    assert.deepEqual(shares(3).map((share) => pvi.plan(fields, share).maxVus), [4, 3, 3]);
    assert.deepEqual(shares(3).map((share) => pvi.plannedIterations(fields, share)), [8, 6, 6]);
    assert.equal(pvi.plannedIterations(fields, ALONE), 20);
    assert.deepEqual(shares(3).map((share) => pvi.plannedIterations({ total_vus: 2, iterations: 7 }, share)), [7, 7, 0]);
  });
});

describe('shared-iterations', () => {
  const si = executor('shared-iterations');

  it("shares this driver's iterations among its VUs, no more VUs than iterations", () => {
    assert.deepEqual(si.plan({ vus: 4, iterations: 20 }, { index: 2, count: 3 }), {
      model: 'vus',
      vuChanges: [{ atMs: 0, vus: 4 }],
      durationMs: DEFAULT_ITERATIONS_MAX_DURATION_S * 1000,
      sharedIterations: 20,
      maxVus: 4,
    });
    assert.deepEqual(si.plan({ vus: 10, iterations: 3, max_duration_s: 1.5 }, ALONE), {
      model: 'vus',
      vuChanges: [{ atMs: 0, vus: 3 }],
      durationMs: 1500,
      sharedIterations: 3,
      maxVus: 3,
    });
    assert.equal(si.plannedIterations({ vus: 4, iterations: 20 }, { index: 2, count: 3 }), 20);
  });

  it('splits total_vus and total_iterations over the drivers', () => {
    const fields = { total_vus: 10, total_iterations: 7 };
    const plans = shares(3).map((share) => si.plan(fields, share));
    assert.deepEqual(
      plans.map((plan) => (plan.model === 'vus' ? [plan.vuChanges, plan.sharedIterations, plan.maxVus] : undefined)),
      [
        [[{ atMs: 0, vus: 3 }], 3, 3],
        [[{ atMs: 0, vus: 2 }], 2, 2],
        [[{ atMs: 0, vus: 2 }], 2, 2],
      ],
    );
    assert.deepEqual(shares(3).map((share) => si.plannedIterations(fields, share)), [3, 2, 2]);
    assert.equal(si.plannedIterations(fields, ALONE), 7);
    assert.deepEqual(shares(4).map((share) => si.plannedIterations({ vus: 1, total_iterations: 2 }, share)), [1, 1, 0, 0]);
    assert.equal(si.plan({ vus: 1, total_iterations: 2 }, { index: 3, count: 4 }).maxVus, 0);
  });

  it('plans exactly total_iterations over any fleet', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1_000_000 }), fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 50 }), (total, vus, count) => {
        const fields = { vus, total_iterations: total };
        assert.equal(sum(shares(count).map((share) => si.plannedIterations(fields, share)!)), total);
      }),
      { numRuns: 50 },
    );
  });
});
