import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationSeconds } from '../../../src/api/index.js';
import { parseStage, parseWarmup } from '../../../src/cli/run/loadShapeFlags.js';

describe('load shape flags', () => {
  it('reads k6 durations', () => {
    assert.deepEqual(['30s', '1m30s', '500ms', '2h', '1.5s', '45'].map(durationSeconds), [30, 90, 0.5, 7200, 1.5, 45]);
    assert.deepEqual(['', 's', '3x', '1m 30s', '-3s'].map(durationSeconds), [undefined, undefined, undefined, undefined, undefined]);
  });

  it('reads a stage as duration:target', () => {
    assert.deepEqual(parseStage('30s:500'), { duration_s: 30, target_rps: 500 });
    assert.deepEqual(parseStage('1m:0'), { duration_s: 60, target_rps: 0 });
    for (const bad of ['30s', '30s:', '30s:-1', ':5', '0s:5', '30s:5:6']) assert.throws(() => parseStage(bad), /--stage must be DURATION:TARGET_RPS/, bad);
  });

  it('reads --warmup as a count, or as a time with its unit', () => {
    assert.deepEqual(parseWarmup('200'), { warmup_count_per_driver: 200 });
    assert.deepEqual(parseWarmup('10s'), { warmup_s: 10 });
    assert.deepEqual(parseWarmup(undefined), {});
    assert.throws(() => parseWarmup('1.5'), /--warmup must be/);
  });
});
