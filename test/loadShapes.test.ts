import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { loadPlanFor, warmupPlanFor } from '../src/driver/load/index.js';
import { StartScheduler } from '../src/driver/schedule.js';
import { createTestBody, fieldErrors, plannedConfig } from '../src/api/index.js';
import { decodeMessage, encodeMessage, plannedRateBetween, plannedWorkloadMs, type TestConfigMessage } from '../src/protocol/index.js';

const RAMP_HOLD_DOWN = [
  { duration_s: 3, target_rps: 200 },
  { duration_s: 3, target_rps: 200 },
  { duration_s: 2, target_rps: 0 },
];

/** The 400's field errors for a body, as `field: message`. */
function problems(body: Record<string, unknown>): string[] {
  const parsed = createTestBody.safeParse(body);
  return parsed.success ? [] : fieldErrors(parsed.error).map((e) => `${e.field}: ${e.message}`);
}

function planned(body: Record<string, unknown>) {
  const { drivers: _drivers, trigger: _trigger, ...fields } = createTestBody.parse(body);
  return plannedConfig(fields, 1);
}

describe('load shapes in the REST body', () => {
  it('stages: the count on the wire is their integral, rounded down', () => {
    assert.equal(planned({ test_type: 'AVALANCHE', stages: RAMP_HOLD_DOWN }).message_count_per_driver, 1_100);
    assert.equal(planned({ test_type: 'TSUNAMI', stages: [{ duration_s: 2, target_rps: 100 }, { duration_s: 1, target_rps: 0 }] }).message_count_per_driver, 150);
    assert.equal(planned({ test_type: 'AVALANCHE', start_rps: 3, stages: [{ duration_s: 1.5, target_rps: 3 }] }).message_count_per_driver, 4);
  });

  it('a staged TSUNAMI carries the mean gap, so a spec-only driver sends the count over the same time', () => {
    const config = planned({ test_type: 'TSUNAMI', stages: RAMP_HOLD_DOWN });
    assert.ok(Math.abs(config.test_message_delay - 8_000 / 1_100) < 1e-9);
    assert.equal(planned({ test_type: 'AVALANCHE', stages: RAMP_HOLD_DOWN }).test_message_delay, 0);
  });

  it('duration_s: rate × duration at a fixed rate; a cap for an unpaced AVALANCHE', () => {
    assert.equal(planned({ test_type: 'AVALANCHE', throughput_per_driver: 100, duration_s: 3 }).message_count_per_driver, 300);
    assert.equal(planned({ test_type: 'TSUNAMI', test_message_delay: 20, duration_s: 3 }).message_count_per_driver, 150);
    assert.equal(planned({ test_type: 'AVALANCHE', duration_s: 3, message_count_per_driver: 500 }).message_count_per_driver, 500);
    assert.equal(planned({ test_type: 'AVALANCHE', duration_s: 3 }).message_count_per_driver, 1_000_000_000);
  });

  it('names the field path of every bad stage', () => {
    const found = problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 1, target_rps: 5 }, { duration_s: 0, target_rps: 5 }, { duration_s: 1, target_rps: -1 }] });
    assert.deepEqual(found, ['stages[1].duration_s: must be > 0', 'stages[2].target_rps: must be >= 0']);
    assert.deepEqual(problems({ test_type: 'AVALANCHE', stages: [] }), ['stages: must have at least one stage']);
    assert.deepEqual(problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 1, target_rps: 1, extra: 1 }] }), ['stages[0].extra: unknown field']);
  });

  it('refuses a plan of no request, of more than 10⁹, or longer than 24 h', () => {
    assert.match(problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 10, target_rps: 0 }] }).join(), /^stages: plan no request/);
    assert.match(problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 0.5, target_rps: 1 }] }).join(), /^stages: plan no request: the integral of the rate is 0.25/);
    assert.match(problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 80_000, target_rps: 30_000 }] }).join(), /^stages: plan 1200000000 requests per driver, more than 1000000000/);
    assert.match(problems({ test_type: 'AVALANCHE', stages: [{ duration_s: 86_400, target_rps: 1 }, { duration_s: 1, target_rps: 1 }] }).join(), /^stages: last 86401 s in all, more than 86400 s/);
    assert.deepEqual(problems({ test_type: 'AVALANCHE', duration_s: 86_401 }), ['duration_s: must be at most 86400 (24 h)']);
    assert.match(problems({ test_type: 'AVALANCHE', throughput_per_driver: 0.1, duration_s: 5 }).join(), /^duration_s: plan no request/);
  });

  it('refuses fields that contradict stages, and stages fields without stages', () => {
    const found = problems({ test_type: 'TSUNAMI', stages: RAMP_HOLD_DOWN, test_message_delay: 5, throughput_per_driver: 10, duration_s: 3, message_count_per_driver: 5 });
    assert.deepEqual(
      found.map((p) => p.split(':')[0]),
      ['duration_s', 'message_count_per_driver', 'throughput_per_driver', 'test_message_delay'],
    );
    assert.deepEqual(problems({ test_type: 'AVALANCHE', message_count_per_driver: 5, start_rps: 3 }), ['start_rps: needs stages (it is the rate the first stage ramps from)']);
    assert.deepEqual(problems({ test_type: 'AVALANCHE' }), ['message_count_per_driver: is required (or give duration_s or stages)']);
    assert.match(problems({ test_type: 'AVALANCHE', throughput_per_driver: 10, duration_s: 3, message_count_per_driver: 5 }).join(), /^message_count_per_driver: cannot be given with duration_s at a fixed rate/);
    assert.match(problems({ test_type: 'AVALANCHE', stages: RAMP_HOLD_DOWN, max_duration_s: 7 }).join(), /^max_duration_s: is shorter than the plan \(8 s/);
    assert.deepEqual(problems({ test_type: 'AVALANCHE', stages: RAMP_HOLD_DOWN, max_duration_s: 9, warmup_s: 1 }), []);
  });
});

