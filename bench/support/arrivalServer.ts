import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

const NANOS_PER_MS = 1e6;
const PONG = Buffer.from('{"message":"pong"}');

/** A target that stamps each request's arrival on the monotonic clock: the ground truth for rates and gaps. */
export type ArrivalServer = {
  url: string;
  /** Arrival times in ms since the last `reset`. */
  arrivalsMs: () => number[];
  reset: () => void;
  close: () => Promise<void>;
};

export async function startArrivalServer(): Promise<ArrivalServer> {
  let arrivals: bigint[] = [];
  const server: Server = createServer({ keepAlive: true }, (_req, res) => {
    arrivals.push(process.hrtime.bigint());
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(PONG.length) }).end(PONG);
  });
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/ping`,
    arrivalsMs: () => {
      const first = arrivals[0] ?? 0n;
      return arrivals.map((t) => Number(t - first) / NANOS_PER_MS);
    },
    reset: () => {
      arrivals = [];
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank]!;
}

export function mean(values: number[]): number {
  return values.reduce((sum, v) => sum + v, 0) / values.length;
}
