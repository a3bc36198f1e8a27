import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { performance } from 'node:perf_hooks';

/** A target that notes when each request arrived and how many were open at once. */
export type RecordingServer = {
  url: string;
  arrivals: number[];
  /** The request target (path and query) of each arrival, same order. */
  paths: string[];
  maxInFlight: () => number;
  close: () => Promise<void>;
};

/** How long to hold each response: fixed, or by when the request arrived (ms after the first arrival). */
export type ResponseDelay = number | ((sinceFirstArrivalMs: number) => number);

export async function startRecordingServer(responseDelay: ResponseDelay = 0): Promise<RecordingServer> {
  const arrivals: number[] = [];
  const paths: string[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const server: Server = createServer((req, res) => {
    const now = performance.now();
    arrivals.push(now);
    paths.push(req.url ?? '');
    inFlight += 1;
    const responseDelayMs = typeof responseDelay === 'number' ? responseDelay : responseDelay(now - arrivals[0]!);
    maxInFlight = Math.max(maxInFlight, inFlight);
    const answer = (): void => {
      inFlight -= 1;
      res.writeHead(200, { 'content-type': 'text/plain', 'content-length': '4' }).end('pong');
    };
    answerAfter(now + responseDelayMs, answer);
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping`,
    arrivals,
    paths,
    maxInFlight: () => maxInFlight,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/**
 * Calls `answer` once the monotonic clock reaches `dueMs`. A timer alone can fire up to a millisecond
 * early (libuv counts from the loop's cached time), which showed as latencies below the delay.
 */
function answerAfter(dueMs: number, answer: () => void): void {
  const remainingMs = dueMs - performance.now();
  if (remainingMs <= 0) answer();
  else setTimeout(() => answerAfter(dueMs, answer), Math.ceil(remainingMs));
}

/** A port with nothing listening on it: bound once to learn a free number, then released. */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}
