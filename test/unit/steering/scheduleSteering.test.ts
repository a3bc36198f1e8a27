import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LoadPlan } from '../../../src/driver/load/loadModel.js';
import { constantPacer, linearRampPacer } from '../../../src/driver/load/pacers.js';
import { SteeredPacer } from '../../../src/driver/load/steeredPacer.js';
import { StartScheduler } from '../../../src/driver/schedule.js';
import { lanePlan } from '../../../src/driver/workers/lanePlan.js';
import { VirtualClock, VirtualRun, virtualRun, withMockTimers } from './virtualClock.js';

const steerable = (intervalMs: number) => new SteeredPacer(constantPacer(intervalMs));
/** Start k of a constant plan of `intervalMs`, `shiftMs` later from index `fromIndex` on. */
const shifted = (count: number, intervalMs: number, fromIndex: number, shiftMs: number) => Array.from({ length: count }, (_, k) => k * intervalMs + (k >= fromIndex ? shiftMs : 0));

function assertStartedOnTime(run: VirtualRun, stepMs = 1): void {
  for (const { intended, startedAt } of run.starts) assert.ok(startedAt >= intended && startedAt - intended <= stepMs, `started at ${startedAt}, intended ${intended}`);
}

describe('StartScheduler.steer: pause and resume of a paced plan', () => {
  it('shifts every start from the pause on by exactly the pause, and starts nothing inside it', async () => {
    await virtualRun({ count: 20, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 350, paused: true }); // ahead: start 3 (300) still comes, start 4 (400) waits
      await run.advanceTo(800);
      assert.equal(run.starts.length, 4);
      assert.equal(run.scheduler.pausedAt(800), true);
      run.scheduler.steer({ atMs: 1_350, paused: false });
      assert.equal(await run.runUntilDone(10_000), true);
      assert.deepEqual(run.intendedTimes(), shifted(20, 100, 4, 1_000));
      assert.deepEqual(run.startedBetween(350, 1_350), [], 'a start inside the pause');
      assertStartedOnTime(run);
      assert.equal(run.scheduler.lateStarts, 0, 'a start held by a pause is not late');
      assert.equal(run.now, 1_900 + 1_000, 'run() resolved at the last shifted start, not before or much after');
    });
  });

  it('moves a start due exactly at the pause instant past the pause', async () => {
    await virtualRun({ count: 6, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 300, paused: true });
      run.scheduler.steer({ atMs: 420, paused: false });
      assert.equal(await run.runUntilDone(5_000), true);
      assert.deepEqual(run.intendedTimes(), [0, 100, 200, 420, 520, 620]);
    });
  });

  it('holds every start while a pause is open, run() pending, and goes on from the resume', async () => {
    await virtualRun({ count: 10, pacer: steerable(50), maxInFlight: Infinity }, async (run) => {
      await run.start();
      await run.advanceTo(120);
      run.scheduler.steer({ atMs: 120, paused: true });
      assert.equal(run.starts.length, 3, 'starts 0, 50 and 100 before the pause');
      assert.equal(await run.runUntilDone(60_000, 25), false, 'run() resolved during an open pause');
      assert.equal(run.starts.length, 3, 'a start during an open pause');
      assert.equal(run.scheduler.pausedAt(run.now), true);
      assert.equal(run.scheduler.wallOfPlan(150), Infinity, 'an open pause has no end yet');
      assert.equal(run.scheduler.intendedStart(3), Infinity);
      assert.equal(run.scheduler.intendedStart(2), 100, 'a start before the pause keeps its time');
      const resumeMs = run.now;
      run.scheduler.steer({ atMs: resumeMs, paused: false });
      assert.equal(run.scheduler.pausedAt(resumeMs), false);
      await run.advanceTo(resumeMs + 29);
      assert.equal(run.starts.length, 3, 'start 3 is 30 ms after the pause instant: 30 ms after the resume');
      assert.equal(run.done, false);
      assert.equal(await run.runUntilDone(resumeMs + 1_000), true);
      const pauseMs = resumeMs - 120;
      assert.deepEqual(run.intendedTimes(), shifted(10, 50, 3, pauseMs));
      assert.equal(run.now, 450 + pauseMs, 'run() resolved right after the last start');
    });
  });

  it('adds the lengths of several pauses; a second pause asked while one is open, or a resume with none, changes nothing', async () => {
    await virtualRun({ count: 12, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 50, paused: false }); // nothing to resume
      run.scheduler.steer({ atMs: 250, paused: true });
      run.scheduler.steer({ atMs: 260, paused: true }); // already paused
      run.scheduler.steer({ atMs: 450, paused: false }); // 200 ms
      run.scheduler.steer({ atMs: 1_000, paused: true });
      run.scheduler.steer({ atMs: 1_070, paused: false }); // 70 ms
      assert.equal(await run.runUntilDone(5_000), true);
      // planned 300 → 500 (after the first pause); planned 900 → 1100 ≥ 1000 → 1170
      assert.deepEqual(
        run.intendedTimes(),
        Array.from({ length: 12 }, (_, k) => k * 100 + (k >= 3 ? 200 : 0) + (k >= 8 ? 70 : 0)),
      );
      assert.equal(run.scheduler.wallOfPlan(1_100), 1_100 + 270);
    });
  });

  it('a pause that extends a time-bounded plan (startWindowMs is on the plan clock): the same starts, ending later by the pause', async () => {
    await virtualRun({ count: Infinity, pacer: steerable(100), maxInFlight: Infinity, startWindowMs: 1_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 450, paused: true });
      run.scheduler.steer({ atMs: 950, paused: false });
      assert.equal(await run.runUntilDone(5_000), true);
      assert.deepEqual(run.intendedTimes(), shifted(10, 100, 5, 500));
      assert.equal(run.now, 1_400, 'the window closed 500 ms later on the wall clock');
    });
  });

  it('a paused plan with a start window is not over while paused, even past the window on the wall clock', async () => {
    await virtualRun({ count: Infinity, pacer: steerable(100), maxInFlight: Infinity, startWindowMs: 500 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 250, paused: true });
      assert.equal(await run.runUntilDone(3_000, 20), false);
      assert.equal(run.starts.length, 3);
      run.scheduler.steer({ atMs: 3_000, paused: false });
      assert.equal(await run.runUntilDone(6_000), true);
      assert.deepEqual(run.intendedTimes(), [0, 100, 200, 3_050, 3_150]);
    });
  });

  it('reports the plan clock: wallOfPlan and pausedAt', async () => {
    await withMockTimers(async () => {
      const clock = new VirtualClock();
      const scheduler = new StartScheduler({ count: 5, pacer: steerable(1_000), maxInFlight: Infinity, now: clock.read, startAtMs: 100 });
      const done = scheduler.run(async () => undefined);
      try {
        assert.equal(scheduler.wallOfPlan(250), 350);
        scheduler.steer({ atMs: 400, paused: true });
        assert.equal(scheduler.wallOfPlan(299), 399);
        assert.equal(scheduler.wallOfPlan(300), Infinity);
        assert.equal(scheduler.pausedAt(399), false);
        assert.equal(scheduler.pausedAt(400), true);
        assert.equal(scheduler.pausedAt(1e12), true);
        scheduler.steer({ atMs: 600, paused: false });
        scheduler.steer({ atMs: 800, paused: true });
        scheduler.steer({ atMs: 900, paused: false });
        assert.equal(scheduler.wallOfPlan(200), 300);
        assert.equal(scheduler.wallOfPlan(300), 600, 'the instant the pause began is its end');
        assert.equal(scheduler.wallOfPlan(650), 1_050, 'plan 650: 300 before the first pause, 200 between, 150 after the second');
        for (const [now, paused] of [[399, false], [400, true], [599.5, true], [600, false], [799, false], [800, true], [899, true], [900, false]] as const) {
          assert.equal(scheduler.pausedAt(now), paused, `pausedAt(${now})`);
        }
      } finally {
        scheduler.stop();
        void done;
      }
    });
  });

  it('a pause asked for an instant inside the last (closed) pause begins at its resume: the time is not paused twice', async () => {
    await virtualRun({ count: 8, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 250, paused: true });
      run.scheduler.steer({ atMs: 450, paused: false });
      run.scheduler.steer({ atMs: 400, paused: true }); // late news: paused again from 400, which was already paused
      run.scheduler.steer({ atMs: 600, paused: false });
      assert.equal(run.scheduler.pausedAt(449), true);
      assert.equal(run.scheduler.pausedAt(599), true);
      assert.equal(run.scheduler.wallOfPlan(300), 650, 'one pause of 350 ms in all');
      assert.equal(await run.runUntilDone(3_000), true);
      assert.deepEqual(run.intendedTimes(), shifted(8, 100, 3, 350));
    });
  });

  it('a rate change just before, at, and after a pause instant lands on the plan clock', async () => {
    for (const [changeMs, expectedSecond] of [
      [499, 549], // plan 499: start 5 (500) → 499, then 549 (wall, before the pause at 500 → moved to 849)
      [500, 550], // plan 500
      [650, 550], // inside the pause: plan 500
      [900, 650], // plan 600: start 6 at 600, start 7 at 650
    ] as const) {
      await virtualRun({ count: 12, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
        await run.start();
        run.scheduler.steer({ atMs: 500, paused: true });
        run.scheduler.steer({ atMs: 800, paused: false });
        run.scheduler.steer({ atMs: changeMs, rate: 20 });
        const planned = changeMs - (changeMs > 500 ? Math.min(changeMs, 800) - 500 : 0);
        const from = Math.ceil(planned / 100);
        assert.equal(run.scheduler.intendedStart(from + 1), run.scheduler.wallOfPlan(expectedSecond), `change at ${changeMs}`);
        assert.equal(run.scheduler.intendedStart(from), run.scheduler.wallOfPlan(planned), `change at ${changeMs}`);
      });
    }
  });

  it('a resume asked before its pause instant makes an empty pause', async () => {
    await virtualRun({ count: 5, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 250, paused: true });
      run.scheduler.steer({ atMs: 200, paused: false });
      assert.equal(run.scheduler.pausedAt(250), false);
      assert.equal(await run.runUntilDone(2_000), true);
      assert.deepEqual(run.intendedTimes(), [0, 100, 200, 300, 400]);
    });
  });
});

