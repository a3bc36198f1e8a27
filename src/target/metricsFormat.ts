import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import { scrapedMetric } from '../metrics/scrapedMetric.js';
import type { CounterSnapshot } from './counters.js';

/**
 * The target's Prometheus exposition: the load counters only, no process metrics (with --workers the
 * answering worker is any one of several processes, while the counters are the cluster's sums).
 */
export class TargetMetrics {
  readonly registry = new Registry();
  #totals: CounterSnapshot = { requests_received: 0, responses_sent: 0, in_flight: 0 };

  constructor() {
    const registry = this.registry;
    scrapedMetric(Counter, { registry, name: 'requests_received_total', help: 'Requests received, excluding requests to /metrics.', labelNames: [], values: () => [[{}, this.#totals.requests_received]] });
    scrapedMetric(Counter, { registry, name: 'responses_sent_total', help: 'Responses whose body was fully written, excluding /metrics.', labelNames: [], values: () => [[{}, this.#totals.responses_sent]] });
    scrapedMetric(Gauge, { registry, name: 'in_flight', help: 'Requests received whose response is not finished yet.', labelNames: [], values: () => [[{}, this.#totals.in_flight]] });
  }

  /** The totals are read (maybe from the cluster's primary) before the call, so taking them and serializing happen in one turn. */
  render(totals: CounterSnapshot): Promise<string> {
    this.#totals = totals;
    return this.registry.metrics();
  }
}

/** ?format=json wins; otherwise an Accept header naming application/json asks for JSON. */
export function wantsJson(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format !== null) return format === 'json';
  return req.headers.accept?.includes('application/json') ?? false;
}
