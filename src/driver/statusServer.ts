import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { DriverMetrics } from './driverMetrics.js';

export type DriverHealth = {
  nodeId: string;
  state: 'idle' | 'running';
  testId: string | null;
  /** Metrics reports stored in the outbox and not yet acknowledged by Kafka. */
  reportsPending: number;
};

/** What the status server answers from: /health's figures, and the Prometheus registry's text for /metrics. */
export type StatusSources = { health: () => DriverHealth; metrics: DriverMetrics };

export type StatusServer = { address: string; port: number; close(): Promise<void> };

/** A tiny HTTP server for /health and Prometheus /metrics; its address is the node_IP the driver registers. */
export async function startStatusServer(host: string, port: number, sources: StatusSources): Promise<StatusServer> {
  const server = createServer((req, res) => {
    answer(req, res, sources).catch((error: unknown) => send(res, 500, 'application/json', JSON.stringify({ error: `metrics unavailable: ${(error as Error).message}` })));
  });
  await listen(server, host, port);
  const bound = (server.address() as AddressInfo).port;
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    port: bound,
    close: () => closeServer(server),
  };
}

async function answer(req: IncomingMessage, res: ServerResponse, sources: StatusSources): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health') {
    const health = sources.health();
    send(res, 200, 'application/json', JSON.stringify({ status: 'ok', node_id: health.nodeId, state: health.state, test_id: health.testId, reports_pending: health.reportsPending }));
  } else if (path === '/metrics') {
    send(res, 200, sources.metrics.registry.contentType, await sources.metrics.text());
  } else {
    send(res, 404, 'application/json', JSON.stringify({ error: `no route for ${path ?? '/'}` }));
  }
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (error: Error) => reject(new Error(`driver status server cannot listen on ${host}:${port}: ${error.message}`, { cause: error })));
    server.listen({ host, port }, resolve);
  });
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
