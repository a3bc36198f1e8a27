import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { captureAll } from '../../../src/driver/flows/captures.js';
import { compileFlow } from '../../../src/driver/flows/compiledFlow.js';
import { VuCookieJar } from '../../../src/driver/flows/cookieJar.js';
import { FLOW_BODY_LIMIT_BYTES } from '../../../src/driver/requestOutcome.js';
import { HttpClient } from '../../../src/driver/http1/httpClient.js';
import type { PreparedRequest } from '../../../src/driver/requests/requestIterator.js';
import { freePort } from '../../helpers/recordingServer.js';

const TIMEOUT_MS = 300;
const BIG_BODY_BYTES = 3 * FLOW_BODY_LIMIT_BYTES + 17;

function get(path: string, extra: Partial<PreparedRequest> = {}): PreparedRequest {
  return { index: 0, originIndex: 0, path, method: 'GET', headers: undefined, body: undefined, expect: undefined, ...extra };
}

function answer(req: IncomingMessage, res: ServerResponse): void {
  const url = new URL(req.url ?? '/', 'http://target');
  switch (url.pathname) {
    case '/login':
      res.setHeader('Set-Cookie', ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
      res.setHeader('X-Request-Id', 'r-42');
      res.setHeader('Content-Type', 'application/json');
      res.end('{"token":"t-1","ok":true}');
      return;
    case '/one-cookie':
      res.setHeader('Set-Cookie', 'only=1; Path=/');
      res.end('one');
      return;
    case '/echo-cookie':
      res.end(req.headers.cookie ?? '(none)');
      return;
    case '/big':
      res.setHeader('Content-Length', BIG_BODY_BYTES);
      res.end(Buffer.alloc(BIG_BODY_BYTES, 'x'));
      return;
    case '/exact':
      res.end(Buffer.alloc(Number(url.searchParams.get('n')), 'y'));
      return;
    case '/chunked': {
      // No Content-Length: node sends Transfer-Encoding: chunked, one chunk per write.
      const parts = ['alpha,', 'béta,', 'gamma'];
      const writeNext = (): void => {
        const part = parts.shift();
        if (part === undefined) res.end();
        else res.write(part, () => setTimeout(writeNext, 5));
      };
      writeNext();
      return;
    }
    case '/missing':
      res.statusCode = 404;
      res.statusMessage = 'Not Found';
      res.setHeader('X-Reason', 'no such item');
      res.end('item 7 not found');
      return;
    case '/never':
      return; // holds the request until the client gives up
    default:
      res.end('ok');
  }
}

describe('HttpClient.sendCapturing', () => {
  let server: Server;
  let client: HttpClient;
  let origin: string;

  before(async () => {
    server = createServer(answer);
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    client = new HttpClient([origin], { connections: 4, timeoutMs: TIMEOUT_MS });
  });

  after(async () => {
    await client.destroy();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('captures lower-cased headers, several Set-Cookie as an array, and the body', async () => {
    const outcome = await client.sendCapturing(get('/login'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.status, 200);
    assert.deepEqual(outcome.headers['set-cookie'], ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
    assert.equal(outcome.headers['x-request-id'], 'r-42');
    assert.equal(outcome.headers['content-type'], 'application/json');
    assert.equal(outcome.headers['X-Request-Id'], undefined);
    assert.equal(outcome.body, '{"token":"t-1","ok":true}');
    assert.equal(outcome.bytes, Buffer.byteLength(outcome.body));
    assert.equal(outcome.bodyTruncated, false);
    assert.equal(outcome.errorKind, undefined);
  });

  it('gives a single Set-Cookie as a string', async () => {
    const outcome = await client.sendCapturing(get('/one-cookie'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.headers['set-cookie'], 'only=1; Path=/');
  });

  it('carries a VU cookie jar round trip', async () => {
    const jar = new VuCookieJar();
    const login = await client.sendCapturing(get('/login'), FLOW_BODY_LIMIT_BYTES);
    jar.store(`${origin}/login`, login.headers['set-cookie']);
    const cookie = jar.cookieHeader(`${origin}/echo-cookie`);
    assert.equal(cookie, 'session=abc; theme=dark');
    const echo = await client.sendCapturing(get('/echo-cookie', { headers: ['cookie', cookie!] }), FLOW_BODY_LIMIT_BYTES);
    assert.equal(echo.body, 'session=abc; theme=dark');
    const other = await client.sendCapturing(get('/echo-cookie'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(other.body, '(none)');
  });

  it("keeps only the headers a compiled step reads: set-cookie for the VU's jar and its header captures", async () => {
    const capture = { id: { header: 'X-Request-ID' }, token: { json: '$.token' } };
    const [step] = compileFlow([{ name: 'login', method: 'GET', url: `${origin}/login`, capture }], { stepNames: ['login'], groupNames: [], origins: [origin] });
    assert.ok(step?.kind === 'request');
    const outcome = await client.sendCapturing(step.template.fixed!, FLOW_BODY_LIMIT_BYTES, step.keptHeaders);
    assert.deepEqual({ ...outcome.headers }, { 'set-cookie': ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/'], 'x-request-id': 'r-42' });
    const response = { status: outcome.status, headers: outcome.headers, body: outcome.body, bodyTruncated: outcome.bodyTruncated, durationMs: 1 };
    assert.deepEqual(captureAll(capture, response, false), { values: { id: 'r-42', token: 't-1' }, missing: [] });
    const jar = new VuCookieJar();
    jar.store(`${origin}/login`, outcome.headers['set-cookie']);
    assert.equal(jar.cookieHeader(`${origin}/echo-cookie`), 'session=abc; theme=dark');
  });

  it('keeps only the first bodyLimit bytes of a larger body and counts them all', async () => {
    const outcome = await client.sendCapturing(get('/big'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.bytes, BIG_BODY_BYTES);
    assert.equal(outcome.body.length, FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.body, 'x'.repeat(FLOW_BODY_LIMIT_BYTES));
    assert.equal(outcome.bodyTruncated, true);

    const small = await client.sendCapturing(get('/big'), 10);
    assert.equal(small.body, 'x'.repeat(10));
    assert.equal(small.bytes, BIG_BODY_BYTES);
    assert.equal(small.bodyTruncated, true);

    const none = await client.sendCapturing(get('/big'), 0);
    assert.equal(none.body, '');
    assert.equal(none.bodyTruncated, true);
  });

  it('is not truncated when the body is exactly the limit', async () => {
    const outcome = await client.sendCapturing(get('/exact?n=1000'), 1000);
    assert.equal(outcome.body, 'y'.repeat(1000));
    assert.equal(outcome.bodyTruncated, false);
    const over = await client.sendCapturing(get('/exact?n=1001'), 1000);
    assert.equal(over.body, 'y'.repeat(1000));
    assert.equal(over.bytes, 1001);
    assert.equal(over.bodyTruncated, true);
  });

  it('joins a chunked body, multi-byte characters included', async () => {
    const outcome = await client.sendCapturing(get('/chunked'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.ok, true);
    assert.equal(outcome.headers['transfer-encoding'], 'chunked');
    assert.equal(outcome.body, 'alpha,béta,gamma');
    assert.equal(outcome.bytes, Buffer.byteLength('alpha,béta,gamma'));
    assert.equal(outcome.bodyTruncated, false);
  });

  it('keeps headers and body when the status fails the check', async () => {
    const outcome = await client.sendCapturing(get('/missing'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.status, 404);
    assert.equal(outcome.errorKind, 'http_404');
    assert.equal(outcome.errorMessage, '404 Not Found');
    assert.equal(outcome.headers['x-reason'], 'no such item');
    assert.equal(outcome.body, 'item 7 not found');

    const expected = await client.sendCapturing(get('/missing', { expect: new Set([404]) }), FLOW_BODY_LIMIT_BYTES);
    assert.equal(expected.ok, true);
    assert.equal(expected.errorKind, undefined);
    const unexpected = await client.sendCapturing(get('/login', { expect: new Set([201]) }), FLOW_BODY_LIMIT_BYTES);
    assert.equal(unexpected.ok, false);
    assert.equal(unexpected.errorKind, 'http_200');
    assert.deepEqual(unexpected.headers['set-cookie'], ['session=abc; Path=/; HttpOnly', 'theme=dark; Path=/']);
    assert.equal(unexpected.body, '{"token":"t-1","ok":true}');
  });

  it('times out like send, with nothing captured', async () => {
    const started = performance.now();
    const outcome = await client.sendCapturing(get('/never'), FLOW_BODY_LIMIT_BYTES);
    const ms = performance.now() - started;
    assert.equal(outcome.ok, false);
    assert.equal(outcome.status, 0);
    assert.equal(outcome.errorKind, 'timeout');
    assert.deepEqual(outcome.headers, {});
    assert.equal(outcome.body, '');
    assert.equal(outcome.bodyTruncated, false);
    assert.ok(ms >= TIMEOUT_MS - 20 && ms < TIMEOUT_MS + 1_000, `took ${ms} ms`);
    // The pool is still good for the next request.
    assert.equal((await client.sendCapturing(get('/'), FLOW_BODY_LIMIT_BYTES)).body, 'ok');
  });

  it('reports a refused connection', async () => {
    const closed = new HttpClient([`http://127.0.0.1:${await freePort()}`], { connections: 1, timeoutMs: 2_000 });
    try {
      const outcome = await closed.sendCapturing(get('/'), FLOW_BODY_LIMIT_BYTES);
      assert.equal(outcome.ok, false);
      assert.equal(outcome.status, 0);
      assert.equal(outcome.errorKind, 'connection_refused');
      assert.match(outcome.errorMessage ?? '', /ECONNREFUSED/);
      assert.deepEqual(outcome.headers, {});
      assert.equal(outcome.body, '');
    } finally {
      await closed.destroy();
    }
  });

  it('leaves send as it was: no headers, no body', async () => {
    const outcome = await client.send(get('/login'));
    assert.deepEqual(outcome, { ok: true, status: 200, bytes: Buffer.byteLength('{"token":"t-1","ok":true}') });
  });
});