describe('StartScheduler.steer: pause and resume of an unpaced plan', () => {
  it('starts nothing while paused, keeps maxInFlight, and finishes the count after the resume', async () => {
    await virtualRun(
      { count: 40, maxInFlight: 2 },
      async (run) => {
        await run.start();
        assert.equal(run.starts.length, 2);
        run.scheduler.steer({ atMs: 95, paused: true });
        await run.advanceTo(500);
        assert.equal(run.starts.length, 20, 'two every 10 ms until the pause');
        assert.deepEqual(run.startedBetween(95, 500), []);
        assert.equal(run.scheduler.inFlight, 0);
        assert.equal(run.done, false);
        run.scheduler.steer({ atMs: 500, paused: false });
        await run.advanceTo(501);
        assert.equal(run.startedBetween(500, 501).length, 2, 'both slots start at the resume');
        assert.equal(await run.runUntilDone(2_000), true);
        assert.equal(run.starts.length, 40);
        assert.equal(run.now, 600, 'run() resolved when the last two launches (started at 590) settled');
        const perInstant = new Map<number, number>();
        for (const { startedAt } of run.starts) perInstant.set(startedAt, (perInstant.get(startedAt) ?? 0) + 1);
        assert.ok([...perInstant.values()].every((n) => n <= 2), 'more than maxInFlight started at once');
        // unpaced: the intended time is the actual start
        for (const { intended, startedAt } of run.starts) assert.equal(intended, startedAt);
      },
      10,
    );
  });

  it('with a start window on the plan clock: a pause moves the window end by its length', async () => {
    await virtualRun(
      { count: Infinity, maxInFlight: 1, startWindowMs: 200 },
      async (run) => {
        await run.start();
        run.scheduler.steer({ atMs: 100, paused: true });
        await run.advanceTo(300);
        run.scheduler.steer({ atMs: 300, paused: false });
        assert.equal(await run.runUntilDone(2_000), true);
        assert.deepEqual(
          run.starts.map((s) => s.startedAt),
          [...Array.from({ length: 10 }, (_, k) => k * 10), ...Array.from({ length: 10 }, (_, k) => 300 + k * 10)],
        );
        assert.equal(run.now, 400);
      },
      10,
    );
  });

  // Found while writing these tests: an unpaced plan has no timer to wake it at a resume instant still
  // ahead (TestRun applies apply_at ahead of now), so once its launches have settled nothing starts again.
  it('resumes at a resume instant still ahead when nothing is in flight', async () => {
    await virtualRun(
      { count: 10, maxInFlight: 2 },
      async (run) => {
        await run.start();
        run.scheduler.steer({ atMs: 15, paused: true });
        await run.advanceTo(200);
        assert.equal(run.scheduler.inFlight, 0);
        const before = run.starts.length;
        run.scheduler.steer({ atMs: 300, paused: false }); // asked at 200 for 300
        await run.advanceTo(305);
        assert.ok(run.starts.length > before, `no start after the resume at 300 (still ${before} at ${run.now})`);
        assert.equal(await run.runUntilDone(1_000), true);
        assert.equal(run.starts.length, 10);
      },
      10,
    );
  });
});

