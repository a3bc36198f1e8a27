import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Ajv2020 } from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { request } from 'undici';
import { createTestBody, HTTP_URL_PATTERN, openApiDocument, testDetailView } from '../../src/api/index.js';
import { eventually, getJson, postJson, startOrchestratorProcess, stopAllChildren } from '../helpers/processes.js';

/** fast-check generates from a pattern without lookahead; in JavaScript the one at the end asserts nothing more. */
const URL_SHAPE = new RegExp(HTTP_URL_PATTERN.source.replace(/\(\?!\\n\)$/, ''));

type Document = { components: { schemas: Record<string, object> }; paths: Record<string, Record<string, { responses: Record<string, unknown> }>> };

/** The create-test body schema as a schema-driven client reads it from the OpenAPI document. */
function documentedBodyCheck(document: Document): (body: unknown) => boolean {
  // strict: false lets the document's annotations (x-enum-descriptions) through; they assert nothing.
  const validate = new Ajv2020({ strict: false }).compile(document.components.schemas.CreateTest!);
  return (body) => validate(body);
}

const edgeNumbers = [0, 1, 2.5, -1, 0.0009, 0.001, 0.09, 0.1, 5e-324, 1e-300, 20, 1000, 100_000, 100_001, 3_600_000, 3_600_001, 86_400_000, 604_800, 604_801, 1e9, 1e9 + 1, 1e308, -1e308];
const anyValue = fc.oneof(
  fc.constantFrom(...edgeNumbers),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.integer(),
  fc.constantFrom('AVALANCHE', 'TSUNAMI', 'tsunami', ' TSUNAMI', '', '20', 'http://127.0.0.1:8080/ping', 'https://[::1]:8443/a?b=c', 'ftp://127.0.0.1/x', 'not a url', 'http://a b', 'http://1.2.3.999/', null, true, false),
  fc.string(),
  fc.array(fc.oneof(fc.string({ maxLength: 3 }), fc.integer()), { maxLength: 3 }),
);
/** Mostly a plausible value, now and then anything at all, so both answers come up often. */
const mostly = <T>(plausible: fc.Arbitrary<T>) => fc.oneof({ weight: 8, arbitrary: plausible }, { weight: 1, arbitrary: anyValue });
const templatedText = fc
  .array(fc.oneof(fc.string({ maxLength: 5 }), fc.constantFrom('{{seq}}', '{{uuid}}', '{{random_int:9:1}}', '{{random_int:1:9}}', '{{ seq }}', '{{nope}}', '{{', '{', '}}', '\r\n', '{"a":1}')), { maxLength: 4 })
  .map((parts) => parts.join(''));
const requestEntry = fc.record(
  {
    name: mostly(fc.constantFrom('login', 'login', 'list', ' padded ', '')),
    method: mostly(fc.constantFrom('GET', 'POST', 'post', 'HEAD', 'TRACE')),
    url: mostly(fc.tuple(fc.stringMatching(URL_SHAPE), templatedText).map(([url, tail]) => (url.includes('?') ? url : `${url}/${tail}`))),
    headers: mostly(fc.dictionary(fc.constantFrom('authorization', 'x-id', 'bad header', ''), templatedText, { maxKeys: 2 })),
    body: mostly(templatedText),
    allow_body: mostly(fc.boolean()),
    weight: mostly(fc.integer({ min: 0, max: 3 })),
    expect_status: mostly(fc.array(fc.constantFrom(200, 201, 99, 600, 2.5), { minLength: 0, maxLength: 2 })),
  },
  { requiredKeys: ['url'] },
);
const plausibleBody = fc
  .tuple(
    fc.record(
      {
        test_type: mostly(fc.constantFrom('AVALANCHE', 'TSUNAMI')),
        test_message_delay: mostly(fc.constantFrom(0, 10, 0.5)),
        message_count_per_driver: mostly(fc.integer({ min: 1, max: 1_000_000_000 })),
        target_url: mostly(fc.stringMatching(URL_SHAPE)),
        throughput_per_driver: mostly(fc.constantFrom(0, 100, 0.5)),
        timeout_ms: mostly(fc.integer({ min: 1, max: 3_600_000 })),
        concurrency: mostly(fc.integer({ min: 1, max: 100_000 })),
        warmup_count_per_driver: mostly(fc.integer({ min: 0, max: 1_000 })),
        max_duration_s: mostly(fc.double({ min: 0.1, max: 604_800, noNaN: true })),
        drivers: mostly(fc.oneof(fc.integer({ min: 1, max: 10 }), fc.array(fc.string({ minLength: 1, maxLength: 20 }), { minLength: 1, maxLength: 3 }))),
        trigger: mostly(fc.boolean()),
        tls_insecure: mostly(fc.boolean()),
      },
      { requiredKeys: ['test_type', 'message_count_per_driver'] },
    ),
    fc.oneof({ weight: 9, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: anyValue }),
    fc.boolean(),
    fc.option(fc.array(requestEntry, { minLength: 1, maxLength: 3 }), { freq: 2 }),
  )
  .map(([body, surprise, followModelRule, requests]) => {
    // Half the time the delay suits the model, as a client that read the rule would send it.
    const delay = followModelRule ? { test_message_delay: body.test_type === 'AVALANCHE' ? 0 : 10 } : {};
    // Half the time a mix of requests instead of target_url (given both, the body is refused).
    const { target_url: targetUrl, ...rest } = body;
    const target = requests === null ? { target_url: targetUrl } : { requests, ...(followModelRule ? {} : { target_url: targetUrl }) };
    return { ...rest, ...target, ...delay, ...(surprise === null ? {} : { surprise }) };
  });
