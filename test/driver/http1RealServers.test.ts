import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { connect, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startNginx, type NginxServer } from '../helpers/nginx.js';
import { HttpClient } from '../../src/driver/http1/httpClient.js';
import type { HttpClientOptions } from '../../src/driver/requestOutcome.js';
import { FLOW_BODY_LIMIT_BYTES, type RequestOutcome } from '../../src/driver/requestOutcome.js';
import type { PreparedRequest } from '../../src/driver/requests/requestIterator.js';
import { freePort, stopChild, tempDir } from '../helpers/processes.js';
import { selfSignedCertificate } from '../helpers/selfSignedCertificate.js';

/** Each server gets this many requests, this many at a time. */
const REQUESTS = 200;
const CONCURRENCY = 8;
const READY_TIMEOUT_MS = 5_000;
const STATIC_BODY = 'static file body\n'.repeat(64);
const TEXT_BODY = 'compressible line of text\n'.repeat(400);

function get(path: string, extra: Partial<PreparedRequest> = {}): PreparedRequest {
  return { index: 0, originIndex: 0, path, method: 'GET', headers: undefined, body: undefined, expect: undefined, ...extra };
}

/** REQUESTS sends of `request`, CONCURRENCY on the wire at once, as a closed-loop test keeps them. */
async function load(client: HttpClient, request: PreparedRequest): Promise<RequestOutcome[]> {
  const outcomes: RequestOutcome[] = [];
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (outcomes.length < REQUESTS) outcomes.push(await client.send(request));
    }),
  );
  return outcomes;
}

function assertAll(outcomes: RequestOutcome[], expected: RequestOutcome): void {
  const wrong = outcomes.filter((o) => JSON.stringify(o) !== JSON.stringify(expected));
  assert.equal(wrong.length, 0, `${wrong.length} of ${outcomes.length} outcomes were not ${JSON.stringify(expected)}, e.g. ${JSON.stringify(wrong[0])}`);
}

async function waitForPort(port: number, process: ChildProcess, what: string, stderr: () => string): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (process.exitCode !== null) throw new Error(`${what} exited (${process.exitCode}) before listening: ${stderr()}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => resolve(true)).on('error', () => resolve(false));
      socket.once('connect', () => socket.destroy());
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${what} did not listen on ${port} within ${READY_TIMEOUT_MS} ms: ${stderr()}`);
}

function startProcess(command: string, args: string[]): { child: ChildProcess; stderr: () => string } {
  const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  return { child, stderr: () => stderr };
}

describe('HttpClient against nginx', () => {
  let nginx: NginxServer;
  let client: HttpClient;

  before(async () => {
    // gzip makes nginx's answers chunked.
    nginx = await startNginx({ files: { 'static.txt': STATIC_BODY, 'gzip/text.txt': TEXT_BODY }, serverLines: ['location = /empty { return 204; }', 'location /gzip/ { gzip on; gzip_min_length 1; gzip_types text/plain; }'] });
    client = new HttpClient([nginx.origin], { connections: CONCURRENCY, timeoutMs: 5_000 });
  });

  after(async () => {
    await client?.destroy();
    await nginx?.stop();
  });

  it('serves a static file over keep-alive connections', async () => {
    assertAll(await load(client, get('/static.txt')), { ok: true, status: 200, bytes: STATIC_BODY.length });
  });

  it('answers return 204 with no body, and HEAD with none', async () => {
    assertAll(await load(client, get('/empty')), { ok: true, status: 204, bytes: 0 });
    assertAll(await load(client, get('/static.txt', { method: 'HEAD' })), { ok: true, status: 200, bytes: 0 });
  });

  it('sends a gzipped file chunked: the decoded chunk bytes are counted, the headers captured', async () => {
    const gzip = get('/gzip/text.txt', { headers: ['accept-encoding', 'gzip'] });
    const captured = await client.sendCapturing(gzip, FLOW_BODY_LIMIT_BYTES);
    assert.equal(captured.headers['transfer-encoding'], 'chunked');
    assert.equal(captured.headers['content-encoding'], 'gzip');
    assert.ok(captured.bytes > 20 && captured.bytes < TEXT_BODY.length / 10, `${captured.bytes} gzipped bytes`);
    assertAll(await load(client, gzip), { ok: true, status: 200, bytes: captured.bytes });
  });

  it('reports a missing file as http_404', async () => {
    const outcome = await client.send(get('/missing'));
    assert.equal(outcome.errorKind, 'http_404');
    assert.equal(outcome.errorMessage, '404 Not Found');
  });
});

