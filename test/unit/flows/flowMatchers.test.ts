import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { z } from 'zod';
import { captureMap, captureSpec, checkList, checkName, checkSpec, defaultCheckName, FLOW_MATCHER_LIMITS, type CheckSpec } from '../../../src/protocol/flowMatchers.js';
import { JSON_PATH_SUPPORTED } from '../../../src/protocol/jsonPath.js';

/** The first issue of a refused value: where, and what it says. */
function refusal(schema: z.ZodType, value: unknown): { path: PropertyKey[]; message: string } {
  const result = schema.safeParse(value);
  assert.equal(result.success, false, `${JSON.stringify(value)} should be refused`);
  const issue = result.error!.issues[0]!;
  return { path: issue.path, message: issue.message };
}

describe('captureSpec', () => {
  it('accepts each source, alone or optional', () => {
    for (const spec of [{ json: '$.items[*].id' }, { header: 'X-Request-Id' }, { regex: 'id=(\\d+)' }, { status: true }, { json: '$.id', optional: true }, { header: 'etag', optional: false }]) {
      assert.deepEqual(captureSpec.parse(spec), spec);
    }
  });

  it('trims a JSONPath', () => {
    assert.deepEqual(captureSpec.parse({ json: ' $.id ' }), { json: '$.id' });
  });

  it('asks for exactly one source', () => {
    assert.deepEqual(refusal(captureSpec, {}), { path: [], message: 'give one of json, header, regex, status' });
    assert.deepEqual(refusal(captureSpec, { optional: true }), { path: [], message: 'give one of json, header, regex, status' });
    assert.deepEqual(refusal(captureSpec, { json: '$.a', regex: 'a' }), { path: [], message: 'give one of json, header, regex, status, not json and regex together' });
    assert.deepEqual(refusal(captureSpec, '$.a'), { path: [], message: 'must be an object: give one of json, header, regex, status' });
  });

  it("refuses a JSONPath with parseJsonPath's message", () => {
    assert.deepEqual(refusal(captureSpec, { json: '$..id' }), {
      path: ['json'],
      message: `not a JSONPath this tool understands: "$..id": recursive descent (..) is not supported; supported: ${JSON_PATH_SUPPORTED}`,
    });
    assert.deepEqual(refusal(captureSpec, { json: '  ' }), { path: ['json'], message: 'must not be empty' });
  });

  it('refuses a bad header name, a pattern that does not compile or is too long, and status other than true', () => {
    assert.deepEqual(refusal(captureSpec, { header: 'x id' }), { path: ['header'], message: 'is not a valid header name' });
    const badPattern = refusal(captureSpec, { regex: 'a(' });
    assert.deepEqual(badPattern.path, ['regex']);
    assert.match(badPattern.message, /^does not compile: Invalid regular expression: \/a\(\//);
    assert.deepEqual(refusal(captureSpec, { regex: 'a'.repeat(FLOW_MATCHER_LIMITS.regexLength + 1) }), { path: ['regex'], message: 'must be at most 1000 characters' });
    assert.equal(captureSpec.safeParse({ regex: 'a'.repeat(FLOW_MATCHER_LIMITS.regexLength) }).success, true);
    assert.deepEqual(refusal(captureSpec, { status: false }), { path: ['status'], message: 'must be true' });
  });

  it('refuses keys of no source', () => {
    assert.deepEqual(refusal(captureSpec, { header: 'etag', from: 'body' }).path, []);
    assert.match(refusal(captureSpec, { header: 'etag', from: 'body' }).message, /from/);
  });
});

describe('captureMap', () => {
  it('maps variable names to captures', () => {
    const captures = { id: { json: '$.id' }, _Etag2: { header: 'ETag' } };
    assert.deepEqual(captureMap.parse(captures), captures);
  });

  it('refuses reserved and malformed variable names, naming them', () => {
    for (const name of ['vu', 'iteration', 'data', 'seq', 'uuid', 'driver_id', 'test_id', 'random_int', 'now_ms']) {
      assert.deepEqual(refusal(captureMap, { [name]: { status: true } }), { path: [name], message: `"${name}" is a reserved variable name` });
    }
    for (const name of ['1st', 'a-b', 'a.b', '', 'x'.repeat(65)]) {
      assert.deepEqual(refusal(captureMap, { [name]: { status: true } }), { path: [name], message: 'must be a letter or _, then at most 63 letters, digits or _' });
    }
    assert.equal(captureMap.safeParse({ ['x'.repeat(64)]: { status: true } }).success, true);
  });

  it('reports a capture mistake under its variable', () => {
    assert.deepEqual(refusal(captureMap, { token: { json: '$.a[0:1]' } }).path, ['token', 'json']);
    assert.deepEqual(refusal(captureMap, { token: {} }), { path: ['token'], message: 'give one of json, header, regex, status' });
  });

  it('takes at most 50 captures', () => {
    const captures = (count: number) => Object.fromEntries(Array.from({ length: count }, (_, i) => [`v${i}`, { status: true }]));
    assert.equal(captureMap.safeParse(captures(FLOW_MATCHER_LIMITS.captures)).success, true);
    assert.deepEqual(refusal(captureMap, captures(FLOW_MATCHER_LIMITS.captures + 1)), { path: [], message: 'at most 50 captures' });
  });
});

describe('checkSpec', () => {
  it('accepts each kind, with or without a name', () => {
    const checks = [
      { status: 200 },
      { status: [200, 201], name: 'created or fine' },
      { body_contains: 'hello {{vu}}' },
      { body_contains: '{{not a template' },
      { json: '$.id', exists: true },
      { json: '$.items[*].id', equals: ['a', 'b'] },
      { json: '$.deleted', equals: null },
      { json: '$.title', equals: 't{{vu}}', name: 'title' },
      { max_ms: 250.5 },
    ];
    for (const check of checks) assert.deepEqual(checkSpec.parse(check), check);
  });

  it('asks for exactly one kind', () => {
    assert.deepEqual(refusal(checkSpec, { name: 'x' }), { path: [], message: 'give one of status, body_contains, json, max_ms' });
    assert.deepEqual(refusal(checkSpec, { status: 200, max_ms: 10 }), { path: [], message: 'give one of status, body_contains, json, max_ms, not status and max_ms together' });
    assert.deepEqual(refusal(checkSpec, [{ status: 200 }]), { path: [], message: 'must be an object: give one of status, body_contains, json, max_ms' });
  });

  it('asks a json check for exactly one of equals and exists', () => {
    assert.deepEqual(refusal(checkSpec, { json: '$.id' }), { path: [], message: 'give one of equals, exists' });
    assert.deepEqual(refusal(checkSpec, { json: '$.id', equals: 1, exists: true }), { path: [], message: 'give one of equals, exists, not both' });
    assert.deepEqual(refusal(checkSpec, { json: '$.id', exists: 'yes' }).path, ['exists']);
  });

  it('refuses statuses out of range, bad paths, max_ms <= 0, empty text and names', () => {
    const message = 'must be an HTTP status (100-599)';
    assert.deepEqual(refusal(checkSpec, { status: 99 }), { path: ['status'], message });
    assert.deepEqual(refusal(checkSpec, { status: 600 }), { path: ['status'], message });
    assert.deepEqual(refusal(checkSpec, { status: [200, 99] }), { path: ['status', 1], message });
    assert.deepEqual(refusal(checkSpec, { status: [] }), { path: ['status'], message: 'must list at least one status' });
    assert.deepEqual(refusal(checkSpec, { status: '200' }), { path: ['status'], message: `${message}, or a list of them` });
    assert.deepEqual(refusal(checkSpec, { json: '$.a[?(@.b)]', exists: true }).path, ['json']);
    assert.match(refusal(checkSpec, { json: '$.a[?(@.b)]', exists: true }).message, /filters \(\[\?\.\.\.\]\) are not supported/);
    assert.deepEqual(refusal(checkSpec, { max_ms: 0 }), { path: ['max_ms'], message: 'must be > 0' });
    assert.deepEqual(refusal(checkSpec, { body_contains: '' }), { path: ['body_contains'], message: 'must not be empty' });
    assert.deepEqual(refusal(checkSpec, { status: 200, name: ' ' }), { path: ['name'], message: 'must not be empty' });
    assert.deepEqual(refusal(checkSpec, { status: 200, name: 'n'.repeat(FLOW_MATCHER_LIMITS.nameLength + 1) }).path, ['name']);
  });
});

describe('checkList', () => {
  it('takes a list, or one check alone as a list of one', () => {
    assert.deepEqual(checkList.parse([{ status: 200 }, { max_ms: 100 }]), [{ status: 200 }, { max_ms: 100 }]);
    assert.deepEqual(checkList.parse({ status: 200 }), [{ status: 200 }]);
  });

  it('reports a check mistake under its index', () => {
    assert.deepEqual(refusal(checkList, [{ status: 200 }, { max_ms: -1 }]), { path: [1, 'max_ms'], message: 'must be > 0' });
    assert.deepEqual(refusal(checkList, { max_ms: -1 }), { path: [0, 'max_ms'], message: 'must be > 0' });
  });

  it('takes 1 to 50 checks', () => {
    assert.deepEqual(refusal(checkList, []), { path: [], message: 'must have at least one check' });
    assert.equal(checkList.safeParse(Array(FLOW_MATCHER_LIMITS.checks).fill({ status: 200 })).success, true);
    assert.deepEqual(refusal(checkList, Array(FLOW_MATCHER_LIMITS.checks + 1).fill({ status: 200 })), { path: [], message: 'at most 50 checks' });
  });
});

describe('check names', () => {
  it('describes each kind, templates unrendered', () => {
    const names: [string, CheckSpec, string][] = [
      ['read', { status: 200 }, 'read: status 200'],
      ['read', { status: [200, 201] }, 'read: status in 200,201'],
      ['read', { body_contains: 'title' }, 'read: body contains "title"'],
      ['create', { json: '$.title', equals: 't{{vu}}' }, 'create: $.title equals "t{{vu}}"'],
      ['create', { json: '$.tags', equals: ['a', 1] }, 'create: $.tags equals ["a",1]'],
      ['create', { json: '$.id', exists: true }, 'create: $.id exists'],
      ['create', { json: '$.id', exists: false }, 'create: $.id absent'],
      ['read', { max_ms: 500 }, 'read: under 500 ms'],
    ];
    for (const [step, check, name] of names) {
      assert.equal(defaultCheckName(step, check), name);
      assert.equal(checkName(step, check), name);
    }
  });

  it("uses a check's own name when it has one", () => {
    assert.equal(checkName('read', { status: 200, name: 'page loads' }), 'page loads');
    assert.equal(defaultCheckName('read', { status: 200, name: 'page loads' }), 'read: status 200');
  });
});
