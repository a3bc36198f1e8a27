import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import type { TLSSocket } from 'node:tls';
import { HttpClient } from '../../../src/driver/http1/httpClient.js';
import type { HttpClientOptions } from '../../../src/driver/requestOutcome.js';
import { FLOW_BODY_LIMIT_BYTES } from '../../../src/driver/requestOutcome.js';
import type { PreparedRequest } from '../../../src/driver/requests/requestIterator.js';
import { freePort } from '../../helpers/recordingServer.js';
import { selfSignedCertificate } from '../../helpers/selfSignedCertificate.js';

const TIMEOUT_MS = 200;

function get(path: string, extra: Partial<PreparedRequest> = {}): PreparedRequest {
  return { index: 0, originIndex: 0, path, method: 'GET', headers: undefined, body: undefined, expect: undefined, ...extra };
}

function client(origin: string, options: Partial<HttpClientOptions> = {}): HttpClient {
  return new HttpClient([origin], { connections: 4, timeoutMs: TIMEOUT_MS, ...options });
}

async function listen(server: Server | ReturnType<typeof createTcpServer>): Promise<string> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A node:http server that counts its connections and requests. */
async function startHttpServer(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ origin: string; server: Server; connections: () => number; requests: () => number; close: () => Promise<void> }> {
  let connections = 0;
  let requests = 0;
  const server = createHttpServer((req, res) => {
    requests++;
    answer(req, res);
  });
  server.on('connection', () => connections++);
  const origin = await listen(server);
  return {
    origin,
    server,
    connections: () => connections,
    requests: () => requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

type RawAnswer = (socket: Socket, nthOnConnection: number, head: string) => void;

/**
 * A TCP server that reads requests (head, then a Content-Length body) and lets `answer` write whatever
 * bytes it likes, or close: for what node:http will not do.
 */
async function startRawServer(answer: RawAnswer): Promise<{ origin: string; connections: () => number; requests: string[]; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const requests: string[] = [];
  const server = createTcpServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let pending = Buffer.alloc(0);
    let nth = 0;
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (;;) {
        const headEnd = pending.indexOf('\r\n\r\n');
        if (headEnd === -1) return;
        const head = pending.toString('latin1', 0, headEnd);
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1] ?? 0);
        if (pending.length < headEnd + 4 + length) return;
        pending = pending.subarray(headEnd + 4 + length);
        requests.push(head);
        answer(socket, ++nth, head);
      }
    });
  });
  let connections = 0;
  server.on('connection', () => connections++);
  const origin = await listen(server);
  return {
    origin,
    connections: () => connections,
    requests,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const OK_RESPONSE = 'HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok';

/** The servers run in this process: what they see lags what the client saw by a turn or two. */
async function waitUntil(condition: () => boolean, timeoutMs = 1_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > deadline) throw new Error(`not true within ${timeoutMs} ms: ${condition.toString()}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function timed<T>(work: () => Promise<T>): Promise<{ result: T; ms: number }> {
  const started = performance.now();
  const result = await work();
  return { result, ms: performance.now() - started };
}

describe('HttpClient: connections', () => {
  it('reuses keep-alive connections: sequential requests share one, concurrent ones at most `connections`', async () => {
    const server = await startHttpServer((_req, res) => res.end('pong'));
    const http = client(server.origin, { connections: 3 });
    try {
      for (let i = 0; i < 20; i++) assert.deepEqual(await http.send(get('/')), { ok: true, status: 200, bytes: 4 });
      assert.equal(server.connections(), 1);
      const outcomes = await Promise.all(Array.from({ length: 30 }, () => http.send(get('/'))));
      assert.ok(outcomes.every((o) => o.ok));
      assert.equal(server.connections(), 3);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('opens a new connection after a Connection: close response, and after an HTTP/1.0 one', async () => {
    const server = await startRawServer((socket, _nth, head) => {
      if (head.startsWith('GET /http10')) socket.end('HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok');
      else socket.write('HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok', () => socket.end());
    });
    const http = client(server.origin);
    try {
      for (const path of ['/a', '/b', '/http10', '/http10']) assert.deepEqual(await http.send(get(path)), { ok: true, status: 200, bytes: 2 });
      assert.equal(server.connections(), 4);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('reads a body that runs until the server closes', async () => {
    const server = await startRawServer((socket) => socket.end('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nno length at all'));
    const http = client(server.origin);
    try {
      assert.deepEqual(await http.send(get('/')), { ok: true, status: 200, bytes: 16 });
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('does not reuse a connection the server closed while it was idle', async () => {
    const server = await startHttpServer((_req, res) => res.end('pong'));
    server.server.keepAliveTimeout = 30;
    const http = client(server.origin, { connections: 1 });
    try {
      assert.equal((await http.send(get('/'))).ok, true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.deepEqual(await http.send(get('/')), { ok: true, status: 200, bytes: 4 });
      assert.equal(server.connections(), 2);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('sends a GET once more, on a fresh connection, when a reused connection closes before answering', async () => {
    // The server drops every request but the first on a connection: what a keep-alive close racing the request looks like.
    const server = await startRawServer((socket, nth) => (nth === 1 ? socket.write(OK_RESPONSE) : socket.destroy()));
    const http = client(server.origin, { connections: 1 });
    try {
      assert.equal((await http.send(get('/first'))).ok, true);
      assert.deepEqual(await http.send(get('/second')), { ok: true, status: 200, bytes: 2 });
      assert.deepEqual(
        server.requests.map((head) => head.split(' ')[1]),
        ['/first', '/second', '/second'],
      );
      assert.equal(server.connections(), 2);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('sends a request once more at most, and a POST never, when the connection closes before answering', async () => {
    let dropAll = false;
    const server = await startRawServer((socket, nth) => (nth === 1 && !dropAll ? socket.write(OK_RESPONSE) : socket.destroy()));
    const http = client(server.origin, { connections: 1 });
    try {
      assert.equal((await http.send(get('/warm'))).ok, true);
      dropAll = true;
      const dropped = await http.send(get('/dropped'));
      assert.equal(dropped.errorKind, 'connection_reset', JSON.stringify(dropped));
      assert.equal(server.requests.filter((head) => head.startsWith('GET /dropped')).length, 2);
      dropAll = false;
      assert.equal((await http.send(get('/warm'))).ok, true);
      const post = await http.send(get('/post', { method: 'POST', body: 'x' }));
      assert.equal(post.errorKind, 'connection_reset');
      assert.equal(server.requests.filter((head) => head.startsWith('POST /post')).length, 1);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('never sends again a request whose response had started: connection_reset with the bytes that came', async () => {
    const server = await startRawServer((socket, nth) => {
      if (nth === 1) socket.write(OK_RESPONSE);
      else socket.write('HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial', () => socket.destroy());
    });
    const http = client(server.origin, { connections: 1 });
    try {
      assert.equal((await http.send(get('/'))).ok, true);
      const cut = await http.send(get('/cut'));
      assert.equal(cut.ok, false);
      assert.equal(cut.errorKind, 'connection_reset');
      assert.equal(cut.status, 200);
      assert.equal(cut.bytes, 7);
      assert.match(cut.errorMessage ?? '', /ECONNRESET.*mid-body, after 7 body bytes/);
      assert.equal(server.requests.length, 2);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('reports a refused connection at once', async () => {
    const http = client(`http://127.0.0.1:${await freePort()}`, { timeoutMs: 5_000 });
    try {
      const { result, ms } = await timed(() => http.send(get('/')));
      assert.equal(result.errorKind, 'connection_refused');
      assert.match(result.errorMessage ?? '', /ECONNREFUSED/);
      assert.equal(result.status, 0);
      assert.ok(ms < 1_000, `took ${ms} ms`);
      await http.preconnect(200);
    } finally {
      await http.destroy();
    }
  });

  it('reports a response it cannot parse as other, naming what was wrong', async () => {
    const server = await startRawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: nope\r\n\r\n'));
    const http = client(server.origin);
    try {
      const outcome = await http.send(get('/'));
      assert.equal(outcome.errorKind, 'other');
      assert.match(outcome.errorMessage ?? '', /HPE_INVALID_CONTENT_LENGTH: invalid Content-Length "nope"/);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('refuses a request it cannot encode without sending anything', async () => {
    const server = await startRawServer((socket) => socket.write(OK_RESPONSE));
    const http = client(server.origin);
    try {
      const outcome = await http.send(get('/', { headers: ['x-a', 'a\r\nb'] }));
      assert.equal(outcome.errorKind, 'other');
      assert.match(outcome.errorMessage ?? '', /header x-a/);
      assert.equal(server.requests.length, 0);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('pipelines up to `pipelining` requests on one connection', async () => {
    const server = await startRawServer((socket) => socket.write(OK_RESPONSE));
    const http = client(server.origin, { connections: 1, pipelining: 4 });
    try {
      const outcomes = await Promise.all(Array.from({ length: 12 }, (_, i) => http.send(get(`/${i}`))));
      assert.ok(outcomes.every((o) => o.ok));
      assert.equal(server.connections(), 1);
      assert.equal(server.requests.length, 12);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('preconnects min(connections, 128) connections before any request', async () => {
    const server = await startHttpServer((_req, res) => res.end('pong'));
    const http = client(server.origin, { connections: 5 });
    try {
      await http.preconnect();
      await waitUntil(() => server.connections() === 5);
      await Promise.all(Array.from({ length: 5 }, () => http.send(get('/'))));
      assert.equal(server.connections(), 5);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('close() waits for requests on the wire, then refuses new ones; destroy() fails them at once', async () => {
    const server = await startHttpServer((_req, res) => setTimeout(() => res.end('late'), 80));
    const closing = client(server.origin, { timeoutMs: 2_000 });
    const destroying = client(server.origin, { timeoutMs: 2_000 });
    try {
      const inFlight = closing.send(get('/'));
      await closing.close();
      assert.deepEqual(await inFlight, { ok: true, status: 200, bytes: 4 });
      const after = await closing.send(get('/'));
      assert.equal(after.errorKind, 'connection_error');
      assert.match(after.errorMessage ?? '', /closed/);

      const cancelled = destroying.send(get('/'));
      await new Promise((resolve) => setTimeout(resolve, 20));
      const { result, ms } = await timed(async () => {
        await destroying.destroy();
        return cancelled;
      });
      assert.equal(result.errorKind, 'connection_error');
      assert.match(result.errorMessage ?? '', /ECANCELED: the HTTP client was destroyed/);
      assert.ok(ms < 50, `destroy took ${ms} ms`);
    } finally {
      await closing.destroy();
      await destroying.destroy();
      await server.close();
    }
  });
});

describe('HttpClient: deadlines', () => {
  it('ends a request at timeoutMs and destroys its connection', async () => {
    let closedByClient = 0;
    const server = await startRawServer((socket) => socket.once('close', () => closedByClient++));
    const http = client(server.origin, { connections: 2 });
    try {
      const results = await Promise.all(Array.from({ length: 2 }, () => timed(() => http.send(get('/never')))));
      for (const { result, ms } of results) {
        assert.deepEqual(result, { ok: false, status: 0, bytes: 0, errorKind: 'timeout', errorMessage: `no complete response within ${TIMEOUT_MS} ms` });
        assert.ok(ms >= TIMEOUT_MS - 1 && ms < TIMEOUT_MS + 150, `timed out after ${ms} ms`);
      }
      await waitUntil(() => closedByClient === 2);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('counts queue time: requests waiting for the one connection time out at timeoutMs from their send', async () => {
    const server = await startRawServer(() => undefined);
    const http = client(server.origin, { connections: 1 });
    try {
      const results = await Promise.all(Array.from({ length: 3 }, () => timed(() => http.send(get('/never')))));
      for (const { result, ms } of results) {
        assert.equal(result.errorKind, 'timeout');
        assert.ok(ms >= TIMEOUT_MS - 1 && ms < TIMEOUT_MS + 150, `timed out after ${ms} ms`);
      }
      assert.equal(server.requests.length, 1, 'a request out of time while queued went on the wire');
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('gives a request that waited in the queue its whole time, from its own send', async () => {
    const server = await startRawServer((socket, nth) => {
      if (nth === 1) setTimeout(() => socket.write(OK_RESPONSE), 50);
    });
    const http = client(server.origin, { connections: 1 });
    try {
      // Connected first, so the first request goes straight out: its timer, still armed, fires while the second waits.
      await http.preconnect();
      const first = http.send(get('/answered-late'));
      await new Promise((resolve) => setTimeout(resolve, 30));
      const { result, ms } = await timed(() => http.send(get('/never')));
      assert.equal((await first).ok, true);
      assert.equal(result.errorKind, 'timeout');
      assert.ok(ms >= TIMEOUT_MS - 1 && ms < TIMEOUT_MS + 150, `timed out after ${ms} ms`);
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('times out a response whose head came in time but whose body did not', async () => {
    const server = await startRawServer((socket) => socket.write('HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc'));
    const http = client(server.origin);
    try {
      const captured = await http.sendCapturing(get('/'), FLOW_BODY_LIMIT_BYTES);
      assert.equal(captured.errorKind, 'timeout');
      assert.equal(captured.status, 0);
      assert.equal(captured.body, 'abc', 'what had come is kept');
      assert.equal(captured.headers['content-length'], '10');
    } finally {
      await http.destroy();
      await server.close();
    }
  });

  it('gives up a connect (here a TLS handshake) that takes longer than timeoutMs', async () => {
    let closedByClient = 0;
    // Reads (so it sees the client's close) and never answers the ClientHello.
    const silent = createTcpServer((socket) => socket.resume().on('close', () => closedByClient++));
    const origin = (await listen(silent)).replace('http:', 'https:');
    const http = new HttpClient([origin], { connections: 1, timeoutMs: 100, tls: { insecure: true } });
    try {
      const { result, ms } = await timed(() => http.send(get('/')));
      assert.deepEqual(result, { ok: false, status: 0, bytes: 0, errorKind: 'timeout', errorMessage: 'no complete response within 100 ms' });
      assert.ok(ms < 400, `took ${ms} ms`);
      await waitUntil(() => closedByClient === 1);
    } finally {
      await http.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe('HttpClient: responses', () => {
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  let http: HttpClient;
  const BIG_BODY_BYTES = 3 * FLOW_BODY_LIMIT_BYTES + 17;

  before(async () => {
    server = await startHttpServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://target');
      switch (url.pathname) {
        case '/login':
          res.setHeader('Set-Cookie', ['session=abc; Path=/', 'theme=dark']);
          res.setHeader('X-Request-Id', 'r-42');
          res.end('{"token":"t-1"}');
          return;
        case '/one-cookie':
          res.setHeader('Set-Cookie', 'only=1');
          res.end();
          return;
        case '/big':
          res.end(Buffer.alloc(BIG_BODY_BYTES, 'x'));
          return;
        case '/chunked':
          res.write('alpha,');
          setTimeout(() => res.end('béta'), 5);
          return;
        case '/missing':
          res.writeHead(404, 'Not Found', { 'X-Reason': 'gone' }).end('item 7 not found');
          return;
        case '/echo':
          req.pipe(res);
          return;
        default:
          res.setHeader('Content-Length', 4);
          res.end(req.method === 'HEAD' ? undefined : 'pong');
      }
    });
    http = client(server.origin, { connections: 2 });
  });

  after(async () => {
    await http.destroy();
    await server.close();
  });

  it('judges statuses by the expect set, else below 400', async () => {
    assert.deepEqual(await http.send(get('/missing')), { ok: false, status: 404, bytes: 16, errorKind: 'http_404', errorMessage: '404 Not Found' });
    assert.deepEqual(await http.send(get('/missing', { expect: new Set([404]) })), { ok: true, status: 404, bytes: 16 });
    assert.deepEqual(await http.send(get('/', { expect: new Set([201]) })), { ok: false, status: 200, bytes: 4, errorKind: 'http_200', errorMessage: '200 OK' });
  });

  it('reads no body for HEAD and keeps the connection for the next request', async () => {
    const before = server.connections();
    assert.deepEqual(await http.send(get('/', { method: 'HEAD' })), { ok: true, status: 200, bytes: 0 });
    assert.deepEqual(await http.send(get('/')), { ok: true, status: 200, bytes: 4 });
    assert.equal(server.connections(), before);
  });

  it('counts a chunked body decoded', async () => {
    assert.deepEqual(await http.send(get('/chunked')), { ok: true, status: 200, bytes: Buffer.byteLength('alpha,béta') });
  });

  it('sends a body and reads it back', async () => {
    const captured = await http.sendCapturing(get('/echo', { method: 'POST', headers: ['content-type', 'text/plain'], body: 'héllo' }), FLOW_BODY_LIMIT_BYTES);
    assert.equal(captured.body, 'héllo');
  });

  it('captures lower-cased headers, Set-Cookie as an array or a string, and the body', async () => {
    const login = await http.sendCapturing(get('/login'), FLOW_BODY_LIMIT_BYTES);
    assert.deepEqual(login.headers['set-cookie'], ['session=abc; Path=/', 'theme=dark']);
    assert.equal(login.headers['x-request-id'], 'r-42');
    assert.equal(login.body, '{"token":"t-1"}');
    assert.equal(login.bodyTruncated, false);
    assert.equal((await http.sendCapturing(get('/one-cookie'), 0)).headers['set-cookie'], 'only=1');
    const chunked = await http.sendCapturing(get('/chunked'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(chunked.body, 'alpha,béta');
    assert.equal(chunked.headers['transfer-encoding'], 'chunked');
  });

  it('keeps only the first bodyLimit bytes and counts them all', async () => {
    const big = await http.sendCapturing(get('/big'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(big.bytes, BIG_BODY_BYTES);
    assert.equal(big.body, 'x'.repeat(FLOW_BODY_LIMIT_BYTES));
    assert.equal(big.bodyTruncated, true);
    const none = await http.sendCapturing(get('/big'), 0);
    assert.equal(none.body, '');
    assert.equal(none.bodyTruncated, true);
    const exact = await http.sendCapturing(get('/'), 4);
    assert.equal(exact.body, 'pong');
    assert.equal(exact.bodyTruncated, false);
  });

  it('keeps headers and body of a response that fails the check', async () => {
    const missing = await http.sendCapturing(get('/missing'), FLOW_BODY_LIMIT_BYTES);
    assert.equal(missing.errorKind, 'http_404');
    assert.equal(missing.headers['x-reason'], 'gone');
    assert.equal(missing.body, 'item 7 not found');
  });

  it('leaves send as it was: no headers, no body', async () => {
    assert.deepEqual(await http.send(get('/login')), { ok: true, status: 200, bytes: 15 });
  });
});

describe('HttpClient: TLS', () => {
  const certificate = selfSignedCertificate();
  let origin: string;
  const servernames: (string | false | null)[] = [];
  const server = createHttpsServer({ key: certificate.key, cert: certificate.cert }, (req, res) => {
    servernames.push((req.socket as TLSSocket).servername);
    res.end('secure');
  });

  before(async () => {
    origin = (await listen(server)).replace('http:', 'https:');
  });

  after(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  async function sendOnce(to: string, tls: HttpClientOptions['tls']) {
    const https = new HttpClient([to], { connections: 1, timeoutMs: 2_000, tls });
    try {
      return await https.send(get('/'));
    } finally {
      await https.destroy();
    }
  }

  it('trusts a self-signed certificate only when insecure or given as ca', async () => {
    assert.deepEqual(await sendOnce(origin, { insecure: true }), { ok: true, status: 200, bytes: 6 });
    assert.deepEqual(await sendOnce(origin, { insecure: false, ca: certificate.cert }), { ok: true, status: 200, bytes: 6 });
    const refused = await sendOnce(origin, { insecure: false });
    assert.equal(refused.errorKind, 'tls');
    assert.match(refused.errorMessage ?? '', /self.signed/i);
    assert.equal((await sendOnce(origin, undefined)).errorKind, 'tls');
  });

  it('sends SNI for a host name, none for an IP address', async () => {
    servernames.length = 0;
    await sendOnce(origin, { insecure: true });
    const byName = await sendOnce(origin.replace('127.0.0.1', 'localhost'), { insecure: true });
    assert.equal(byName.ok, true, JSON.stringify(byName));
    assert.deepEqual(servernames, [false, 'localhost']);
  });
});
