import type { IncomingMessage } from 'node:http';
import { Counter, Gauge, Registry } from 'prom-client';
import type { CounterSnapshot } from './counters.js';

/**
 * The target's Prometheus exposition: the load counters only, no process metrics (with --workers the
 * answering worker is any one of several processes, while the counters are the cluster's sums).
 */
export class TargetMetrics {
  readonly registry = new Registry();
  private readonly received = new Counter({ name: 'requests_received_total', help: 'Requests received, excluding requests to /metrics.', registers: [this.registry] });
  private readonly sent = new Counter({ name: 'responses_sent_total', help: 'Responses whose body was fully written, excluding /metrics.', registers: [this.registry] });
  private readonly inFlight = new Gauge({ name: 'in_flight', help: 'Requests received whose response is not finished yet.', registers: [this.registry] });

  /** The totals are read (maybe from the cluster's primary) before the call, so copying them in and serializing happen in one turn. */
  render(totals: CounterSnapshot): Promise<string> {
    copyTotal(this.received, totals.requests_received);
    copyTotal(this.sent, totals.responses_sent);
    this.inFlight.set(totals.in_flight);
    return this.registry.metrics();
  }
}

function copyTotal(counter: Counter, total: number): void {
  counter.reset();
  counter.inc(total);
}

/** ?format=json wins; otherwise an Accept header naming application/json asks for JSON. */
export function wantsJson(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format !== null) return format === 'json';
  return req.headers.accept?.includes('application/json') ?? false;
}
