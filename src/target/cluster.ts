import cluster, { type Worker } from 'node:cluster';
import { fileURLToPath } from 'node:url';
import type { Logger } from '../log/logger.js';
import { sumSnapshots, type CounterSnapshot } from './counters.js';
import { isProtocolMessage, PendingReplies, WORKER_CONFIG_ENV, type PrimaryMessage, type WorkerConfig, type WorkerMessage } from './clusterProtocol.js';
import type { FaultSettings } from './faults.js';
import { formatAddress, ListenError } from './targetServer.js';

export type TargetClusterOptions = { host: string; port: number; workers: number; faults: FaultSettings; logger: Logger };

export type TargetCluster = {
  url: string;
  port: number;
  /** Exact sums over all workers at the moment every worker answers. */
  counters(): Promise<CounterSnapshot>;
  close(): Promise<void>;
  /** Settles only if a worker dies while the cluster is running: its counts are lost, so totals are no longer exact. */
  failed: Promise<Error>;
};

const WORKER_ENTRY = fileURLToPath(new URL('./clusterWorker.js', import.meta.url));
const SNAPSHOT_TIMEOUT_MS = 500;
const WORKER_STOP_TIMEOUT_MS = 5_000;

/** N worker processes sharing one port through node:cluster; /metrics in any worker reports totals over all of them. */
export async function startTargetCluster(options: TargetClusterOptions): Promise<TargetCluster> {
  cluster.setupPrimary({ exec: WORKER_ENTRY, args: [] });
  const workers: Worker[] = [];
  const config: WorkerConfig = { host: options.host, port: options.port, faults: options.faults };
  try {
    const ports = await Promise.all(
      Array.from({ length: options.workers }, () => {
        const worker = cluster.fork({ [WORKER_CONFIG_ENV]: JSON.stringify(config) });
        workers.push(worker);
        return untilListening(worker, options);
      }),
    );
    return superviseCluster(workers, samePort(ports), options);
  } catch (error) {
    await Promise.all(workers.map(stopWorker));
    throw error;
  }
}

/** The primary shares one listening handle per address, port 0 included, so every worker must report the same port. */
function samePort(ports: number[]): number {
  const distinct = [...new Set(ports)];
  if (distinct.length !== 1) throw new Error(`target workers listen on different ports (${distinct.join(', ')}); cluster scheduling must be round-robin`);
  return distinct[0]!;
}

function untilListening(worker: Worker, options: TargetClusterOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!isProtocolMessage<WorkerMessage>(message) || message.kind !== 'listen-failed') return;
      settle(() => reject(new ListenError(message.address, message.reason, message.code)));
    };
    const onExit = (code: number | null, signal: string | null): void =>
      settle(() => reject(new Error(`target worker ${worker.id} exited (${signal ?? `code ${code}`}) before listening on ${formatAddress(options.host, options.port)}`)));
    const onListening = (address: { port: number }): void => settle(() => resolve(address.port));
    const settle = (outcome: () => void): void => {
      worker.off('message', onMessage).off('exit', onExit).off('listening', onListening);
      outcome();
    };
    worker.on('message', onMessage).on('exit', onExit).on('listening', onListening);
  });
}

function superviseCluster(workers: Worker[], port: number, options: TargetClusterOptions): TargetCluster {
  const snapshots = new PendingReplies<CounterSnapshot>(SNAPSHOT_TIMEOUT_MS);
  let closing = false;
  let reportFailure: (error: Error) => void = () => undefined;
  const failed = new Promise<Error>((resolve) => (reportFailure = resolve));

  const collectTotals = async (): Promise<CounterSnapshot> => {
    const all = workers.map((worker) =>
      snapshots.request(`counters of target worker ${worker.id}`, (id) => sendToWorker(worker, { kind: 'snapshot-request', id })),
    );
    return sumSnapshots(await Promise.all(all));
  };

  const answerTotals = async (worker: Worker, id: number): Promise<void> => {
    try {
      sendToWorker(worker, { kind: 'totals', id, totals: await collectTotals() });
    } catch (error) {
      sendToWorker(worker, { kind: 'totals-failed', id, reason: (error as Error).message });
    }
  };

  for (const worker of workers) {
    worker.on('message', (message: unknown) => {
      if (!isProtocolMessage<WorkerMessage>(message)) return;
      if (message.kind === 'snapshot') snapshots.resolve(message.id, message.snapshot);
      else if (message.kind === 'totals-request') void answerTotals(worker, message.id);
    });
    worker.once('exit', (code, signal) => {
      if (closing) return;
      const error = new Error(`target worker ${worker.id} (pid ${worker.process.pid}) exited unexpectedly (${signal ?? `code ${code}`})`);
      options.logger.error({ err: error }, 'target worker lost');
      reportFailure(error);
    });
  }

  return {
    url: `http://${formatAddress(options.host, port)}`,
    port,
    counters: collectTotals,
    close: async () => {
      closing = true;
      await Promise.all(workers.map(stopWorker));
    },
    failed,
  };
}

function sendToWorker(worker: Worker, message: PrimaryMessage): void {
  // A worker that already went away cannot answer; its request then times out with a message naming it.
  if (worker.isConnected()) worker.send(message);
}

function stopWorker(worker: Worker): Promise<void> {
  if (worker.isDead()) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => worker.process.kill('SIGKILL'), WORKER_STOP_TIMEOUT_MS);
    worker.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    sendToWorker(worker, { kind: 'shutdown' });
  });
}
