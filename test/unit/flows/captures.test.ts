import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { captureAll, captureValue } from '../../../src/driver/flows/captures.js';
import { jsonBody } from '../../../src/driver/flows/checks.js';
import type { FlowResponse } from '../../../src/driver/flows/flowResponse.js';
import type { CaptureSpec } from '../../../src/protocol/flowMatchers.js';

function response(overrides: Partial<FlowResponse> = {}): FlowResponse {
  return { status: 201, headers: {}, body: '', bodyTruncated: false, durationMs: 12, ...overrides };
}

const created = response({
  headers: { location: '/orders/7', 'set-cookie': ['a=1', 'b=2'], etag: '' },
  body: JSON.stringify({ id: 7, title: 'Ada', paid: false, price: 1.5, note: null, owner: { name: 'a' }, tags: ['x', 'y'], items: [{ id: 'a' }, { id: 2 }, { id: null }, { id: { n: 1 } }] }),
});

function capture(spec: CaptureSpec, from: FlowResponse = created): string | string[] | undefined {
  return captureValue(spec, from, jsonBody(from));
}

describe('captureValue', () => {
  it('captures JSON strings as they are, numbers and booleans as text, objects and arrays as JSON', () => {
    assert.equal(capture({ json: '$.title' }), 'Ada');
    assert.equal(capture({ json: '$.id' }), '7');
    assert.equal(capture({ json: '$.price' }), '1.5');
    assert.equal(capture({ json: '$.paid' }), 'false');
    assert.equal(capture({ json: '$.owner' }), '{"name":"a"}');
    assert.equal(capture({ json: '$.tags' }), '["x","y"]');
    assert.equal(capture({ json: '$.tags[-1]' }), 'y');
  });

  it('captures a list from a wildcard path, leaving out nulls', () => {
    assert.deepEqual(capture({ json: '$.items[*].id' }), ['a', '2', '{"n":1}']);
    assert.deepEqual(capture({ json: '$.tags.*' }), ['x', 'y']);
    assert.equal(capture({ json: '$.items[*].missing' }), undefined);
    assert.equal(capture({ json: '$.note.*' }), undefined);
  });

  it('finds nothing at a missing path, at JSON null, or in a body that is not JSON or was cut', () => {
    assert.equal(capture({ json: '$.missing' }), undefined);
    assert.equal(capture({ json: '$.note' }), undefined);
    assert.equal(capture({ json: '$.id' }, response({ body: '<html>' })), undefined);
    assert.equal(capture({ json: '$' }, response({ body: '' })), undefined);
    assert.equal(capture({ json: '$.id' }, response({ body: '{"id": 7}', bodyTruncated: true })), undefined);
  });

  it('captures the first value of a header, whatever case the spec writes', () => {
    assert.equal(capture({ header: 'Location' }), '/orders/7');
    assert.equal(capture({ header: 'LOCATION' }), '/orders/7');
    assert.equal(capture({ header: 'Set-Cookie' }), 'a=1');
    assert.equal(capture({ header: 'etag' }), '');
    assert.equal(capture({ header: 'x-missing' }), undefined);
    assert.equal(capture({ header: 'constructor' }), undefined);
  });

  it('captures the first group of a pattern, or the whole match when it has none', () => {
    const page = response({ body: 'token=abc123; other=def456' });
    assert.equal(capture({ regex: '=(\\w+)' }, page), 'abc123');
    assert.equal(capture({ regex: '(\\w+)=(\\w+)' }, page), 'token');
    assert.equal(capture({ regex: 'other=(?<value>\\w+)' }, page), 'def456');
    assert.equal(capture({ regex: '\\d+' }, page), '123');
    assert.equal(capture({ regex: 'nope(\\d)' }, page), undefined);
    assert.equal(capture({ regex: 'token=(x)?' }, page), undefined);
  });

  it('captures the status, and nothing when no response came', () => {
    assert.equal(capture({ status: true }), '201');
    assert.equal(capture({ status: true }, response({ status: 0 })), undefined);
  });

  it('reuses one compiled spec across responses', () => {
    const spec: CaptureSpec = { regex: 'n=(\\d)' };
    assert.deepEqual(['n=1', 'x', 'n=2', 'n=3'].map((body) => capture(spec, response({ body }))), ['1', undefined, '2', '3']);
  });
});

describe('captureAll', () => {
  const captures: Record<string, CaptureSpec> = {
    id: { json: '$.id' },
    where: { header: 'location' },
    code: { status: true },
    missingRequired: { json: '$.nope' },
    missingOptional: { header: 'x-nope', optional: true },
  };

  it('returns what was found and names what was not, except optional captures', () => {
    assert.deepEqual(captureAll(captures, created, false), { values: { id: '7', where: '/orders/7', code: '201' }, missing: ['missingRequired'] });
  });

  it('misses nothing in an optional step', () => {
    assert.deepEqual(captureAll(captures, created, true), { values: { id: '7', where: '/orders/7', code: '201' }, missing: [] });
  });

  it("reads the body through the caller's parse, which the step's checks share", () => {
    let reads = 0;
    const parsedJson = jsonBody(created);
    const counted = () => {
      reads++;
      return parsedJson();
    };
    const result = captureAll({ a: { json: '$.id' }, b: { json: '$.title' } }, created, false, counted);
    assert.deepEqual(result.values, { a: '7', b: 'Ada' });
    assert.equal(reads, 2);
  });
});
