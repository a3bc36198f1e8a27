import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type DriverStatus = {
  nodeId: string;
  state: 'idle' | 'running';
  testId: string | null;
  sent: number;
  completed: number;
  errors: Record<string, number>;
  /** Commands not obeyed for want of a valid signature, by reason. */
  commandsRefused: Record<string, number>;
  /** Metrics reports stored in the outbox and not yet acknowledged by Kafka. */
  reportsPending: number;
};

export type StatusServer = { address: string; port: number; close(): Promise<void> };

/** A tiny HTTP server for /health and Prometheus /metrics; its address is the node_IP the driver registers. */
export async function startStatusServer(host: string, port: number, status: () => DriverStatus): Promise<StatusServer> {
  const server = createServer((req, res) => answer(req, res, status()));
  await listen(server, host, port);
  const bound = (server.address() as AddressInfo).port;
  return {
    address: host.includes(':') ? `[${host}]:${bound}` : `${host}:${bound}`,
    port: bound,
    close: () => closeServer(server),
  };
}

function answer(req: IncomingMessage, res: ServerResponse, status: DriverStatus): void {
  const path = (req.url ?? '/').split('?')[0];
  if (path === '/health') send(res, 200, 'application/json', JSON.stringify({ status: 'ok', node_id: status.nodeId, state: status.state, test_id: status.testId, reports_pending: status.reportsPending }));
  else if (path === '/metrics') send(res, 200, 'text/plain; version=0.0.4; charset=utf-8', prometheusText(status));
  else send(res, 404, 'application/json', JSON.stringify({ error: `no route for ${path ?? '/'}` }));
}

function send(res: ServerResponse, code: number, contentType: string, body: string): void {
  res.writeHead(code, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function prometheusText(status: DriverStatus): string {
  const node = `node_id="${status.nodeId}"`;
  const lines = [
    '# HELP stampede_driver_requests_sent_total Requests sent to the target, all tests.',
    '# TYPE stampede_driver_requests_sent_total counter',
    `stampede_driver_requests_sent_total{${node}} ${status.sent}`,
    '# HELP stampede_driver_requests_completed_total Requests with a response or a recorded error, all tests.',
    '# TYPE stampede_driver_requests_completed_total counter',
    `stampede_driver_requests_completed_total{${node}} ${status.completed}`,
    '# HELP stampede_driver_request_errors_total Failed requests by kind, all tests.',
    '# TYPE stampede_driver_request_errors_total counter',
    ...Object.entries(status.errors).map(([kind, count]) => `stampede_driver_request_errors_total{${node},kind="${kind}"} ${count}`),
    '# HELP stampede_driver_commands_refused_total Commands (test_config, trigger, control) refused for a missing, wrong, stale or replayed signature.',
    '# TYPE stampede_driver_commands_refused_total counter',
    ...Object.entries(status.commandsRefused).map(([reason, count]) => `stampede_driver_commands_refused_total{${node},reason="${reason}"} ${count}`),
    '# HELP stampede_driver_running 1 while a test runs.',
    '# TYPE stampede_driver_running gauge',
    `stampede_driver_running{${node}} ${status.state === 'running' ? 1 : 0}`,
    '# HELP stampede_driver_reports_pending Metrics reports in the outbox not yet acknowledged by Kafka.',
    '# TYPE stampede_driver_reports_pending gauge',
    `stampede_driver_reports_pending{${node}} ${status.reportsPending}`,
  ];
  return `${lines.join('\n')}\n`;
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
