import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { HttpClient } from '../../src/driver/http1/httpClient.js';
import { RequestIterator, RequestSequence } from '../../src/driver/requests/requestIterator.js';
import { compileTemplate, asIs } from '../../src/driver/requests/templates.js';
import { WeightedMix } from '../../src/driver/requests/weightedMix.js';
import { requestList, type RequestSpec } from '../../src/protocol/index.js';
import { startRequestLogServer, type RequestLogServer } from '../helpers/requestLogServer.js';
import { selfSignedCertificate } from '../helpers/selfSignedCertificate.js';

const context = { seq: 7, driverId: 'driver a/b', testId: 'test-1' };

function specs(input: unknown[]): RequestSpec[] {
  return requestList.parse(input);
}

function iterate(input: unknown[]): RequestIterator {
  return new RequestIterator(specs(input), { driverId: context.driverId, testId: context.testId, sequence: new RequestSequence() });
}

describe('templates', () => {
  it('fills seq, driver_id, test_id and keeps literals', () => {
    assert.equal(compileTemplate('u{{seq}}-{{driver_id}}-{{ test_id }}!', asIs)(context), 'u7-driver a/b-test-1!');
  });

  it('percent-encodes values where asked (URLs)', () => {
    assert.equal(compileTemplate('/d/{{driver_id}}', encodeURIComponent)(context), '/d/driver%20a%2Fb');
  });

  it('makes a new uuid each time, a random_int within its bounds, and now_ms as epoch milliseconds', () => {
    const uuid = compileTemplate('{{uuid}}', asIs);
    const uuids = new Set(Array.from({ length: 1000 }, () => uuid(context)));
    assert.equal(uuids.size, 1000);
    for (const id of uuids) assert.match(id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const dice = compileTemplate('{{random_int:-2:3}}', asIs);
    const rolls = new Set(Array.from({ length: 2000 }, () => Number(dice(context))));
    assert.deepEqual([...rolls].sort((a, b) => a - b), [-2, -1, 0, 1, 2, 3]);
    const before = Date.now();
    const now = Number(compileTemplate('{{now_ms}}', asIs)(context));
    assert.ok(now >= before && now <= Date.now());
  });
});

describe('the requests schema', () => {
  const problem = (input: unknown[]) => {
    const result = requestList.safeParse(input);
    assert.equal(result.success, false, `accepted ${JSON.stringify(input)}`);
    return result.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ');
  };
  const url = 'http://127.0.0.1:8080/ping';

  it('defaults method GET, weight 1 and names a request METHOD path', () => {
    const [request] = specs([{ url: `${url}?q={{seq}}` }]);
    assert.equal(request!.method, 'GET');
    assert.equal(request!.weight, 1);
  });

  it('names the field at fault', () => {
    assert.match(problem([{ url }, { url, method: 'FETCH' }]), /^1\.method: must be one of GET/);
    assert.match(problem([{ url: 'ftp://x/' }]), /^0\.url: must be an http\(s\) URL/);
    assert.match(problem([{ url: 'http://{{driver_id}}.local/' }]), /^0\.url: .*no template/);
    assert.match(problem([{ url, headers: { 'bad name': 'x' } }]), /^0\.headers\.bad name: is not a valid header name/);
    assert.match(problem([{ url, headers: { ok: 'a\r\nInjected: 1' } }]), /^0\.headers\.ok: must not contain CR, LF or NUL/);
    assert.match(problem([{ url, weight: 0 }]), /^0\.weight: must be >= 1/);
    assert.match(problem([{ url, body: 'x' }]), /^0\.body: a GET request has no body unless allow_body is true/);
    assert.match(problem([{ url, method: 'POST', body: '{{nope}}' }]), /^0\.body: \{\{nope\}\}: unknown template/);
    assert.match(problem([{ url, method: 'POST', body: '{{random_int:5:1}}' }]), /A <= B/);
    assert.match(problem([{ url, expect_status: [700] }]), /^0\.expect_status\.0: must be an HTTP status/);
    assert.match(problem([{ url }, { url }]), /^1\.name: "GET \/ping" is also the name of requests\[0\]/);
    assert.match(problem([]), /must name at least one request/);
    assert.match(problem([{ url, extra: 1 }]), /Unrecognized key/);
  });

  it('accepts a body on GET with allow_body', () => {
    assert.equal(specs([{ url, body: 'x', allow_body: true }]).length, 1);
  });
});

describe('WeightedMix', () => {
  it('gives each index exactly its share over a whole cycle, spread out', () => {
    const mix = new WeightedMix([1, 3]);
    const picks = Array.from({ length: 8 }, () => mix.next());
    assert.deepEqual(picks, [1, 0, 1, 1, 1, 0, 1, 1]);
  });

  it('is exact for every prefix to within one request per index', () => {
    const weights = [1, 2, 1, 5];
    const total = 9;
    const mix = new WeightedMix(weights);
    const counts = weights.map(() => 0);
    for (let n = 1; n <= 900; n++) {
      counts[mix.next()]! += 1;
      weights.forEach((w, i) => assert.ok(Math.abs(counts[i]! - (n * w) / total) < 1, `after ${n}: ${counts.join(',')}`));
    }
  });
});

describe('RequestIterator', () => {
  it('reuses one prepared object for a request without templates', () => {
    const requests = iterate([{ url: 'http://127.0.0.1:1/a', headers: { 'x-a': 'b' } }]);
    assert.equal(requests.next(), requests.next());
  });

  it('renders templates per request with seq counting from 1, and keeps one pool per origin', () => {
    const requests = iterate([
      { name: 'a', method: 'POST', url: 'http://127.0.0.1:1/u/{{seq}}', body: '{"id":"{{seq}}","d":"{{driver_id}}"}', headers: { authorization: 'Bearer {{test_id}}' } },
      { name: 'b', url: 'http://127.0.0.1:2/b?x={{seq}}' },
      { name: 'c', url: 'http://127.0.0.1:1/c' },
    ]);
    assert.deepEqual(requests.origins, ['http://127.0.0.1:1', 'http://127.0.0.1:2']);
    const [first, second, third] = [requests.next(), requests.next(), requests.next()];
    assert.deepEqual({ ...first, body: first.body?.toString() }, { index: 0, originIndex: 0, path: '/u/1', method: 'POST', headers: ['authorization', 'Bearer test-1'], body: '{"id":"1","d":"driver a/b"}', expect: undefined });
    assert.deepEqual([second.index, second.originIndex, second.path], [1, 1, '/b?x=2']);
    assert.deepEqual([third.index, third.originIndex, third.path], [2, 0, '/c']);
  });
});

describe('HttpClient with prepared requests', () => {
  let plain: RequestLogServer;
  let secure: RequestLogServer;
  let certFile: string;
  before(async () => {
    plain = await startRequestLogServer();
    const certificate = selfSignedCertificate();
    certFile = certificate.certFile;
    secure = await startRequestLogServer(certificate);
  });
  after(async () => {
    await plain.close();
    await secure.close();
  });

  const sendAll = async (requests: RequestIterator, count: number, tls?: { insecure: boolean; ca?: string }) => {
    const client = new HttpClient(requests.origins, { connections: 4, timeoutMs: 5_000, tls });
    try {
      return await Promise.all(Array.from({ length: count }, () => client.send(requests.next())));
    } finally {
      await client.destroy();
    }
  };

  it('sends method, headers and body as given, and counts expect_status as success', async () => {
    const requests = iterate([
      { name: 'login', method: 'POST', url: `${plain.origin}/login`, headers: { 'content-type': 'application/json', 'x-user': 'u{{seq}}' }, body: '{"seq":{{seq}}}' },
      { name: 'gone', url: `${plain.origin}/status/404`, expect_status: [404] },
    ]);
    const outcomes = await sendAll(requests, 4);
    assert.deepEqual(outcomes.map((o) => [o.ok, o.status, o.bytes]), [[true, 200, 2], [true, 404, 2], [true, 200, 2], [true, 404, 2]]);
    const logins = plain.requests.filter((r) => r.url === '/login').sort((a, b) => a.body.localeCompare(b.body));
    assert.deepEqual(logins.map((r) => [r.method, r.headers['content-type'], r.headers['x-user'], r.body]), [['POST', 'application/json', 'u1', '{"seq":1}'], ['POST', 'application/json', 'u3', '{"seq":3}']]);
  });

  it('refuses a self-signed certificate as error kind tls, accepts it with tls_insecure or the CA', async () => {
    const url = `${secure.origin}/ping`;
    const [refused] = await sendAll(iterate([{ url }]), 1);
    assert.equal(refused!.errorKind, 'tls', JSON.stringify(refused));
    assert.match(refused!.errorMessage ?? '', /self[- ]signed/i);
    const [insecure] = await sendAll(iterate([{ url }]), 1, { insecure: true });
    assert.deepEqual([insecure!.ok, insecure!.status], [true, 200]);
    const [trusted] = await sendAll(iterate([{ url }]), 1, { insecure: false, ca: readFileSync(certFile, 'utf8') });
    assert.deepEqual([trusted!.ok, trusted!.status], [true, 200]);
  });
});
