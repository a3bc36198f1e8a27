import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { RequestEncoder, RequestEncodingError } from '../../../src/driver/http1/requestEncoder.js';
import type { PreparedRequest } from '../../../src/driver/requests/requestIterator.js';
import { RequestIterator, RequestSequence } from '../../../src/driver/requests/requestIterator.js';

function request(extra: Partial<PreparedRequest> = {}): PreparedRequest {
  return { index: 0, originIndex: 0, path: '/ping', method: 'GET', headers: undefined, body: undefined, expect: undefined, ...extra };
}

const encoder = new RequestEncoder('127.0.0.1:8080');

function encoded(extra: Partial<PreparedRequest> = {}): string {
  return encoder.encode(request(extra)).toString('latin1');
}

describe('RequestEncoder', () => {
  it('encodes a GET as request line, host, keep-alive and the empty line', () => {
    assert.equal(encoded(), 'GET /ping HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nconnection: keep-alive\r\n\r\n');
  });

  it("writes the request's headers in order after host and connection", () => {
    assert.equal(encoded({ path: '/a?b=c', headers: ['Accept', 'application/json', 'X-Id', '7'] }), 'GET /a?b=c HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nconnection: keep-alive\r\nAccept: application/json\r\nX-Id: 7\r\n\r\n');
  });

  it("counts a string body's UTF-8 bytes and writes head and body as one buffer", () => {
    const body = '{"name":"Zoë ☃"}';
    const bytes = encoder.encode(request({ method: 'POST', headers: ['content-type', 'application/json'], body }));
    const expectedHead = `POST /ping HTTP/1.1\r\nhost: 127.0.0.1:8080\r\nconnection: keep-alive\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n`;
    assert.deepEqual(bytes, Buffer.concat([Buffer.from(expectedHead, 'latin1'), Buffer.from(body, 'utf8')]));
  });

  it('copies a Buffer body as it is', () => {
    const body = Buffer.from([0, 1, 2, 255, 13, 10]);
    const bytes = encoder.encode(request({ method: 'PUT', body }));
    assert.deepEqual(bytes.subarray(bytes.length - body.length), body);
    assert.match(bytes.toString('latin1'), /\r\ncontent-length: 6\r\n\r\n/);
  });

  it('sends content-length: 0 for POST, PUT and PATCH without a body, and none for GET, HEAD or DELETE', () => {
    for (const method of ['POST', 'PUT', 'PATCH'] as const) assert.match(encoded({ method }), /\r\ncontent-length: 0\r\n\r\n$/, method);
    for (const method of ['GET', 'HEAD', 'DELETE', 'OPTIONS'] as const) assert.doesNotMatch(encoded({ method }), /content-length/i, method);
    assert.doesNotMatch(encoded({ method: 'GET', body: '' }), /content-length/i);
  });

  it("lets the request's host and connection replace the defaults, and sends the body's own length", () => {
    const text = encoded({ method: 'POST', headers: ['Host', 'example.com', 'Connection', 'close', 'Content-Length', '999'], body: 'abc' });
    assert.equal(text, 'POST /ping HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\ncontent-length: 3\r\n\r\nabc');
  });

  it('refuses what HTTP/1.1 cannot carry, naming it', () => {
    assert.throws(() => encoded({ headers: ['X-A', 'one\r\nX-Injected: 1'] }), (e: unknown) => e instanceof RequestEncodingError && /X-A/.test(e.message));
    assert.throws(() => encoded({ headers: ['X-A', 'snow ☃'] }), RequestEncodingError);
    assert.throws(() => encoded({ path: '/a b' }), (e: unknown) => e instanceof RequestEncodingError && /"\/a b"/.test(e.message));
    assert.throws(() => encoded({ headers: ['Transfer-Encoding', 'chunked'] }), RequestEncodingError);
    assert.throws(() => encoded({ headers: ['upgrade', 'websocket'] }), RequestEncodingError);
  });

  it('makes the bytes of a request without templates once, and a templated one anew per send', () => {
    const iterator = new RequestIterator(
      [
        { method: 'GET', url: 'http://127.0.0.1:8080/fixed', weight: 1 },
        { method: 'GET', url: 'http://127.0.0.1:8080/n/{{seq}}', weight: 1 },
      ],
      { driverId: 'd', testId: 't', sequence: new RequestSequence() },
    );
    const own = new RequestEncoder('127.0.0.1:8080');
    const sent = Array.from({ length: 4 }, () => iterator.next());
    const bytes = sent.map((r) => own.encode(r));
    const fixed = sent.filter((r) => r.path === '/fixed');
    assert.equal(fixed[0], fixed[1], 'the iterator no longer reuses a fixed request');
    assert.equal(own.encode(fixed[0]!), own.encode(fixed[1]!), 'a fixed request was encoded twice');
    assert.deepEqual(
      bytes.map((b) => b.toString('latin1').split('\r\n')[0]),
      sent.map((r) => `GET ${r.path} HTTP/1.1`),
    );
    assert.notEqual(bytes[1]!.toString(), bytes[3]!.toString());
  });

  it('gives every header back as a server reads it (property)', () => {
    const name = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,20}$/).filter((n) => !/^(host|connection|content-length|transfer-encoding|upgrade)$/i.test(n));
    const value = fc.stringMatching(/^[!-~\u00a0-\u00ff]([ -~\u00a0-\u00ff]{0,40}[!-~\u00a0-\u00ff])?$/);
    fc.assert(
      fc.property(fc.array(fc.tuple(name, value), { maxLength: 8 }), fc.option(fc.string({ maxLength: 50 }), { nil: undefined }), (headers, body) => {
        const bytes = encoder.encode(request({ method: 'POST', headers: headers.flat(), body }));
        const headEnd = bytes.indexOf('\r\n\r\n');
        const lines = bytes.toString('latin1', 0, headEnd).split('\r\n');
        const bodyLength = Buffer.byteLength(body ?? '');
        assert.deepEqual(lines, ['POST /ping HTTP/1.1', 'host: 127.0.0.1:8080', 'connection: keep-alive', ...headers.map(([n, v]) => `${n}: ${v}`), `content-length: ${bodyLength}`]);
        assert.equal(bytes.toString('utf8', headEnd + 4), body ?? '');
      }),
    );
  });
});
