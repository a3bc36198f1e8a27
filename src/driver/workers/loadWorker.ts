import { performance } from 'node:perf_hooks';
import { parentPort, workerData } from 'node:worker_threads';
import type { TestPhase } from '../../protocol/index.js';
import { HttpClient } from '../http1/httpClient.js';
import { loadPlanFor, warmupPlanFor } from '../load/index.js';
import { primeLoadPath } from '../loadPrimer.js';
import { LoadRun } from '../loadRun.js';
import { Recorder } from '../recorder.js';
import { RequestIterator, RequestSequence } from '../requests/requestIterator.js';
import { lanePlan } from './lanePlan.js';
import type { FromLoadWorker, LoadWorkerData, ToLoadWorker } from './messages.js';

/**
 * A load worker: runs its lane of each phase's plan on its own event loop and connections, and posts its
 * figures to the driver's main thread, which does all reporting, Kafka and storage.
 */
const setup = workerData as LoadWorkerData;
const port = parentPort;
if (!port) throw new Error('loadWorker.js runs only as a worker thread');

const pipelining = setup.config.pipelining ?? 1;
const client = new HttpClient(iteratorFor(0).origins, {
  connections: Math.ceil(setup.connections / pipelining),
  pipelining,
  timeoutMs: setup.timeoutMs,
  tls: { insecure: setup.tls.insecure, ca: setup.tls.ca && Buffer.from(setup.tls.ca) },
});
let running: { load: LoadRun; figuresTimer: NodeJS.Timeout } | undefined;

function post(message: FromLoadWorker): void {
  port?.postMessage(message);
}

function iteratorFor(firstSeq: number): RequestIterator {
  const { lane } = setup;
  const sequence = new RequestSequence(firstSeq + lane.index, lane.count);
  return new RequestIterator(setup.requests, { driverId: setup.nodeId, testId: setup.config.test_id, sequence, lane });
}

function start(phase: TestPhase, startAtEpochMs: number, firstSeq: number): void {
  const { config, concurrency, lane } = setup;
  const plan = phase === 'warmup' ? warmupPlanFor(config, concurrency) : loadPlanFor(config, concurrency);
  if (!plan) throw new Error(`load worker ${lane.index}: the test has no ${phase}`);
  const recorder = new Recorder(setup.names);
  const load = new LoadRun(lanePlan(plan, lane), { client, requests: iteratorFor(firstSeq), recorder, startAtMs: startAtEpochMs - performance.timeOrigin });
  const figuresTimer = setInterval(() => post({ type: 'figures', phase, figures: recorder.snapshot(), inFlight: load.inFlight }), setup.figuresEveryMs);
  running = { load, figuresTimer };
  void load.finished.then(() => {
    clearInterval(figuresTimer);
    post({ type: 'finished', phase, figures: recorder.snapshot(), started: load.started });
  });
}

async function close(): Promise<void> {
  if (running) clearInterval(running.figuresTimer);
  running?.load.stop();
  await client.destroy();
  port?.close();
}

port.on('message', (message: ToLoadWorker) => {
  if (message.type === 'start') start(message.phase, message.startAtEpochMs, message.firstSeq);
  else if (message.type === 'stop') running?.load.stop();
  else if (message.type === 'steer') running?.load.steer({ atMs: message.atEpochMs - performance.timeOrigin, rate: message.rate, paused: message.paused });
  else void close();
});
await primeLoadPath();
await client.preconnect();
post({ type: 'ready' });
