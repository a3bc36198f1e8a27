import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { steeringFor, steeringKeyOf, steeringLine } from '../../src/cli/run/steeringKeys.js';
import { testView } from '../cli/fixtures.js';

const running = testView({ state: 'running' });
const steered = (change: object, paused = false) => ({ ...running, paused, steering: [{ change_id: 'c', at: '2026-01-01T00:00:01.000Z', apply_at: '2026-01-01T00:00:01.200Z', elapsed_ms: 1_100, change }] });

describe('stampede run steering keys', () => {
  it('+ and - move a plain test’s total rate by 10 %: its config’s first, then its last change', () => {
    // TSUNAMI every 10 ms on 2 drivers: 200 req/s in all.
    assert.deepEqual(steeringFor('+', running), { rate: 220 });
    assert.deepEqual(steeringFor('-', running), { rate: 180 });
    assert.deepEqual(steeringFor('+', steered({ rate: 500 })), { rate: 550 });
  });

  it('p pauses a running test and resumes a paused one', () => {
    assert.deepEqual(steeringFor('p', running), { paused: true });
    assert.deepEqual(steeringFor('p', steered({ paused: true }, true)), { paused: false });
  });

  it('an unpaced test has no rate to move', () => {
    const unpaced = testView({ state: 'running', config: { ...running.config, test_type: 'AVALANCHE', test_message_delay: 0 } });
    assert.equal(steeringFor('+', unpaced), undefined);
  });

  it('scenarios: arrival rates and VUs as totals over the drivers, at least one VU a press', () => {
    const scenarios = {
      browse: { executor: 'constant-arrival-rate', rate: 10, duration_s: 60, max_vus: 50, flow: [] },
      shop: { executor: 'constant-vus', total_vus: 3, duration_s: 60, flow: [] },
    };
    const view = testView({ state: 'running', config: { ...running.config, scenarios } as typeof running.config });
    assert.deepEqual(steeringFor('+', view), { scenarios: { browse: { rate: 22 }, shop: { vus: 4 } } });
    assert.deepEqual(steeringFor('-', view), { scenarios: { browse: { rate: 18 }, shop: { vus: 2 } } });
  });

  it('reads its keys and says what the last change was', () => {
    assert.equal(steeringKeyOf('='), '+');
    assert.equal(steeringKeyOf('x'), undefined);
    assert.match(steeringLine(steered({ rate: 500 })), /last change: rate 500 req\/s/);
    assert.match(steeringLine(steered({ paused: true }, true)), /paused$/);
  });
});
