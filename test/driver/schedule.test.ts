import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it, mock } from 'node:test';
import { constantPacer } from '../../src/driver/load/pacers.js';
import { PRECISE_WAIT_MS, SPARSE_GAP_MS, StartScheduler } from '../../src/driver/schedule.js';

function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until);
}

describe('StartScheduler', () => {
  it('keeps intended start times over 200 starts at 5 ms and catches up after a 20 ms block', async () => {
    const scheduler = new StartScheduler({ count: 200, pacer: constantPacer(5), maxInFlight: Infinity });
    const starts: { intended: number; actual: number }[] = [];
    const done = scheduler.run(async (intended) => {
      starts.push({ intended, actual: performance.now() });
      if (starts.length === 100) setImmediate(() => blockEventLoop(20));
    });
    await done;

    assert.equal(starts.length, 200);
    const first = starts[0]!;
    starts.forEach(({ intended }, i) => assert.ok(Math.abs(intended - (first.intended + i * 5)) < 1e-6, `start ${i} intended off schedule`));
    const last = starts[199]!;
    assert.ok(last.actual - last.intended < 15, `last start ${(last.actual - last.intended).toFixed(1)} ms behind: the schedule drifted`);
    assert.ok(last.actual - first.actual >= 995 - 1, 'starts ran ahead of the schedule');
    assert.ok(scheduler.lateStarts >= 2, `expected the block to cause late starts, counted ${scheduler.lateStarts}`);
    assert.ok(scheduler.lateStarts <= 20, `too many late starts (${scheduler.lateStarts}) for one 20 ms block`);
    const afterBlock = starts.slice(110);
    assert.ok(afterBlock.every(({ intended, actual }) => actual - intended < 15), 'the scheduler did not catch up after the block');
  });

  it('never has more than maxInFlight unsettled launches when unpaced', async () => {
    const scheduler = new StartScheduler({ count: 100, maxInFlight: 7 });
    let open = 0;
    let peak = 0;
    await scheduler.run(async () => {
      open += 1;
      peak = Math.max(peak, open);
      await new Promise((resolve) => setTimeout(resolve, 1));
      open -= 1;
    });
    assert.equal(peak, 7);
    assert.equal(scheduler.started, 100);
    assert.equal(scheduler.settled, 100);
    assert.equal(scheduler.lateStarts, 0, 'unpaced starts have no intended time to be late for');
  });

  it('stops starting on stop() and resolves once the started launches settle', async () => {
    const scheduler = new StartScheduler({ count: 1_000, pacer: constantPacer(2), maxInFlight: Infinity });
    const done = scheduler.run(() => new Promise((resolve) => setTimeout(resolve, 30)));
    await new Promise((resolve) => setTimeout(resolve, 50));
    scheduler.stop();
    const startedAtStop = scheduler.started;
    await done;
    assert.ok(startedAtStop > 5 && startedAtStop < 100, `started ${startedAtStop}`);
    assert.equal(scheduler.started, startedAtStop);
    assert.equal(scheduler.inFlight, 0);
  });

  it('passes the actual start time as the intended one when unpaced', async () => {
    const scheduler = new StartScheduler({ count: 20, maxInFlight: 2 });
    const gaps: number[] = [];
    await scheduler.run(async (intended) => {
      gaps.push(performance.now() - intended);
      await new Promise((resolve) => setTimeout(resolve, 2));
    });
    // The intended time is taken at the launch itself, so the gap is the call's own overhead; the bound
    // only has to tell it from a paced schedule's 2 ms slot, with room for a GC pause.
    assert.ok(gaps.every((gap) => gap >= 0 && gap < 50), `gaps ${gaps.join(',')}`);
  });
});

/** Lets every pending setImmediate callback (the scheduler's event-loop turns) run a few times. */
async function turnEventLoop(turns = 5): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

describe('StartScheduler waits, on an injected clock', () => {
  it('waits the last millisecond before a sparse start by turning the event loop, so the start is made when the clock reaches it', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      const starts: number[] = [];
      const scheduler = new StartScheduler({ count: 2, pacer: constantPacer(SPARSE_GAP_MS), maxInFlight: Infinity, now: () => now });
      const done = scheduler.run(async (_intended, startedAt) => void starts.push(startedAt));
      assert.deepEqual(starts, [0]);
      // The timer ends PRECISE_WAIT_MS early; from then on, each event-loop turn reads the clock.
      now = SPARSE_GAP_MS - PRECISE_WAIT_MS;
      mock.timers.tick(SPARSE_GAP_MS - PRECISE_WAIT_MS);
      await turnEventLoop();
      assert.deepEqual(starts, [0], 'started before its time');
      now = SPARSE_GAP_MS + 0.25;
      await turnEventLoop();
      assert.deepEqual(starts, [0, SPARSE_GAP_MS + 0.25], 'the start waited for a timer instead of the clock');
      await done;
    } finally {
      mock.timers.reset();
    }
  });

  it('an unpaced run (AVALANCHE) waits for a shared start still ahead, then starts at once', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      const starts: number[] = [];
      const scheduler = new StartScheduler({ count: 3, maxInFlight: 2, now: () => now, startAtMs: 200 });
      const done = scheduler.run(async (_intended, startedAt) => void starts.push(startedAt));
      assert.deepEqual(starts, [], 'nothing before the shared start');
      now = 200;
      mock.timers.tick(200);
      await turnEventLoop();
      assert.deepEqual(starts, [200, 200, 200], 'every start due at once from the shared start on');
      await done;
    } finally {
      mock.timers.reset();
    }
  });

  it('leaves dense starts to timers: no event-loop turns spent waiting between them', async () => {
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      let clockReadings = 0;
      // A lane of a 1k req/s plan on two load workers: turning the loop through each 2 ms gap took most of a core.
      const gapMs = 2;
      const scheduler = new StartScheduler({ count: 3, pacer: constantPacer(gapMs), maxInFlight: Infinity, now: () => (clockReadings++, now) });
      const done = scheduler.run(async () => undefined);
      try {
        await turnEventLoop();
        assert.equal(scheduler.started, 1);
        // Half a millisecond before the next start: a precise wait would be turning the loop by now.
        now = gapMs - 0.5;
        mock.timers.tick(gapMs - 0.5);
        await turnEventLoop();
        const readingsWhileWaiting = clockReadings;
        await turnEventLoop(20);
        assert.equal(clockReadings, readingsWhileWaiting, 'the scheduler read the clock while waiting for a dense start');
      } finally {
        // A scheduler left turning the loop on a clock that no longer moves would keep the file running.
        now = 2 * gapMs;
        mock.timers.tick(2 * gapMs);
      }
      await done;
      assert.equal(scheduler.started, 3);
    } finally {
      mock.timers.reset();
    }
  });
});