describe("HttpClient against Python's http.server (HTTP/1.0, a connection per request)", () => {
  let python: { child: ChildProcess; stderr: () => string };
  let client: HttpClient;

  before(async () => {
    const dir = tempDir('stampede-http1-python-');
    writeFileSync(join(dir, 'static.txt'), STATIC_BODY);
    const port = await freePort();
    python = startProcess('python3', ['-m', 'http.server', '--bind', '127.0.0.1', '--directory', dir, String(port)]);
    await waitForPort(port, python.child, 'python3 -m http.server', python.stderr);
    client = new HttpClient([`http://127.0.0.1:${port}`], { connections: CONCURRENCY, timeoutMs: 5_000 });
  });

  after(async () => {
    await client?.destroy();
    if (python) await stopChild(python.child);
  });

  it('serves a file, each response closing its connection', async () => {
    assertAll(await load(client, get('/static.txt')), { ok: true, status: 200, bytes: STATIC_BODY.length });
    const missing = await client.send(get('/missing'));
    assert.equal(missing.errorKind, 'http_404');
    assert.match(missing.errorMessage ?? '', /^404 File not found$/);
  });
});

async function listen(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

async function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

describe('HttpClient against node:http, plain and TLS', () => {
  const certificate = selfSignedCertificate();
  let connections = 0;
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    res.writeHead(req.url === '/created' ? 201 : 200).end(STATIC_BODY);
  };
  const plain = createHttpServer(answer);
  const secure = createHttpsServer({ key: certificate.key, cert: certificate.cert }, answer);
  let plainOrigin: string;
  let secureOrigin: string;

  before(async () => {
    plain.on('connection', () => connections++);
    plainOrigin = `http://127.0.0.1:${await listen(plain)}`;
    secureOrigin = `https://127.0.0.1:${await listen(secure)}`;
  });

  after(async () => {
    await closeServer(plain);
    await closeServer(secure);
  });

  async function loadWith(origin: string, request: PreparedRequest, options: Partial<HttpClientOptions> = {}): Promise<RequestOutcome[]> {
    const client = new HttpClient([origin], { connections: CONCURRENCY, timeoutMs: 5_000, ...options });
    try {
      await client.preconnect();
      return await load(client, request);
    } finally {
      await client.close();
    }
  }

  it('node:http: keep-alive over at most `connections` connections, statuses judged by expect', async () => {
    assertAll(await loadWith(plainOrigin, get('/')), { ok: true, status: 200, bytes: STATIC_BODY.length });
    assert.equal(connections, CONCURRENCY);
    assertAll(await loadWith(plainOrigin, get('/created', { expect: new Set([201]) })), { ok: true, status: 201, bytes: STATIC_BODY.length });
    assertAll(await loadWith(plainOrigin, get('/', { method: 'POST', body: '{"a":1}', headers: ['content-type', 'application/json'] })), { ok: true, status: 200, bytes: STATIC_BODY.length });
  });

  it('node:http with pipelining', async () => {
    assertAll(await loadWith(plainOrigin, get('/'), { connections: 2, pipelining: 4 }), { ok: true, status: 200, bytes: STATIC_BODY.length });
  });

  it('TLS: trusted when insecure or by ca, refused otherwise', async () => {
    assertAll(await loadWith(secureOrigin, get('/'), { tls: { insecure: true } }), { ok: true, status: 200, bytes: STATIC_BODY.length });
    assertAll(await loadWith(secureOrigin, get('/'), { tls: { insecure: false, ca: certificate.cert } }), { ok: true, status: 200, bytes: STATIC_BODY.length });
    const refused = new HttpClient([secureOrigin], { connections: 1, timeoutMs: 5_000, tls: { insecure: false } });
    try {
      assert.equal((await refused.send(get('/'))).errorKind, 'tls');
    } finally {
      await refused.destroy();
    }
  });
});
