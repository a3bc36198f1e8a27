import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isMainThread, parentPort, Worker } from 'node:worker_threads';

const NANOS_PER_MS = 1e6;
const PONG = Buffer.from('{"message":"pong"}');

/**
 * A target that stamps each request's arrival on the monotonic clock: the ground truth for rates and gaps.
 * It runs in a worker thread of its own, so the bench's Kafka consumer and figure-crunching never delay
 * a stamp (on the bench's event loop, every 500 ms report it decoded showed as a 1–3 ms gap error).
 */
export type ArrivalServer = {
  url: string;
  /** Arrival times in ms since the first arrival after the last `reset`. */
  arrivalsMs: () => Promise<number[]>;
  reset: () => Promise<void>;
  close: () => Promise<void>;
};

type Request = { type: 'arrivals' | 'reset' };

export async function startArrivalServer(): Promise<ArrivalServer> {
  const worker = new Worker(new URL(import.meta.url));
  const [port] = (await once(worker, 'message')) as [number];
  const ask = async <T>(request: Request): Promise<T> => {
    const answer = once(worker, 'message');
    worker.postMessage(request);
    return ((await answer) as [T])[0];
  };
  return {
    url: `http://127.0.0.1:${port}/ping`,
    arrivalsMs: async () => {
      const arrivals = await ask<bigint[]>({ type: 'arrivals' });
      const first = arrivals[0] ?? 0n;
      return arrivals.map((t) => Number(t - first) / NANOS_PER_MS);
    },
    reset: () => ask<undefined>({ type: 'reset' }),
    close: async () => {
      await worker.terminate();
    },
  };
}

/** The worker's side: the server, and answers to the bench's requests for the stamps. */
async function serveArrivals(): Promise<void> {
  let arrivals: bigint[] = [];
  const server = createServer({ keepAlive: true }, (_req, res) => {
    arrivals.push(process.hrtime.bigint());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(PONG.length) }).end(PONG);
  });
  server.keepAliveTimeout = 65_000;
  server.listen({ host: '127.0.0.1', port: 0 });
  await once(server, 'listening');
  parentPort!.on('message', (request: Request) => {
    if (request.type === 'arrivals') parentPort!.postMessage(arrivals);
    else {
      arrivals = [];
      parentPort!.postMessage(undefined);
    }
  });
  parentPort!.postMessage((server.address() as AddressInfo).port);
}

if (!isMainThread && parentPort) await serveArrivals();

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
