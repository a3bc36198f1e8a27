import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkPasses, jsonBody } from '../../../src/driver/flows/checks.js';
import type { FlowResponse } from '../../../src/driver/flows/flowResponse.js';
import type { CheckSpec } from '../../../src/protocol/flowMatchers.js';

function response(overrides: Partial<FlowResponse> = {}): FlowResponse {
  return { status: 200, headers: {}, body: '', bodyTruncated: false, durationMs: 120, ...overrides };
}

const order = response({ body: JSON.stringify({ id: 7, title: 't3', paid: false, note: null, tags: ['a', 'b'], owner: { name: 'a', roles: [1] }, items: [{ id: 'a' }, { id: 'b' }] }) });

/** Renders `{{vu}}` as 3, like the step runner would for the third virtual user. */
const render = (template: string) => template.replaceAll('{{vu}}', '3');

function passes(check: CheckSpec, from: FlowResponse = order): boolean {
  return checkPasses(check, from, jsonBody(from), render);
}

describe('checkPasses', () => {
  it('status: equal to one, or in a list', () => {
    assert.equal(passes({ status: 200 }), true);
    assert.equal(passes({ status: 201 }), false);
    assert.equal(passes({ status: [201, 200] }), true);
    assert.equal(passes({ status: [201, 204] }), false);
  });

  it('body_contains: the rendered text is in the body', () => {
    const page = response({ body: '<h1>hello vu 3</h1>' });
    assert.equal(passes({ body_contains: 'hello vu {{vu}}' }, page), true);
    assert.equal(passes({ body_contains: 'hello vu {{vu}}!' }, page), false);
    assert.equal(passes({ body_contains: '{{vu}}' }, response({ body: '{{vu}}' })), false);
  });

  it('body_contains: a cut body fails when the text is not in the part read', () => {
    const cut = response({ body: '<html><head>', bodyTruncated: true });
    assert.equal(passes({ body_contains: '<head>' }, cut), true);
    assert.equal(passes({ body_contains: '</html>' }, cut), false);
  });

  it('json equals: deep equality for non-strings', () => {
    assert.equal(passes({ json: '$.id', equals: 7 }), true);
    assert.equal(passes({ json: '$.id', equals: 8 }), false);
    assert.equal(passes({ json: '$.paid', equals: false }), true);
    assert.equal(passes({ json: '$.note', equals: null }), true);
    assert.equal(passes({ json: '$.owner', equals: { roles: [1], name: 'a' } }), true);
    assert.equal(passes({ json: '$.owner', equals: { name: 'a' } }), false);
    assert.equal(passes({ json: '$.owner', equals: { name: 'a', roles: [1], extra: 1 } }), false);
    assert.equal(passes({ json: '$.tags', equals: ['a', 'b'] }), true);
    assert.equal(passes({ json: '$.tags', equals: ['b', 'a'] }), false);
    assert.equal(passes({ json: '$.tags', equals: { 0: 'a', 1: 'b' } }), false);
    assert.equal(passes({ json: '$.items[*].id', equals: ['a', 'b'] }), true);
    assert.equal(passes({ json: '$.missing', equals: null }), false);
  });

  it('json equals: an expected string is rendered, and compared with a number or boolean as text', () => {
    assert.equal(passes({ json: '$.title', equals: 't{{vu}}' }), true);
    assert.equal(passes({ json: '$.title', equals: 't{{vu}}x' }), false);
    assert.equal(passes({ json: '$.id', equals: '7' }), true);
    assert.equal(passes({ json: '$.id', equals: '{{vu}}' }), false);
    assert.equal(passes({ json: '$.paid', equals: 'false' }), true);
    assert.equal(passes({ json: '$.note', equals: 'null' }), false);
    assert.equal(passes({ json: '$.tags', equals: '["a","b"]' }), false);
  });

  it('json exists: whether the path finds a value', () => {
    assert.equal(passes({ json: '$.id', exists: true }), true);
    assert.equal(passes({ json: '$.note', exists: true }), true);
    assert.equal(passes({ json: '$.missing', exists: true }), false);
    assert.equal(passes({ json: '$.missing', exists: false }), true);
    assert.equal(passes({ json: '$.id', exists: false }), false);
    assert.equal(passes({ json: '$.items[*].nope', exists: false }), true);
  });

  it('json: every json check fails on a body that is not JSON or was cut', () => {
    for (const body of [response({ body: '<html>' }), response({ body: '' }), response({ body: '{"id":7}', bodyTruncated: true })]) {
      assert.equal(passes({ json: '$.id', equals: 7 }, body), false);
      assert.equal(passes({ json: '$.id', exists: true }, body), false);
      assert.equal(passes({ json: '$.missing', exists: false }, body), false);
    }
  });

  it('max_ms: the request took at most that long', () => {
    assert.equal(passes({ max_ms: 120 }), true);
    assert.equal(passes({ max_ms: 119.9 }), false);
  });

  it('fails every check when no response came', () => {
    const none = response({ status: 0, durationMs: 1 });
    for (const check of [{ status: 200 }, { max_ms: 500 }, { body_contains: '{{nothing}}' }, { json: '$.x', exists: false }] satisfies CheckSpec[]) {
      assert.equal(passes(check, none), false, JSON.stringify(check));
    }
  });
});

describe('jsonBody', () => {
  it('parses the body at most once', () => {
    const body = response({ body: '{"a":1}' });
    const parsedJson = jsonBody(body);
    assert.deepEqual(parsedJson(), { a: 1 });
    assert.equal(parsedJson(), parsedJson());
  });

  it('gives undefined for a body that is not JSON or was cut, and JSON null as null', () => {
    assert.equal(jsonBody(response({ body: 'nope' }))(), undefined);
    assert.equal(jsonBody(response({ body: '12', bodyTruncated: true }))(), undefined);
    assert.equal(jsonBody(response({ body: 'null' }))(), null);
  });
});
