import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { KEY_OF_FIELD, parseScenario, SCENARIO_KEYS, TEST_CONFIG_FIELDS, TEST_KEYS } from '../../src/api/index.js';
import { FLAG_OF_FIELD, keysFromFlags, TEST_FLAG_OPTIONS } from '../../src/cli/run/testFlags.js';

/** REST fields a person writes only in a file (a list or a mapping no flag could hold). */
const FILE_ONLY_FIELDS = ['requests', 'scenarios'];

describe('test keys: one declaration for a REST field, its file key and its flag', () => {
  it('gives every REST test field a scenario-file key, and a flag unless it is a list or mapping', () => {
    for (const field of Object.keys(TEST_CONFIG_FIELDS)) {
      const key = KEY_OF_FIELD[field];
      assert.ok(key, `${field} has no scenario-file key in src/api/testKeys.ts`);
      assert.ok(SCENARIO_KEYS.includes(key), `${key} is not a scenario-file key`);
      if (!FILE_ONLY_FIELDS.includes(field)) {
        assert.ok(FLAG_OF_FIELD[field], `${field} (key ${key}) has no stampede run flag`);
        assert.ok(TEST_FLAG_OPTIONS[TEST_KEYS[key].flag!], `--${TEST_KEYS[key].flag} is not an option of stampede run`);
      }
    }
  });

  it('takes the same value as a flag and as a file key (max_duration, start_rate, tls_insecure)', () => {
    const fromFlags = keysFromFlags({ type: 'avalanche', stage: ['1s:10'], 'start-rate': '5', 'max-duration': '10m', 'tls-insecure': true, target: 'http://127.0.0.1:1/' });
    assert.deepEqual(fromFlags, { type: 'avalanche', stages: ['1s:10'], start_rate: 5, max_duration: '10m', tls_insecure: true });
    const fromFile = { type: 'avalanche', stages: ['1s:10'], start_rate: 5, max_duration: '10m', tls_insecure: true, target: 'http://127.0.0.1:1/' };
    const flagged = parseScenario({ ...fromFlags, target: 'http://127.0.0.1:1/' });
    const written = parseScenario(fromFile);
    assert.deepEqual(flagged.errors, []);
    assert.deepEqual(flagged.test?.body, written.test?.body);
    assert.deepEqual(written.test?.body, { test_type: 'AVALANCHE', stages: [{ duration_s: 1, target_rps: 10 }], start_rps: 5, max_duration_s: 600, tls_insecure: true, target_url: 'http://127.0.0.1:1/' });
  });

  it('reads each flag by its own rule first, so a mistake names the flag', () => {
    assert.throws(() => keysFromFlags({ count: '-5' }), /^UsageError: --count must be a positive integer, got "-5"$/);
    assert.throws(() => keysFromFlags({ 'max-duration': 'soon' }), /--max-duration must be a duration > 0/);
    assert.throws(() => keysFromFlags({ type: 'flood' }), /--type must be avalanche or tsunami, got "flood"/);
  });
});
