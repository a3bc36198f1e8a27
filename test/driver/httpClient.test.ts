import assert from 'node:assert/strict';
import { oneGet } from '../helpers/oneGet.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';
import { after, before, describe, it } from 'node:test';
import { classifyError, describeError, type RequestOutcome } from '../../src/driver/requestOutcome.js';
import { startTargetServer, type TargetServer } from '../../src/target/targetServer.js';
import { freePort } from '../helpers/recordingServer.js';

async function getOnce(url: string, timeoutMs = 5_000): Promise<RequestOutcome> {
  const { client, get } = oneGet(url, { connections: 2, timeoutMs });
  try {
    return await get();
  } finally {
    await client.destroy();
  }
}

/** A target that answers as `answer` does and notes when the client closed each connection. */
async function startSlowServer(answer: (res: ServerResponse) => void): Promise<{ url: string; closedAt: number[]; close: () => Promise<void> }> {
  const closedAt: number[] = [];
  const server: Server = createServer((_req: IncomingMessage, res: ServerResponse) => answer(res));
  // 'end': the client's FIN (the server keeps its half open until it answers).
  server.on('connection', (socket) => socket.on('end', () => closedAt.push(performance.now())));
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/slow`,
    closedAt,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Sends `count` requests at once; each outcome with the milliseconds it took. */
async function timedRequests(get: () => Promise<RequestOutcome>, count: number): Promise<{ outcome: RequestOutcome; ms: number }[]> {
  return Promise.all(
    Array.from({ length: count }, async () => {
      const started = performance.now();
      const outcome = await get();
      return { outcome, ms: performance.now() - started };
    }),
  );
}

describe('HttpClient per-request timeout', () => {
  const RESPONSE_MS = 500;
  const TIMEOUT_MS = 100;

  it('ends every request at timeout_ms, not at the response, and destroys its connection', async () => {
    const timers: NodeJS.Timeout[] = [];
    const server = await startSlowServer((res) => timers.push(setTimeout(() => res.end('late'), RESPONSE_MS)));
    const { client, get } = oneGet(server.url, { connections: 8, timeoutMs: TIMEOUT_MS });
    try {
      const started = performance.now();
      const results = await timedRequests(get, 8);
      for (const { outcome, ms } of results) {
        assert.equal(outcome.errorKind, 'timeout');
        assert.equal(outcome.errorMessage, `no complete response within ${TIMEOUT_MS} ms`);
        assert.ok(ms >= TIMEOUT_MS - 1 && ms < 300, `a timeout recorded after ${ms.toFixed(1)} ms`);
      }
      await waitUntil(() => server.closedAt.length === 8);
      assert.ok(server.closedAt.every((at) => at - started < RESPONSE_MS - 100), 'a timed-out connection stayed open until its response');
    } finally {
      timers.forEach(clearTimeout);
      await client.destroy();
      await server.close();
    }
  });

  it('counts the whole body: headers in time but the body late is a timeout', async () => {
    const timers: NodeJS.Timeout[] = [];
    const server = await startSlowServer((res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('first part');
      timers.push(setTimeout(() => res.end('rest'), RESPONSE_MS));
    });
    const { client, get } = oneGet(server.url, { connections: 4, timeoutMs: TIMEOUT_MS });
    try {
      for (const { outcome, ms } of await timedRequests(get, 4)) {
        assert.equal(outcome.errorKind, 'timeout');
        assert.ok(ms < 300, `a timeout recorded after ${ms.toFixed(1)} ms`);
      }
    } finally {
      timers.forEach(clearTimeout);
      await client.destroy();
      await server.close();
    }
  });

  it('times out requests still queued behind a busy connection', async () => {
    const timers: NodeJS.Timeout[] = [];
    const server = await startSlowServer((res) => timers.push(setTimeout(() => res.end('late'), RESPONSE_MS)));
    const { client, get } = oneGet(server.url, { connections: 1, timeoutMs: TIMEOUT_MS });
    try {
      const results = await timedRequests(get, 5);
      assert.deepEqual(results.map((r) => r.outcome.errorKind), Array(5).fill('timeout'));
      assert.ok(results.every((r) => r.ms < 300), `timeouts recorded after ${results.map((r) => r.ms.toFixed(0)).join(', ')} ms`);
    } finally {
      timers.forEach(clearTimeout);
      await client.destroy();
      await server.close();
    }
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const giveUpAt = performance.now() + timeoutMs;
  while (!condition()) {
    if (performance.now() > giveUpAt) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

describe('HttpClient', () => {
  let target: TargetServer;
  before(async () => {
    target = await startTargetServer({ host: '127.0.0.1', port: 0 });
  });
  after(() => target.close());

  it('answers ok with the status for a 200', async () => {
    // The target answers {"message":"pong"}: 18 bytes of body.
    assert.deepEqual(await getOnce(`${target.url}/ping`), { ok: true, status: 200, bytes: 18 });
  });

  it('keeps the connection and consumes each body: many requests over two connections', async () => {
    const { client, get } = oneGet(`${target.url}/ping`, { connections: 2, timeoutMs: 5_000 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => get()));
    await client.close();
    assert.ok(outcomes.every((o) => o.ok && o.status === 200));
  });

  it('reports http_500 for a 500 answer', async () => {
    const { bytes: _bytes, ...outcome } = await getOnce(`${target.url}/ping?error_rate=1`);
    assert.deepEqual(outcome, { ok: false, status: 500, errorKind: 'http_500', errorMessage: '500 Internal Server Error' });
  });

  it('reports http_404 for a missing route', async () => {
    const outcome = await getOnce(`${target.url}/nowhere`);
    assert.equal(outcome.errorKind, 'http_404');
  });

  it('reports connection_refused when nothing listens', async () => {
    const port = await freePort();
    const outcome = await getOnce(`http://127.0.0.1:${port}/ping`);
    assert.equal(outcome.errorKind, 'connection_refused');
    assert.match(outcome.errorMessage ?? '', new RegExp(`ECONNREFUSED 127\\.0\\.0\\.1:${port}`));
  });

  it('reports timeout when the target answers later than timeout_ms', async () => {
    const started = performance.now();
    const outcome = await getOnce(`${target.url}/ping?delay_ms=2000`, 200);
    assert.equal(outcome.errorKind, 'timeout');
    assert.ok(performance.now() - started < 1_500, 'the timeout did not cut the request short');
  });

  it('reports connection_reset when the target drops the connection', async () => {
    const outcome = await getOnce(`${target.url}/ping?drop_rate=1`);
    assert.equal(outcome.errorKind, 'connection_reset');
  });

  it('classifies errors by code, also when the code sits on the cause', () => {
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'connection_refused');
    assert.equal(classifyError(Object.assign(new Error('x'), { cause: { code: 'ECONNRESET' } })), 'connection_reset');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })), 'connection_error');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'ETIMEDOUT' })), 'timeout');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'HPE_INVALID_STATUS' })), 'other', "the parser's refusals are no socket error");
    assert.equal(classifyError(new Error('no code')), 'other');
  });

  it('describes an error with its code and its cause, at most 300 characters', () => {
    const wrapped = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET', cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
    assert.equal(describeError(wrapped), 'UND_ERR_SOCKET: other side closed: read ECONNRESET');
    assert.equal(describeError(new Error('x'.repeat(1_000))).length, 300);
    assert.equal(describeError('plain text'), 'plain text');
  });
});
