import type { IncomingMessage, OutgoingHttpHeaders, RequestListener, ServerResponse } from 'node:http';
import type { Logger } from '../log/logger.js';
import type { CounterSnapshot, LoadCounters } from './counters.js';
import {
  FAULT_QUERY_PARAMS,
  FaultSettingError,
  happensAtRate,
  hasFaults,
  pickDelayMs,
  resolveFaults,
  type FaultSettings,
} from './faults.js';
import { JOURNEY_PREFIX, serveJourneyApi } from './journeyApi.js';
import { TargetMetrics, wantsJson } from './metricsFormat.js';
import { performance } from 'node:perf_hooks';
import { QUEUE_PATH, ServiceQueues } from './serviceQueue.js';

/** Totals for /metrics: this process's counters, or in a cluster worker the sum the primary collects. */
export type ReadTotals = () => CounterSnapshot | Promise<CounterSnapshot>;

export type RouteDependencies = { faults: FaultSettings; counters: LoadCounters; readTotals: ReadTotals; logger: Logger };

type Prepared = { headers: OutgoingHttpHeaders; body: Buffer };

// /ping and injected errors are the hot path under load: their bytes and headers are built once.
const PONG = prepareJson('{"message":"pong"}');
const INJECTED_ERROR = prepareJson('{"error":"injected"}');

function prepareJson(text: string): Prepared {
  const body = Buffer.from(text);
  return { headers: { 'content-type': 'application/json', 'content-length': String(body.length) }, body };
}

function sendPrepared(res: ServerResponse, status: number, prepared: Prepared): void {
  res.writeHead(status, prepared.headers);
  res.end(prepared.body);
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  sendPrepared(res, status, prepareJson(JSON.stringify(value)));
}

export function createRequestHandler(deps: RouteDependencies): RequestListener {
  const defaultsAreFaultFree = !hasFaults(deps.faults);
  const metrics = new TargetMetrics();
  const queues = new ServiceQueues();
  return (req, res) => {
    const url = req.url ?? '/';
    const queryStart = url.indexOf('?');
    const path = queryStart === -1 ? url : url.slice(0, queryStart);
    const query = (): URLSearchParams => new URLSearchParams(queryStart === -1 ? '' : url.slice(queryStart + 1));
    if (path === '/metrics') {
      void serveMetrics(req, res, query(), deps, metrics);
      return;
    }
    deps.counters.track(res);
    if (path.startsWith(JOURNEY_PREFIX)) serveJourneyApi(req, res, path);
    else if (path === QUEUE_PATH) queues.serve(res, query(), performance.now());
    else if (path !== '/ping') sendJson(res, 404, { error: `no route for ${req.method ?? 'GET'} ${path}` });
    else if (queryStart === -1 && defaultsAreFaultFree) sendPrepared(res, 200, PONG);
    else servePingWithFaults(res, query(), deps.faults);
  };
}

function servePingWithFaults(res: ServerResponse, query: URLSearchParams, defaults: FaultSettings): void {
  let faults: FaultSettings;
  try {
    const raw = (key: keyof FaultSettings): string | undefined => query.get(FAULT_QUERY_PARAMS[key]) ?? undefined;
    faults = resolveFaults(defaults, raw, (key) => FAULT_QUERY_PARAMS[key]);
  } catch (error) {
    if (!(error instanceof FaultSettingError)) throw error;
    sendJson(res, 400, { error: error.message });
    return;
  }
  const delayMs = pickDelayMs(faults);
  if (delayMs === 0) {
    answerFaultyPing(res, faults);
    return;
  }
  const timer = setTimeout(answerFaultyPing, delayMs, res, faults);
  // A client that hangs up during the delay must not leave a timer writing to a dead socket.
  res.once('close', () => clearTimeout(timer));
}

function answerFaultyPing(res: ServerResponse, faults: FaultSettings): void {
  if (happensAtRate(faults.dropRate)) res.socket?.destroy();
  else if (happensAtRate(faults.errorRate)) sendPrepared(res, 500, INJECTED_ERROR);
  else sendPrepared(res, 200, PONG);
}

async function serveMetrics(req: IncomingMessage, res: ServerResponse, query: URLSearchParams, deps: RouteDependencies, metrics: TargetMetrics) {
  let totals: CounterSnapshot;
  try {
    totals = await deps.readTotals();
  } catch (error) {
    deps.logger.warn({ err: error }, 'metrics totals unavailable');
    sendJson(res, 503, { error: `metrics unavailable: ${(error as Error).message}` });
    return;
  }
  if (wantsJson(req, query)) {
    sendJson(res, 200, totals);
    return;
  }
  const body = Buffer.from(await metrics.render(totals));
  res.writeHead(200, { 'content-type': metrics.registry.contentType, 'content-length': String(body.length) });
  res.end(body);
}
