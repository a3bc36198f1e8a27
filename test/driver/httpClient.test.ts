import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { classifyError, HttpClient, type RequestOutcome } from '../../src/driver/httpClient.js';
import { startTargetServer, type TargetServer } from '../../src/target/targetServer.js';
import { freePort } from '../helpers/recordingServer.js';

async function getOnce(url: string, timeoutMs = 5_000): Promise<RequestOutcome> {
  const client = new HttpClient(url, { connections: 2, timeoutMs });
  try {
    return await client.get();
  } finally {
    await client.destroy();
  }
}

describe('HttpClient', () => {
  let target: TargetServer;
  before(async () => {
    target = await startTargetServer({ host: '127.0.0.1', port: 0 });
  });
  after(() => target.close());

  it('answers ok with the status for a 200', async () => {
    assert.deepEqual(await getOnce(`${target.url}/ping`), { ok: true, status: 200 });
  });

  it('keeps the connection and consumes each body: many requests over two connections', async () => {
    const client = new HttpClient(`${target.url}/ping`, { connections: 2, timeoutMs: 5_000 });
    const outcomes = await Promise.all(Array.from({ length: 200 }, () => client.get()));
    await client.close();
    assert.ok(outcomes.every((o) => o.ok && o.status === 200));
  });

  it('reports http_500 for a 500 answer', async () => {
    assert.deepEqual(await getOnce(`${target.url}/ping?error_rate=1`), { ok: false, status: 500, errorKind: 'http_500' });
  });

  it('reports http_404 for a missing route', async () => {
    const outcome = await getOnce(`${target.url}/nowhere`);
    assert.equal(outcome.errorKind, 'http_404');
  });

  it('reports connection_refused when nothing listens', async () => {
    const outcome = await getOnce(`http://127.0.0.1:${await freePort()}/ping`);
    assert.equal(outcome.errorKind, 'connection_refused');
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
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_SOCKET', cause: { code: 'ECONNRESET' } })), 'connection_reset');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'EHOSTUNREACH' })), 'connection_error');
    assert.equal(classifyError(Object.assign(new Error('x'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), 'timeout');
    assert.equal(classifyError(new Error('no code')), 'other');
  });
});