/** As the bytes of a request would carry it (no undefined, no -0, no NaN). */
const jsonBody = fc.oneof({ weight: 9, arbitrary: plausibleBody }, { weight: 1, arbitrary: fc.jsonValue() }).map((body) => JSON.parse(JSON.stringify(body)) as unknown);

describe('the OpenAPI document states exactly what the API accepts', () => {
  const document = openApiDocument() as Document;
  const documented = documentedBodyCheck(document);

  it('the create-test body schema accepts and refuses the same bodies as the route’s zod schema (10,000 bodies)', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(jsonBody, (body) => {
        const valid = createTestBody.safeParse(body).success;
        if (valid) accepted += 1;
        else refused += 1;
        assert.equal(documented(body), valid, `document and route disagree on ${JSON.stringify(body)}`);
      }),
      { numRuns: 10_000 },
    );
    assert.ok(accepted > 1_000 && refused > 1_000, `${accepted} accepted and ${refused} refused bodies: too few of one kind for the comparison to say much`);
  });

  it('every string the target_url pattern matches is a URL the driver’s parser takes', () => {
    fc.assert(
      fc.property(fc.stringMatching(URL_SHAPE), (url) => {
        assert.ok(URL.canParse(url), url);
        assert.match(new URL(url).protocol, /^https?:$/);
      }),
      { numRuns: 5_000 },
    );
  });

  it('documents 414 for overlong ids, 400 for a bad format, 415 and 413 for bodies, 401 where the token applies', () => {
    const statuses = (path: string, method: string) => Object.keys(document.paths[path]?.[method]?.responses ?? {});
    for (const [path, method] of [['/api/tests/{test_id}', 'get'], ['/api/tests/{test_id}/report', 'get'], ['/api/tests/{test_id}/trigger', 'post'], ['/api/drivers/{node_id}', 'delete']] as const) {
      assert.ok(statuses(path, method).includes('414'), `${method} ${path}`);
    }
    assert.ok(statuses('/api/tests/{test_id}/report', 'get').includes('400'));
    for (const path of ['/api/tests', '/api/tests/{test_id}/trigger', '/api/tests/{test_id}/cancel']) {
      for (const status of ['400', '401', '409', '413', '415']) assert.ok(statuses(path, 'post').includes(status), `post ${path} ${status}`);
    }
  });
});