describe('StartScheduler.steer: a rate change', () => {
  it('at a future instant leaves the starts before it alone and paces the rest at the new rate; a count-bounded plan ends at its count', async () => {
    await virtualRun({ count: 100, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      await run.advanceTo(420);
      run.scheduler.steer({ atMs: 1_050, rate: 40 });
      assert.equal(await run.runUntilDone(10_000), true);
      const expected = Array.from({ length: 100 }, (_, k) => (k <= 10 ? k * 100 : 1_050 + (k - 11) * 25));
      assert.equal(run.starts.length, 100, 'a count-bounded plan still ends at its count');
      run.intendedTimes().forEach((t, k) => assert.ok(Math.abs(t - expected[k]!) < 1e-9, `start ${k} at ${t}, expected ${expected[k]}`));
      assert.equal(run.now, 1_050 + 88 * 25);
      assertStartedOnTime(run);
    });
  });

  it('on a time-bounded plan starts about rate × the remaining window more, then ends', async () => {
    // 10 req/s for 2 s: 20 planned; 50 req/s from 1 s on: 10 + 50.
    await virtualRun({ count: 20, pacer: steerable(100), maxInFlight: Infinity, startWindowMs: 2_000 }, async (run) => {
      await run.start();
      await run.advanceTo(300);
      run.scheduler.steer({ atMs: 1_000, rate: 50 });
      assert.equal(await run.runUntilDone(10_000), true);
      assert.equal(run.starts.length, 60);
      assert.equal(run.startedBetween(1_000, Infinity).length, 50, 'rate × remaining window');
      assert.ok(run.intendedTimes().every((t) => t < 2_000), 'a start at or after the window');
      assert.equal(run.now, 1_980);
    });
  });

  it('on a time-bounded plan steered lower ends at the window with fewer starts', async () => {
    await virtualRun({ count: 40, pacer: steerable(50), maxInFlight: Infinity, startWindowMs: 2_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 500, rate: 4 });
      assert.equal(await run.runUntilDone(10_000), true);
      assert.deepEqual(run.intendedTimes(), [...Array.from({ length: 10 }, (_, k) => k * 50), 500, 750, 1_000, 1_250, 1_500, 1_750]);
    });
  });

  it('with a pause: the window and the change instant are both on the plan clock', async () => {
    await virtualRun({ count: 20, pacer: steerable(100), maxInFlight: Infinity, startWindowMs: 2_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 500, paused: true });
      run.scheduler.steer({ atMs: 800, paused: false });
      run.scheduler.steer({ atMs: 1_300, rate: 20 }); // plan 1000
      assert.equal(await run.runUntilDone(10_000), true);
      const expected = [...Array.from({ length: 5 }, (_, k) => k * 100), ...Array.from({ length: 5 }, (_, k) => 800 + k * 100), ...Array.from({ length: 20 }, (_, k) => 1_300 + k * 50)];
      assert.deepEqual(run.intendedTimes(), expected);
      assert.equal(run.now, 2_250, 'ends at plan 2000 = wall 2300, its last start at 2250');
    });
  });

  it('asked inside a pause, applies from the resume', async () => {
    await virtualRun({ count: 20, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 500, paused: true });
      await run.advanceTo(700);
      run.scheduler.steer({ atMs: 700, rate: 20 });
      run.scheduler.steer({ atMs: 1_500, paused: false });
      assert.equal(await run.runUntilDone(10_000), true);
      assert.deepEqual(run.intendedTimes(), [0, 100, 200, 300, 400, ...Array.from({ length: 15 }, (_, k) => 1_500 + k * 50)]);
    });
  });

  it('together with a pause in one change: the new rate starts at the resume', async () => {
    await virtualRun({ count: 8, pacer: steerable(100), maxInFlight: Infinity }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 250, rate: 5, paused: true });
      run.scheduler.steer({ atMs: 1_000, paused: false });
      assert.equal(await run.runUntilDone(10_000), true);
      assert.deepEqual(run.intendedTimes(), [0, 100, 200, 1_000, 1_200, 1_400, 1_600, 1_800]);
    });
  });

  it('on a ramp: the ramp until the change, the fixed rate after', async () => {
    const base = linearRampPacer(0, 100, 2_000); // 100 starts over 2 s
    await virtualRun({ count: 100, pacer: new SteeredPacer(base), maxInFlight: Infinity, startWindowMs: 2_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 1_000, rate: 10 });
      assert.equal(await run.runUntilDone(10_000), true);
      const beforeChange = Array.from({ length: 100 }, (_, k) => base.startOffsetMs(k)!).filter((t) => t < 1_000);
      assert.equal(beforeChange.length, 25, 'the ramp to 50 req/s holds 25 in its first second');
      assert.deepEqual(run.intendedTimes(), [...beforeChange, ...Array.from({ length: 10 }, (_, k) => 1_000 + k * 100)]);
    });
  });

  it('throws with a clear message on a plan with no rate to change, and changes nothing', async () => {
    await withMockTimers(async () => {
      const clock = new VirtualClock();
      const unpaced = new StartScheduler({ count: 5, maxInFlight: 1, now: clock.read });
      assert.throws(() => unpaced.steer({ atMs: 0, rate: 10 }), { message: 'this plan (unpaced) has no rate to change' });
      assert.equal(unpaced.pausedAt(0), false);
      const fixed = new StartScheduler({ count: 5, pacer: constantPacer(100), maxInFlight: Infinity, now: clock.read });
      assert.throws(() => fixed.steer({ atMs: 0, rate: 10, paused: true }), { message: 'this plan (constant 10 req/s) has no rate to change' });
      assert.equal(fixed.pausedAt(0), false, 'the pause of a refused change was applied');
      // A pause alone needs no rate.
      fixed.steer({ atMs: 0, paused: true });
      assert.equal(fixed.pausedAt(0), true);
      unpaced.steer({ atMs: 0, paused: true });
      assert.equal(unpaced.pausedAt(0), true);
    });
  });

  it('passes a bad rate on as the pacer refuses it', () => {
    const scheduler = new StartScheduler({ count: 5, pacer: steerable(100), maxInFlight: Infinity, now: () => 0 });
    assert.throws(() => scheduler.steer({ atMs: 0, rate: 0 }), RangeError);
  });

  // Found while writing these tests: a change applied before the run's start (InThreadLoad applies the
  // changes that came before its clock started at once; TestRun carries a warm-up's rate over at now,
  // before the workload's start) gives the pacer a negative plan instant, so the new rate begins before
  // the shared start and starts go out before it.
  it('a rate change at an instant before the run starts applies from the plan start, never before it', async () => {
    await virtualRun({ count: 10, pacer: steerable(100), maxInFlight: Infinity, startAtMs: 1_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 0, rate: 10 });
      await run.advanceTo(999);
      assert.deepEqual(run.starts, [], 'a start before the shared start');
      assert.equal(await run.runUntilDone(5_000), true);
      assert.deepEqual(run.intendedTimes(), Array.from({ length: 10 }, (_, k) => 1_000 + k * 100));
    });
  });

  // Found while writing these tests: a time-bounded plan's run() resolves once its planned count is
  // started, which can be before its window closes (10/s over 2 s: the 20th start is at 1.9 s). A rate
  // change in that gap lifts the count and starts requests that no one awaits any more.
  it('starts nothing once run() has resolved, even when a rate change comes before the window closes', async () => {
    await virtualRun({ count: 20, pacer: steerable(100), maxInFlight: Infinity, startWindowMs: 2_000 }, async (run) => {
      await run.start();
      assert.equal(await run.runUntilDone(5_000), true);
      assert.equal(run.now, 1_900);
      run.scheduler.steer({ atMs: 1_910, rate: 100 });
      await run.advanceTo(2_100);
      assert.equal(run.starts.length, 20, `${run.starts.length - 20} started after run() resolved`);
    });
  });

  it('a pause and resume both before the run starts leave the plan where it was', async () => {
    await virtualRun({ count: 3, pacer: steerable(100), maxInFlight: Infinity, startAtMs: 1_000 }, async (run) => {
      await run.start();
      run.scheduler.steer({ atMs: 100, paused: true });
      run.scheduler.steer({ atMs: 600, paused: false });
      assert.equal(await run.runUntilDone(5_000), true);
      assert.deepEqual(run.intendedTimes(), [1_000, 1_100, 1_200]);
    });
  });
});

