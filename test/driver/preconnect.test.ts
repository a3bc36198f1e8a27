import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { PRECONNECT_MAX_CONNECTIONS, type RequestOutcome } from '../../src/driver/requestOutcome.js';
import { oneGet } from '../helpers/oneGet.js';
import { freePort } from '../helpers/recordingServer.js';

const CONNECTIONS = 4;
const REQUESTS = 20;

/** A loopback target that keeps the connections it accepted, to count them and to cut them. */
async function startCountingServer(): Promise<{ url: string; sockets: Socket[]; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  const server: Server = createServer((_req, res) => res.end('ok'));
  server.on('connection', (socket: Socket) => sockets.push(socket));
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`,
    sockets,
    close: async () => {
      server.close();
      for (const socket of sockets) socket.destroy();
      await once(server, 'close');
    },
  };
}

/** The server accepts in a later turn than the client's connect: wait (bounded) until it has counted `count`. */
async function accepted(sockets: Socket[], count: number): Promise<void> {
  for (let turn = 0; turn < 10_000 && sockets.length < count; turn++) await nextTurn();
  assert.equal(sockets.length, count);
}

/** Sends REQUESTS at once; the outcomes that failed. */
async function failedOf(get: () => Promise<RequestOutcome>): Promise<RequestOutcome[]> {
  const outcomes = await Promise.all(Array.from({ length: REQUESTS }, () => get()));
  return outcomes.filter((outcome) => !outcome.ok);
}

/** Waits (bounded) until every one of `sockets` is closed; a socket closed long ago counts at once. */
async function allClosed(sockets: Socket[]): Promise<void> {
  for (let turn = 0; turn < 10_000 && sockets.some((socket) => !socket.destroyed); turn++) await nextTurn();
  assert.ok(sockets.every((socket) => socket.destroyed), 'a connection is still open');
}

describe('HttpClient.preconnect', () => {
  let target: Awaited<ReturnType<typeof startCountingServer>>;
  before(async () => {
    target = await startCountingServer();
  });
  after(async () => {
    await target.close();
  });

  /** A client to the target whose connections the target has accepted; destroyed after `use`. */
  async function withPreconnectedClient(use: (get: () => Promise<RequestOutcome>) => Promise<void>): Promise<void> {
    target.sockets.length = 0;
    const { client, get } = oneGet(target.url, { connections: CONNECTIONS, timeoutMs: 5_000 });
    try {
      await client.preconnect();
      await accepted(target.sockets, CONNECTIONS);
      await use(get);
    } finally {
      await client.destroy();
    }
  }

  it('opens the connections before the first request, and the requests go over them', () =>
    withPreconnectedClient(async (get) => {
      // Handed over after the event loop has turned, as a test's start is.
      await nextTurn();
      assert.deepEqual(await failedOf(get), []);
      assert.equal(target.sockets.length, CONNECTIONS, 'no connection opened on top of the stashed ones');
    }));

  it('drops a stashed connection the target closed, and connects anew', () =>
    withPreconnectedClient(async (get) => {
      for (const socket of target.sockets) socket.destroy();
      await allClosed(target.sockets);
      await nextTurn();
      assert.deepEqual(await failedOf(get), []);
      assert.equal(target.sockets.length, 2 * CONNECTIONS);
    }));

  it('opens no more than PRECONNECT_MAX_CONNECTIONS ahead, and the pool opens the rest on demand', async () => {
    target.sockets.length = 0;
    const { client, get } = oneGet(target.url, { connections: PRECONNECT_MAX_CONNECTIONS + 10, timeoutMs: 5_000 });
    try {
      await client.preconnect();
      await accepted(target.sockets, PRECONNECT_MAX_CONNECTIONS);
      await nextTurn();
      assert.equal(target.sockets.length, PRECONNECT_MAX_CONNECTIONS);
      const outcomes = await Promise.all(Array.from({ length: PRECONNECT_MAX_CONNECTIONS + 10 }, () => get()));
      assert.ok(outcomes.every((outcome) => outcome.ok));
    } finally {
      await client.destroy();
    }
  });

  it('resolves when nothing listens, and leaves the failure to the requests', async () => {
    const url = `http://127.0.0.1:${await freePort()}/`;
    const { client, get } = oneGet(url, { connections: CONNECTIONS, timeoutMs: 5_000 });
    try {
      await client.preconnect();
      const outcome = await get();
      assert.equal(outcome.errorKind, 'connection_refused');
    } finally {
      await client.destroy();
    }
  });

  it('closes the connections the pool never took', async () => {
    await withPreconnectedClient(async () => undefined);
    await allClosed(target.sockets);
  });
});
