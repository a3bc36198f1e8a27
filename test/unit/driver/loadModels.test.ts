import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadPlanFor } from '../../../src/driver/load/index.js';
import { LOAD_MODEL_SPECS, TEST_TYPES, type TestConfigMessage } from '../../../src/protocol/index.js';

const config = (test_type: string): TestConfigMessage => ({ test_id: 't', test_type, test_message_delay: 10, message_count_per_driver: 5 }) as TestConfigMessage;

describe('load model registry', () => {
  it('has a driver-side plan and a description for every wire name', () => {
    for (const type of TEST_TYPES) {
      assert.equal(loadPlanFor(config(type), 4).count, 5, type);
      assert.ok(LOAD_MODEL_SPECS[type].description.length > 10, type);
    }
  });

  it('refuses a type it does not know instead of running another model', () => {
    assert.throws(() => loadPlanFor(config('RAMPAGE'), 4), /unknown test_type "RAMPAGE" \(this driver runs AVALANCHE, TSUNAMI\)/);
    assert.throws(() => loadPlanFor(config('toString'), 4), /unknown test_type/);
  });
});
