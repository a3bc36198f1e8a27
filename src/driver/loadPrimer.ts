import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpClient } from './http1/httpClient.js';
import { LoadRun } from './loadRun.js';
import { Recorder } from './recorder.js';
import { RequestIterator, RequestSequence } from './requests/requestIterator.js';

/** Enough requests for V8 to optimise the send path; about 50 ms on this machine. */
const PRIME_REQUESTS = 300;
const PRIME_CONNECTIONS = 4;
const PRIME_TIMEOUT_MS = 2_000;

/**
 * Runs the load path (scheduler, request iterator, HTTP client and its parser, recorder) against a private
 * loopback server, so a test's first requests do not pay for cold code: unprimed, a fresh thread's
 * first requests reached the target 7–14 ms late, and the catch-up burst put 1.4 % (1k req/s) to 1.9 %
 * (20k req/s) too many requests in the first second (docs/decisions.md). Nothing reaches the target.
 * Resolves once the primer's server and connections are gone; never rejects (a prime is only an optimisation).
 */
export async function primeLoadPath(): Promise<void> {
  const server = createServer((_request, response) => response.end('primed'));
  let client: HttpClient | undefined;
  try {
    server.listen({ host: '127.0.0.1', port: 0 });
    await once(server, 'listening');
    const { port } = server.address() as AddressInfo;
    const requests = new RequestIterator([{ method: 'GET', url: `http://127.0.0.1:${port}/prime`, weight: 1 }], { driverId: 'primer', testId: 'primer', sequence: new RequestSequence() });
    client = new HttpClient(requests.origins, { connections: PRIME_CONNECTIONS, timeoutMs: PRIME_TIMEOUT_MS });
    const run = new LoadRun({ count: PRIME_REQUESTS, pacer: undefined, maxInFlight: PRIME_CONNECTIONS }, { client, requests, recorder: new Recorder() });
    await run.finished;
  } catch {
    // A thread that cannot listen on loopback still runs its test, only with a colder start.
  } finally {
    await client?.destroy().catch(() => undefined);
    server.closeAllConnections();
    server.close();
  }
}