describe('StartScheduler.steer over the lanes of a plan', () => {
  for (const shared of [true, false]) {
    it(`lanes steered alike start, merged, what the unsplit plan starts (${shared ? 'one pacer shared' : 'a pacer per lane'})`, async () => {
      await withMockTimers(async () => {
        const clock = new VirtualClock();
        const planOf = (): LoadPlan => ({ count: 1_000, pacer: steerable(40), maxInFlight: Infinity, startWindowMs: 3_000 });
        const sharedPlan = planOf();
        const lanes = [0, 1, 2].map((index) => new VirtualRun(lanePlan(shared ? sharedPlan : planOf(), { index, count: 3 }), 0, clock));
        const unsplit = new VirtualRun(planOf(), 0, clock);
        const all = [...lanes, unsplit];
        try {
          for (const run of all) await run.start();
          await clock.advanceTo(300);
          const changes = [{ atMs: 610, rate: 90 }, { atMs: 900, paused: true }, { atMs: 1_333, paused: false }, { atMs: 2_001, rate: 7 }];
          for (const change of changes) for (const run of all) run.scheduler.steer(change);
          while (!all.every((run) => run.done) && clock.now < 10_000) await clock.advanceTo(clock.now + 1);
          assert.ok(all.every((run) => run.done));
          const merged = lanes.flatMap((run) => run.intendedTimes()).sort((a, b) => a - b);
          assert.deepEqual(merged, unsplit.intendedTimes());
          assert.ok(unsplit.starts.length > 0);
        } finally {
          for (const run of all) await run.close();
        }
      });
    });
  }
});
