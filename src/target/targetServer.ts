import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../log/logger.js';
import { LoadCounters, type CounterSnapshot } from './counters.js';
import { NO_FAULTS, type FaultSettings } from './faults.js';
import { createRequestHandler, type RouteDependencies } from './routes.js';

export type TargetServerOptions = { host?: string; port?: number; faults?: FaultSettings; logger?: Logger };

export type TargetServer = {
  url: string;
  port: number;
  counters(): CounterSnapshot;
  close(): Promise<void>;
};

// Above the 60 s idle timeout common in load balancers and clients, so the server is never the side that drops first.
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
const HEADERS_TIMEOUT_MS = 66_000;
// Busy keep-alive connections get this long to finish their response when the server closes.
const CLOSE_GRACE_MS = 1_000;
const LISTEN_BACKLOG = 1_024;

/** Binding failed (address in use, not available, no permission); the message names the address. */
export class ListenError extends Error {
  override readonly name = 'ListenError';
  constructor(
    readonly address: string,
    readonly reason: string,
    readonly code?: string,
  ) {
    super(`cannot listen on ${address}: ${reason}`);
  }
}

export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

export function createTargetHttpServer(deps: RouteDependencies): Server {
  const server = createServer({ keepAlive: true }, createRequestHandler(deps));
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  server.headersTimeout = HEADERS_TIMEOUT_MS;
  server.maxRequestsPerSocket = 0; // unlimited: a load generator reuses its connections for the whole run
  return server;
}

/** Resolves with the bound port (the real one when `port` is 0). */
export function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      const reason = error.code === 'EADDRINUSE' ? 'address already in use' : error.message;
      reject(new ListenError(formatAddress(host, port), reason, error.code));
    };
    server.once('error', onError);
    server.listen({ host, port, backlog: LISTEN_BACKLOG }, () => {
      server.off('error', onError);
      resolve((server.address() as AddressInfo).port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    const forceClose = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS).unref();
    server.close((error) => {
      clearTimeout(forceClose);
      if (error) reject(error);
      else resolve();
    });
    // Idle keep-alive connections would otherwise hold close() open for the whole keep-alive timeout.
    server.closeIdleConnections();
  });
}

/** A single-process target (no cluster), for the CLI with one worker and for embedding in tests and benchmarks. */
export async function startTargetServer(options: TargetServerOptions = {}): Promise<TargetServer> {
  const host = options.host ?? '127.0.0.1';
  const counters = new LoadCounters();
  const logger = options.logger ?? createLogger('target');
  const readTotals = (): CounterSnapshot => counters.snapshot();
  const server = createTargetHttpServer({ faults: options.faults ?? NO_FAULTS, counters, readTotals, logger });
  const port = await listen(server, host, options.port ?? 0);
  return {
    url: `http://${formatAddress(host, port)}`,
    port,
    counters: readTotals,
    close: () => closeServer(server),
  };
}
