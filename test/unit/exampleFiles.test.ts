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

  it("the README's user-journey example is a valid scenario file", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### User journeys'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml, 'a yaml block in the section');
    const { errors, test } = parseScenario(parseYaml(yaml));
    assert.deepEqual(errors, []);
    assert.deepEqual(Object.keys(test?.body.scenarios ?? {}), ['shoppers', 'browsers']);
  });
});
