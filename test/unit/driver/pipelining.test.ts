import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { InThreadLoad } from '../../../src/driver/inThreadLoad.js';

describe('a test’s pipelining: its requests share fewer connections, each written before the one ahead is answered', () => {
  let url: string;
  let connections = 0;
  let mostOnOneConnection = 0;
  const server = createServer((_req, res) => setTimeout(() => res.end('ok'), 2));
  before(async () => {
    server.on('connection', (socket) => {
      connections += 1;
      let pending = 0;
      // Requests that arrived on this connection while an earlier one was still unanswered: pipelined.
      socket.on('data', (chunk: Buffer) => {
        pending += chunk.toString('latin1').split('GET ').length - 1;
        mostOnOneConnection = Math.max(mostOnOneConnection, pending);
      });
      const write = socket.write.bind(socket);
      socket.write = ((...args: Parameters<typeof socket.write>) => {
        pending = Math.max(0, pending - 1);
        return write(...args);
      }) as typeof socket.write;
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('AVALANCHE of 200 with 8 in flight and pipelining 4: 2 connections, every request answered', async () => {
    const load = new InThreadLoad({
      nodeId: 'driver-pipelining',
      config: { test_id: 'test-pipelining', test_type: 'AVALANCHE', test_message_delay: 0, message_count_per_driver: 200, concurrency: 8, pipelining: 4 },
      requests: [{ name: 'get', method: 'GET', url, weight: 1 }],
      names: [],
      concurrency: 8,
      timeoutMs: 5_000,
      tls: { insecure: false },
    });
    try {
      await load.start('workload').finished;
      const counts = load.recorder('workload').counts();
      assert.equal(counts.completed, 200);
      assert.deepEqual(counts.errors, {});
      assert.equal(connections, 2, 'ceil(8 in flight ÷ 4 per connection)');
      assert.ok(mostOnOneConnection > 1, `requests were pipelined (at most ${mostOnOneConnection} unanswered on one connection)`);
    } finally {
      await load.close();
    }
  });
});
