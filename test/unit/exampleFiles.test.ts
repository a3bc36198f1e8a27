import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parse as parseYaml } from 'yaml';
import { parseScenario } from '../../src/api/index.js';

describe('the example files the README points to', () => {
  it('examples/journey.yaml is a valid scenario file: its flows, executors and step thresholds', () => {
    const { errors, test } = parseScenario(parseYaml(readFileSync('examples/journey.yaml', 'utf8')));
    assert.deepEqual(errors, []);
    assert.deepEqual(Object.keys(test?.body.scenarios ?? {}), ['shoppers', 'browsers']);
  });
});
