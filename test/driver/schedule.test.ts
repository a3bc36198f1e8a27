import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { describe, it } from 'node:test';
import { constantPacer } from '../../src/driver/load/pacers.js';
import { StartScheduler } from '../../src/driver/schedule.js';

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
