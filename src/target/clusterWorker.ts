// Entry module of one target worker process, forked by cluster.ts through node:cluster.
import cluster from 'node:cluster';
import { createLogger } from '../log/logger.js';
import { LoadCounters, type CounterSnapshot } from './counters.js';
import { isProtocolMessage, PendingReplies, WORKER_CONFIG_ENV, type PrimaryMessage, type WorkerConfig, type WorkerMessage } from './clusterProtocol.js';
import { closeServer, createTargetHttpServer, listen, ListenError } from './targetServer.js';

// Longer than the primary's own wait for the workers, so its more precise error reaches the client.
const TOTALS_TIMEOUT_MS = 1_000;

const config = JSON.parse(process.env[WORKER_CONFIG_ENV] ?? 'null') as WorkerConfig | null;
if (!cluster.isWorker || !config) throw new Error(`clusterWorker.js must be forked by the target cluster primary with ${WORKER_CONFIG_ENV} set`);

const logger = createLogger('target', { worker: cluster.worker?.id });
const counters = new LoadCounters();
const totals = new PendingReplies<CounterSnapshot>(TOTALS_TIMEOUT_MS);
const server = createTargetHttpServer({ faults: config.faults, counters, readTotals: askPrimaryForTotals, logger });

function sendToPrimary(message: WorkerMessage, callback?: () => void): void {
  process.send?.(message, undefined, {}, callback);
}

function askPrimaryForTotals(): Promise<CounterSnapshot> {
  return totals.request('counter totals from the primary', (id) => sendToPrimary({ kind: 'totals-request', id }));
}

async function shutDown(): Promise<void> {
  // A shutdown can arrive before listen() finished, when a sibling worker failed to start.
  if (server.listening) await closeServer(server);
  logger.info('target worker stopped');
  process.exit(0);
}

process.on('message', (message: unknown) => {
  if (!isProtocolMessage<PrimaryMessage>(message)) return;
  if (message.kind === 'snapshot-request') sendToPrimary({ kind: 'snapshot', id: message.id, snapshot: counters.snapshot() });
  else if (message.kind === 'totals') totals.resolve(message.id, message.totals);
  else if (message.kind === 'totals-failed') totals.reject(message.id, new Error(message.reason));
  else if (message.kind === 'shutdown') void shutDown();
});

// The primary owns the lifecycle: Ctrl-C reaches the whole process group, and the primary then tells each worker to close.
process.on('SIGINT', () => undefined);
process.on('SIGTERM', () => undefined);

try {
  const port = await listen(server, config.host, config.port);
  logger.info({ port }, 'target worker listening');
} catch (error) {
  if (!(error instanceof ListenError)) throw error;
  sendToPrimary({ kind: 'listen-failed', address: error.address, reason: error.reason, code: error.code }, () => process.exit(1));
}
