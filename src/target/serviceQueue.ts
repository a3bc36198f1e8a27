import type { ServerResponse } from 'node:http';

/** The path of a route that serves at a known capacity: `/queue?rps=N`. */
export const QUEUE_PATH = '/queue';
const MAX_RPS = 1_000_000;
const BODY = Buffer.from('{"message":"served"}');
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

/**
 * A server of known capacity, for capacity searches: every request to `/queue?rps=N` waits in one FIFO
 * queue (per N, per target process) served at exactly N requests per second, so its latency is flat
 * below N and grows without bound above it.
 */
export class ServiceQueues {
  /** Per rate: when the queue's server is next free (ms, performance clock). */
  readonly #nextFreeAt = new Map<number, number>();

  serve(res: ServerResponse, query: URLSearchParams, nowMs: number): void {
    const rps = Number(query.get('rps'));
    if (!(rps > 0 && rps <= MAX_RPS)) {
      const body = JSON.stringify({ error: `rps must be a number above 0 and at most ${MAX_RPS}, as in ${QUEUE_PATH}?rps=200` });
      res.writeHead(400, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)) }).end(body);
      return;
    }
    const doneAt = Math.max(nowMs, this.#nextFreeAt.get(rps) ?? 0) + 1000 / rps;
    this.#nextFreeAt.set(rps, doneAt);
    setTimeout(answer, Math.max(0, doneAt - nowMs), res);
  }
}

function answer(res: ServerResponse): void {
  if (!res.destroyed) res.writeHead(200, HEADERS).end(BODY);
}