describe('the orchestrator answers as its OpenAPI document says (orchestrator process, no driver)', () => {
  let url: string;
  before(async () => {
    ({ url } = await startOrchestratorProcess());
  });
  after(() => stopAllChildren());

  it('serves the document it is built from', async () => {
    assert.deepEqual(await getJson(`${url}/openapi.json`), JSON.parse(JSON.stringify(openApiDocument())));
  });

  it('answers 400 to every body the document refuses and 409 (no driver to run it) to every one it accepts', async () => {
    const documented = documentedBodyCheck(await getJson<Document>(`${url}/openapi.json`));
    const bodies = fc.sample(jsonBody, { numRuns: 200, seed: 20261202 });
    const answered = new Map<number, number>();
    for (const body of bodies) {
      const response = await postJson<{ field?: string }>(`${url}/api/tests`, body);
      assert.equal(response.status, documented(body) ? 409 : 400, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      answered.set(response.status, (answered.get(response.status) ?? 0) + 1);
    }
    assert.ok((answered.get(409) ?? 0) >= 20 && (answered.get(400) ?? 0) >= 20, `both answers come up: ${JSON.stringify([...answered])}`);
  });

  it('refuses numbers that make no sense with 400 naming the field', async () => {
    const valid = { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 10 };
    const cases: [Record<string, unknown>, string][] = [
      [{ ...valid, max_duration_s: 5e-324 }, 'max_duration_s'],
      [{ ...valid, max_duration_s: 1e308 }, 'max_duration_s'],
      [{ ...valid, message_count_per_driver: 1e15 }, 'message_count_per_driver'],
      [{ ...valid, test_message_delay: 1e-300 }, 'test_message_delay'],
      [{ ...valid, throughput_per_driver: 5e-324 }, 'throughput_per_driver'],
      [{ ...valid, concurrency: 1e9 }, 'concurrency'],
      [{ ...valid, timeout_ms: 1e12 }, 'timeout_ms'],
      [{ ...valid, drivers: 1e6 }, 'drivers'],
    ];
    for (const [body, field] of cases) {
      const response = await postJson<{ field: string; message: string }>(`${url}/api/tests`, body);
      assert.equal(response.status, 400, JSON.stringify(body));
      assert.equal(response.body.field, field, JSON.stringify(response.body));
      assert.match(response.body.message, new RegExp(`^${field}: `));
    }
  });

  it('answers the documented statuses: 414 for an overlong id, 400 for a bad format or path, 415, 405 with Allow', async () => {
    const longId = 'x'.repeat(201);
    const tooLongToRoute = 'x'.repeat(3_000);
    for (const [method, path] of [['GET', `/api/tests/${longId}`], ['POST', `/api/tests/${longId}/cancel`], ['DELETE', `/api/drivers/${longId}`], ['GET', `/api/tests/${'é'.repeat(201)}`], ['GET', `/api/tests/${tooLongToRoute}/report`]] as const) {
      const response = await request(`${url}${encodeURI(path)}`, { method });
      assert.equal(response.statusCode, 414, `${method} ${path.slice(0, 40)}…`);
      await response.body.dump();
    }
    const longest = await request(`${url}/api/tests/${encodeURIComponent('😀'.repeat(100))}`);
    assert.equal(longest.statusCode, 404, 'an id of 200 characters (as UTF-16 units) is routed');
    await longest.body.dump();

    const badEncoding = await request(`${url}/api/tests/%ZZ`);
    assert.equal(badEncoding.statusCode, 400);
    assert.deepEqual(Object.keys((await badEncoding.body.json()) as object).sort(), ['error', 'message'], 'the same error body as every other 400');

    const format = await request(`${url}/api/tests/nope/report?format=xml`);
    assert.equal(format.statusCode, 400);
    assert.equal(((await format.body.json()) as { field: string }).field, 'format');

    const xml = await request(`${url}/api/tests`, { method: 'POST', headers: { 'content-type': 'application/xml' }, body: '<test/>' });
    assert.equal(xml.statusCode, 415);
    await xml.body.dump();

    const trace = await request(`${url}/api/tests/nope`, { method: 'PUT' });
    assert.equal(trace.statusCode, 405);
    assert.equal(trace.headers.allow, 'GET, HEAD, PATCH');
    await trace.body.dump();
  });

  it('shows a created test in the shape its view schema states', async () => {
    // A driver that is only a heartbeat: the test is created but never triggered, so nothing is sent.
    const { connectTestBus } = await import('../helpers/kafka.js');
    const { TOPICS } = await import('../../src/protocol/index.js');
    const bus = await connectTestBus('contract-test');
    try {
      const nodeId = `contract-${Date.now()}`;
      await bus.publish(TOPICS.heartbeat, { node_id: nodeId, heartbeat: 'YES', timestamp: new Date().toISOString() });
      await eventually(() => getJson<{ node_id: string; status: string }[]>(`${url}/api/drivers`), (list) => list.some((d) => d.node_id === nodeId && d.status === 'alive'), 5_000, 'the driver alive');
      const created = await postJson<unknown>(`${url}/api/tests`, { test_type: 'AVALANCHE', message_count_per_driver: 5, target_url: 'http://127.0.0.1:9/ping', drivers: [nodeId], max_duration_s: 0.1 });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const view = testDetailView.strict().parse(created.body);
      assert.deepEqual(view.config, { test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 5, target_url: 'http://127.0.0.1:9/ping', throughput_per_driver: null, timeout_ms: null, concurrency: null, pipelining: null, warmup_count_per_driver: null, max_duration_s: 0.1, requests: null, tls_insecure: false, stages: null, start_rps: null, duration_s: null, warmup_s: null, scenarios: null, data: null, planned_duration_s: null });
      await postJson(`${url}/api/tests/${view.test_id}/cancel`, {});
    } finally {
      await bus.close();
    }
  });
});