describe('load shapes on the wire and in the driver', () => {
  const config = (extra: Partial<TestConfigMessage>): TestConfigMessage => ({ test_id: 't', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 1_100, ...extra });

  it('stages, start_rps, duration_s and warmup_s travel as extensions', () => {
    const sent = config({ stages: RAMP_HOLD_DOWN, start_rps: 5, warmup_s: 2 });
    const decoded = decodeMessage('test_config', encodeMessage('test_config', sent));
    assert.ok(decoded.ok);
    assert.deepEqual(decoded.value.stages, RAMP_HOLD_DOWN);
    assert.equal(decoded.value.start_rps, 5);
    assert.equal(decoded.value.warmup_s, 2);
    const bad = decodeMessage('test_config', JSON.stringify({ ...sent, message_count_per_driver: '5', test_message_delay: '0', stages: [{ duration_s: '1', target_rps: '-3' }] }));
    assert.ok(!bad.ok);
    assert.equal(bad.error.field, 'stages[0].target_rps');
  });

  it('stages pace every model; duration_s closes the start window; the warm-up is the start of the same plan', () => {
    const staged = loadPlanFor(config({ stages: RAMP_HOLD_DOWN }), 8);
    assert.equal(staged.pacer?.startOffsetMs(300), 3_000);
    assert.equal(staged.maxInFlight, 8);
    assert.equal(loadPlanFor(config({ test_type: 'TSUNAMI', test_message_delay: 7.27, stages: RAMP_HOLD_DOWN }), 8).pacer?.startOffsetMs(300), 3_000);
    const timed = loadPlanFor(config({ duration_s: 3 }), 8);
    assert.equal(timed.pacer, undefined);
    assert.equal(timed.startWindowMs, 3_000);
    const warmup = warmupPlanFor(config({ stages: RAMP_HOLD_DOWN, warmup_s: 2 }), 8);
    assert.equal(warmup?.startWindowMs, 2_000);
    assert.equal(warmup?.pacer?.startOffsetMs(300), 3_000);
    assert.equal(warmupPlanFor(config({ warmup_count_per_driver: 20 }), 8)?.count, 20);
    assert.equal(warmupPlanFor(config({}), 8), undefined);
  });

  it('planned rate per interval follows the stages', () => {
    const fields = config({ stages: RAMP_HOLD_DOWN });
    assert.equal(plannedWorkloadMs(fields), 8_000);
    assert.ok(Math.abs(plannedRateBetween(fields, 0, 1_000)! - 1000 / 30) < 1e-9);
    assert.equal(plannedRateBetween(fields, 4_000, 4_500), 200);
    assert.equal(plannedRateBetween(fields, 8_000, 8_500), null);
    assert.equal(plannedRateBetween(config({ throughput_per_driver: 50, message_count_per_driver: 100 }), 1_000, 1_500), 50);
    assert.equal(plannedRateBetween(config({ throughput_per_driver: 50, message_count_per_driver: 100 }), 2_000, 2_500), null);
    assert.equal(plannedRateBetween(config({}), 0, 500), null);
  });
});

describe('StartScheduler start window, on an injected clock', () => {
  it('unpaced: starts while the window is open, then lets the ones in flight finish', async () => {
    mock.timers.enable({ apis: ['setTimeout', 'setImmediate'] });
    try {
      let now = 0;
      const scheduler = new StartScheduler({ count: 1_000_000, maxInFlight: 2, startWindowMs: 100, now: () => now });
      const done = scheduler.run(() => new Promise((resolve) => setTimeout(resolve, 10)));
      while (now < 200) {
        now += 1;
        mock.timers.tick(1);
        // Settling runs in microtasks: let them run before the clock moves on.
        for (let turn = 0; turn < 5; turn++) await Promise.resolve();
      }
      await done;
      // Two slots, each request 10 ms: two starts every 10 ms from 0 to 90.
      assert.equal(scheduler.started, 20);
      assert.equal(scheduler.settled, 20);
    } finally {
      mock.timers.reset();
    }
  });
});
