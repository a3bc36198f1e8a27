import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compileJsonPath, evaluateJsonPath, JSON_PATH_SUPPORTED, parseJsonPath, type JsonPathResult } from '../../../src/protocol/jsonPath.js';

function read(path: string, document: unknown): JsonPathResult {
  return evaluateJsonPath(compileJsonPath(path), document);
}

function refusalOf(path: string): string {
  const parsed = parseJsonPath(path);
  assert.equal(parsed.ok, false, `${path} should be refused`);
  return parsed.ok ? '' : parsed.message;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const order = { id: 7, 'first name': 'Ada', it: { "'s": 1, 'a"b': 2, 'back\\slash': 3 }, items: [{ id: 'a' }, { id: 'b', tag: null }, { other: 1 }], empty: [], nothing: null, 'dash-ed': true, $ref: 'r' };

describe('parseJsonPath', () => {
  it('parses every supported form', () => {
    const forms: [string, unknown][] = [
      ['$', { steps: [], listed: false }],
      ['$.id', { steps: [{ key: 'id' }], listed: false }],
      ['$.a_b.$c.d-e', { steps: [{ key: 'a_b' }, { key: '$c' }, { key: 'd-e' }], listed: false }],
      ["$['first name']", { steps: [{ key: 'first name' }], listed: false }],
      ['$["first name"]', { steps: [{ key: 'first name' }], listed: false }],
      ["$['it\\'s']", { steps: [{ key: "it's" }], listed: false }],
      ['$["a\\"b"]["back\\\\slash"]', { steps: [{ key: 'a"b' }, { key: 'back\\slash' }], listed: false }],
      ["$['']", { steps: [{ key: '' }], listed: false }],
      ['$.items[0]', { steps: [{ key: 'items' }, { index: 0 }], listed: false }],
      ['$.items[-1]', { steps: [{ key: 'items' }, { index: -1 }], listed: false }],
      ['$.items[*].id', { steps: [{ key: 'items' }, { every: true }, { key: 'id' }], listed: true }],
      ['$.*', { steps: [{ every: true }], listed: true }],
      ['$[0][1]', { steps: [{ index: 0 }, { index: 1 }], listed: false }],
    ];
    for (const [text, path] of forms) assert.deepEqual(parseJsonPath(text), { ok: true, path }, text);
  });

  it('refuses what it does not support, saying which part and what is supported', () => {
    const refusals: [string, string][] = [
      ['$..a', 'recursive descent (..) is not supported'],
      ['$.a..b', 'recursive descent (..) is not supported'],
      ['$.items[?(@.id)]', 'filters ([?...]) are not supported'],
      ['$.items[(@.length-1)]', 'script expressions ([(...)]) are not supported'],
      ['$.items[0:2]', 'slices ([start:end]) are not supported'],
      ['$.items[-1:]', 'slices ([start:end]) are not supported'],
      ['$.items[0,1]', 'unions ([a,b]) are not supported'],
      ["$['a','b']", 'unions ([a,b]) are not supported'],
      ['$.items.length()', 'functions (length()) are not supported'],
      ['a.b', 'must start with $ (the root)'],
      ['', 'must start with $ (the root)'],
      ['$a', 'unexpected "a" at position 1: each step starts with . or ['],
      ['$.', '"." at position 1 must be followed by a name'],
      ['$.1a', '"." at position 1 must be followed by a name'],
      ['$.items[0', '"[" at position 7 is never closed'],
      ['$[]', '[] is not understood'],
      ['$[ 0 ]', '[ 0 ] is not understood'],
      ['$[abc]', '[abc] is not understood'],
      ['$[99999999999999999999]', 'index [99999999999999999999] is too large'],
      ["$['a", 'the quoted key at position 2 is never closed'],
      ["$['a'x", 'expected ] at position 5, after the quoted key'],
      ["$['a\\n']", 'unknown escape at position 4'],
    ];
    for (const [text, reason] of refusals) {
      const message = refusalOf(text);
      assert.ok(message.startsWith(`not a JSONPath this tool understands: ${JSON.stringify(text)}: ${reason}`), message);
      assert.ok(message.endsWith(`; supported: ${JSON_PATH_SUPPORTED}`), message);
    }
  });

  it('gives the documented message for recursive descent', () => {
    assert.equal(refusalOf('$..a'), `not a JSONPath this tool understands: "$..a": recursive descent (..) is not supported; supported: ${JSON_PATH_SUPPORTED}`);
  });

  it('compileJsonPath throws the refusal, for paths that should have been validated', () => {
    assert.throws(() => compileJsonPath('$..a'), /does not parse: not a JSONPath this tool understands: "\$\.\.a"/);
  });
});

describe('evaluateJsonPath', () => {
  it('reads names, quoted keys and indexes', () => {
    assert.deepEqual(read('$', order), { found: true, value: order });
    assert.deepEqual(read('$.id', order), { found: true, value: 7 });
    assert.deepEqual(read("$['first name']", order), { found: true, value: 'Ada' });
    assert.deepEqual(read("$.it['\\'s']", order), { found: true, value: 1 });
    assert.deepEqual(read('$.it["a\\"b"]', order), { found: true, value: 2 });
    assert.deepEqual(read('$.it["back\\\\slash"]', order), { found: true, value: 3 });
    assert.deepEqual(read('$.dash-ed', order), { found: true, value: true });
    assert.deepEqual(read('$.$ref', order), { found: true, value: 'r' });
    assert.deepEqual(read('$.items[0].id', order), { found: true, value: 'a' });
    assert.deepEqual(read('$.items[-1]', order), { found: true, value: { other: 1 } });
    assert.deepEqual(read('$.items[-3].id', order), { found: true, value: 'a' });
    assert.deepEqual(read('$[1]', ['x', 'y']), { found: true, value: 'y' });
  });

  it('finds JSON null and objects as values', () => {
    assert.deepEqual(read('$.nothing', order), { found: true, value: null });
    assert.deepEqual(read('$.items[1]', order), { found: true, value: { id: 'b', tag: null } });
  });

  it('finds nothing for a missing key, an index out of range or a step into the wrong kind of value', () => {
    for (const path of ['$.missing', '$.id.deeper', '$.items[3]', '$.items[-4]', '$.items.id', '$.it[0]', "$.items['0']", '$.nothing.x', '$.empty[0]', '$.constructor', '$.items.length']) {
      assert.deepEqual(read(path, order), { found: false }, path);
    }
    assert.deepEqual(read('$.a', 'text'), { found: false });
  });

  it('gives a wildcard path every value it finds, as a list', () => {
    assert.deepEqual(read('$.items[*].id', order), { found: true, value: ['a', 'b'] });
    assert.deepEqual(read('$.items[*]', order), { found: true, value: order.items });
    assert.deepEqual(read('$.it.*', order), { found: true, value: [1, 2, 3] });
    assert.deepEqual(read('$.items.*.id', order), { found: true, value: ['a', 'b'] });
    assert.deepEqual(read('$.items[*].tag', order), { found: true, value: [null] });
    assert.deepEqual(read('$[*][*]', [[1, 2], [3], 4]), { found: true, value: [1, 2, 3] });
    assert.deepEqual(read('$.items[*]', { items: ['only'] }), { found: true, value: ['only'] });
  });

  it('finds nothing when a wildcard path finds no value', () => {
    for (const path of ['$.empty[*]', '$.items[*].missing', '$.id[*]', '$.nothing.*']) assert.deepEqual(read(path, order), { found: false }, path);
  });

  it('finds exactly obj.k1.k2, written $.k1.k2 or with quoted keys', () => {
    const identifier = fc.stringMatching(/^[A-Za-z_$][A-Za-z0-9_$-]{0,6}$/);
    const anyKey = fc.string({ maxLength: 6 });
    // The second level mixes objects with values a key cannot read (arrays, text, null).
    const notObject = fc.oneof(fc.array(fc.integer(), { maxLength: 3 }), fc.string(), fc.constant(null));
    const nested = (key: fc.Arbitrary<string>) => fc.dictionary(key, fc.oneof(fc.dictionary(key, fc.jsonValue({ maxDepth: 2 })), notObject), { maxKeys: 5 });
    const quoted = (key: string) => `['${key.replaceAll('\\', '\\\\').replaceAll("'", "\\'")}']`;
    const caseOf = (key: fc.Arbitrary<string>, write: (k1: string, k2: string) => string) =>
      fc.record({ obj: nested(key), k1: key, k2: key, pickK1: fc.boolean(), pickK2: fc.boolean() }).map(({ obj, k1, k2, pickK1, pickK2 }) => {
        const first = pickK1 ? (Object.keys(obj)[0] ?? k1) : k1;
        const inner = Object.hasOwn(obj, first) ? obj[first] : undefined;
        const innerKeys = isRecord(inner) ? Object.keys(inner) : [];
        const second = pickK2 ? (innerKeys[0] ?? k2) : k2;
        return { obj, k1: first, k2: second, path: write(first, second) };
      });
    const cases = fc.oneof(
      caseOf(identifier, (k1, k2) => `$.${k1}.${k2}`),
      caseOf(anyKey, (k1, k2) => `$${quoted(k1)}${quoted(k2)}`),
    );
    fc.assert(
      fc.property(cases, ({ obj, k1, k2, path }) => {
        const inner = Object.hasOwn(obj, k1) ? obj[k1] : undefined;
        const result = read(path, obj);
        if (isRecord(inner) && Object.hasOwn(inner, k2)) assert.ok(result.found && result.value === inner[k2], path);
        else assert.deepEqual(result, { found: false }, path);
      }),
    );
  });
});
