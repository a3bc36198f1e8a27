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

  it("the README's test-data example and examples/logins.yaml are valid scenario files once their files are uploaded", () => {
    const readme = readFileSync('README.md', 'utf8');
    const section = readme.slice(readme.indexOf('### Test data'));
    const yaml = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    assert.ok(yaml, 'a yaml block in the section');
    const uploaded = { accounts: 'a'.repeat(64) };
    for (const content of [parseYaml(yaml) as object, parseYaml(readFileSync('examples/logins.yaml', 'utf8')) as object]) {
      const { errors, test } = parseScenario({ ...content, data: uploaded });
      assert.deepEqual(errors, []);
      assert.deepEqual(test?.body.data, uploaded);
      assert.equal((test?.body.scenarios as Record<string, { data?: { source: string } }> | undefined)?.logins?.data?.source, 'accounts');
    }
    const logins = parseYaml(readFileSync('examples/logins.yaml', 'utf8')) as { data: unknown };
    assert.deepEqual(logins.data, { accounts: { file: 'accounts.csv' } });
    assert.equal(readFileSync('examples/accounts.csv', 'utf8').trim().split('\n').length, 1_001, 'a header and 1,000 accounts');
  });
});
