import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { constantPacer, linearRampPacer, segmentsIntegral, stagedPacer, type Pacer } from '../../src/driver/load/pacers.js';
import { StartScheduler } from '../../src/driver/schedule.js';

/** Every start the pacer plans, in order, in ms. */
function allStarts(pacer: Pacer, limit = 1e7): number[] {
  const starts: number[] = [];
  for (let i = 0; i < limit; i++) {
    const offset = pacer.startOffsetMs(i);
    if (offset === undefined) return starts;
    starts.push(offset);
  }
  throw new Error('pacer never ended');
}

/** The integral of a piecewise-linear rate up to `ms`, computed independently of the pacer. */
function integralAt(segments: { durationMs: number; fromRps: number; toRps: number }[], ms: number): number {
  let total = 0;
  let start = 0;
  for (const s of segments) {
    const inside = Math.min(Math.max(ms - start, 0), s.durationMs) / 1000;
    const slope = (s.toRps - s.fromRps) / (s.durationMs / 1000);
    total += s.fromRps * inside + (slope * inside * inside) / 2;
    start += s.durationMs;
  }
  return total;
}

describe('pacers', () => {
  it('constant: request i at i · interval, without end (the count ends it)', () => {
    const pacer = constantPacer(2.5);
    assert.deepEqual([0, 1, 2, 1000].map((i) => pacer.startOffsetMs(i)), [0, 2.5, 5, 2500]);
    assert.equal(pacer.startOffsetMs(1e9), 2.5e9);
    assert.throws(() => constantPacer(0), /positive/);
  });

  it('linear ramp 0→100 req/s over 2 s: 100 requests, request k where the integral 25·t² reaches k', () => {
    const starts = allStarts(linearRampPacer(0, 100, 2_000));
    assert.equal(starts.length, 100);
    starts.forEach((ms, k) => assert.ok(Math.abs(ms - Math.sqrt(k / 25) * 1000) < 1e-6, `request ${k} at ${ms} ms`));
  });

  it('ramp down 200→0 over 2 s: exact, and gaps widen towards the end', () => {
    const segments = [{ durationMs: 2_000, fromRps: 200, toRps: 0 }];
    const starts = allStarts(stagedPacer(segments));
    assert.equal(starts.length, 200);
    starts.forEach((ms, k) => assert.ok(Math.abs(integralAt(segments, ms) - k) < 1e-6, `request ${k}: integral ${integralAt(segments, ms)}`));
    assert.ok(starts[199]! - starts[198]! > 10 * (starts[1]! - starts[0]!));
    assert.ok(starts[199]! < 2_000);
  });

  it('staged ramp 0→200 over 3 s, hold 3 s, down to 0 over 2 s: 1,100 requests, each where the integral reaches it', () => {
    const segments = [
      { durationMs: 3_000, fromRps: 0, toRps: 200 },
      { durationMs: 3_000, fromRps: 200, toRps: 200 },
      { durationMs: 2_000, fromRps: 200, toRps: 0 },
    ];
    assert.equal(segmentsIntegral(segments), 1_100);
    const starts = allStarts(stagedPacer(segments));
    assert.equal(starts.length, 1_100);
    starts.forEach((ms, k) => assert.ok(Math.abs(integralAt(segments, ms) - k) < 1e-6, `request ${k} at ${ms} ms: integral ${integralAt(segments, ms)}`));
    // Request 300 opens the hold, which then runs at exactly 5 ms per request.
    assert.equal(starts[300], 3_000);
    assert.ok(Math.abs(starts[500]! - 4_000) < 1e-9);
    assert.ok(starts.every((ms, i) => i === 0 || ms > starts[i - 1]!), 'starts are strictly increasing');
  });

  it('a pause (0→0) starts nothing inside it: the next request waits for its end', () => {
    const segments = [
      { durationMs: 1_000, fromRps: 10, toRps: 10 },
      { durationMs: 5_000, fromRps: 0, toRps: 0 },
      { durationMs: 1_000, fromRps: 10, toRps: 10 },
    ];
    const starts = allStarts(stagedPacer(segments));
    assert.equal(starts.length, 20);
    assert.deepEqual(starts.slice(8, 12), [800, 900, 6_000, 6_100]);
    assert.ok(starts.every((ms) => ms < 1_000 || ms >= 6_000));
  });

  it('a leading pause delays the first request to its end; a fractional integral rounds down', () => {
    const starts = allStarts(stagedPacer([{ durationMs: 2_000, fromRps: 0, toRps: 0 }, { durationMs: 1_500, fromRps: 3, toRps: 3 }]));
    assert.equal(segmentsIntegral([{ durationMs: 1_500, fromRps: 3, toRps: 3 }]), 4.5);
    const expected = [2_000, 2_000 + 1000 / 3, 2_000 + 2000 / 3, 3_000, 3_000 + 1000 / 3];
    assert.equal(starts.length, expected.length);
    starts.forEach((ms, i) => assert.ok(Math.abs(ms - expected[i]!) < 1e-9, `request ${i} at ${ms} ms`));
  });

  it('a burst: a 100 ms stage to 1,000 req/s starts its requests inside those 100 ms', () => {
    const segments = [
      { durationMs: 1_000, fromRps: 10, toRps: 10 },
      { durationMs: 100, fromRps: 1_000, toRps: 1_000 },
    ];
    const starts = allStarts(stagedPacer(segments));
    assert.equal(starts.length, 110);
    assert.equal(starts.filter((ms) => ms >= 1_000).length, 100);
  });
});

describe('StartScheduler with a staged pacer, on an injected clock', () => {
  it('starts each request at its pacer time and ends with the pacer', { timeout: 10_000 }, async () => {
    // setImmediate stays real: the scheduler waits a start's last millisecond by turning the event loop.
    mock.timers.enable({ apis: ['setTimeout'] });
    try {
      let now = 0;
      const pacer = stagedPacer([
        { durationMs: 1_000, fromRps: 0, toRps: 20 },
        { durationMs: 500, fromRps: 0, toRps: 0 },
        { durationMs: 500, fromRps: 20, toRps: 20 },
      ]);
      const scheduler = new StartScheduler({ count: 1_000, pacer, maxInFlight: Infinity, now: () => now });
      const launches: { intended: number; at: number }[] = [];
      const done = scheduler.run(async (intended) => void launches.push({ intended, at: now }));
      for (; now < 2_500; now += 1) {
        mock.timers.tick(1);
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(launches.length, 20);
      assert.equal(scheduler.started, 20, 'the pacer ended the run before the count cap');
      launches.forEach(({ intended }, i) => assert.equal(intended, pacer.startOffsetMs(i)));
      // On a 1 ms clock every start is made in the clock's first millisecond at or past its intended time.
      assert.ok(launches.every(({ intended, at }) => at - intended >= 0 && at - intended < 1 + 1e-9));
      assert.equal(scheduler.lateStarts, 0);
      await done;
      assert.equal(scheduler.settled, 20);
    } finally {
      mock.timers.reset();
    }
  });
});
