import type { IncomingMessage } from 'node:http';
import type { CounterSnapshot } from './counters.js';

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function renderPrometheus(totals: CounterSnapshot): string {
  return [
    '# HELP requests_received_total Requests received, excluding requests to /metrics.',
    '# TYPE requests_received_total counter',
    `requests_received_total ${totals.requests_received}`,
    '# HELP responses_sent_total Responses whose body was fully written, excluding /metrics.',
    '# TYPE responses_sent_total counter',
    `responses_sent_total ${totals.responses_sent}`,
    '# HELP in_flight Requests received whose response is not finished yet.',
    '# TYPE in_flight gauge',
    `in_flight ${totals.in_flight}`,
    '',
  ].join('\n');
}

/** ?format=json wins; otherwise an Accept header naming application/json asks for JSON. */
export function wantsJson(req: IncomingMessage, query: URLSearchParams): boolean {
  const format = query.get('format');
  if (format !== null) return format === 'json';
  return req.headers.accept?.includes('application/json') ?? false;
}
