import { performance } from 'node:perf_hooks';
import { PRECONNECT_MAX_CONNECTIONS, type CapturedOutcome, type HttpClientOptions, type RequestOutcome } from '../requestOutcome.js';
import type { PreparedRequest } from '../requests/requestIterator.js';
import { OriginPool } from './originPool.js';
import { CapturingRequest, PendingRequest } from './pendingRequest.js';
import { KeptHeaders } from './responseParser.js';

/** The longest a test's start waits for its connections to open. */
const PRECONNECT_WAIT_MS = 1_000;

/**
 * The promise executor is one module function that hands its resolve over here, so a send makes no
 * closure: `send` reads it right after `new Promise` returns (the executor runs synchronously).
 */
let handedResolve: ((outcome: never) => void) | undefined;
function handOverResolve(resolve: (outcome: never) => void): void {
  handedResolve = resolve;
}

/**
 * The driver's HTTP/1.1 client on node:net and node:tls (docs/decisions.md, "Our own HTTP/1.1 engine").
 * One OriginPool per origin (keep-alive connections, FIFO queue), one request buffer per send
 * (made once for a request without templates), reads parsed in place from one shared buffer, one
 * re-armed timer per connection for the deadlines.
 */
export class HttpClient {
  private readonly pools: OriginPool[];
  private readonly connections: number;
  private readonly timeoutMs: number;
  private readonly timedOut: RequestOutcome;

  constructor(
    readonly origins: readonly string[],
    options: HttpClientOptions,
  ) {
    if (origins.length === 0) throw new Error('HttpClient needs at least one origin');
    const pipelining = options.pipelining ?? 1;
    if (!Number.isInteger(pipelining) || pipelining < 1) throw new Error(`HttpClient: pipelining must be a whole number >= 1, not ${pipelining}`);
    this.pools = origins.map((origin) => new OriginPool(origin, { ...options, pipelining }));
    this.connections = options.connections;
    this.timeoutMs = options.timeoutMs;
    this.timedOut = { ok: false, status: 0, bytes: 0, errorKind: 'timeout', errorMessage: `no complete response within ${options.timeoutMs} ms` };
  }

  /** Never rejects: every failure comes back as an outcome with its kind. */
  send(request: PreparedRequest): Promise<RequestOutcome> {
    const pool = this.poolFor(request);
    const promise = new Promise<RequestOutcome>(handOverResolve);
    const now = performance.now();
    pool.send(new PendingRequest(request, now + this.timeoutMs, this.timedOut, handedResolve as (outcome: RequestOutcome) => void), now);
    return promise;
  }

  /**
   * `send` for flow steps: the same pool, deadline and verdict, plus the response's `keptHeaders` and the
   * first `bodyLimit` bytes of its body (FLOW_BODY_LIMIT_BYTES). Never rejects.
   */
  sendCapturing(request: PreparedRequest, bodyLimit: number, keptHeaders = KeptHeaders.ALL): Promise<CapturedOutcome> {
    const pool = this.poolFor(request);
    const promise = new Promise<CapturedOutcome>(handOverResolve);
    const now = performance.now();
    pool.send(new CapturingRequest(request, now + this.timeoutMs, this.timedOut, handedResolve as (outcome: CapturedOutcome) => void, bodyLimit, keptHeaders), now);
    return promise;
  }

  /**
   * Opens every origin's connections (up to PRECONNECT_MAX_CONNECTIONS) before the clock starts, waiting at
   * most `maxWaitMs`: a target that does not answer delays the start by no more than that, and its
   * requests then report the failure.
   */
  async preconnect(maxWaitMs = PRECONNECT_WAIT_MS): Promise<void> {
    const count = Math.min(this.connections, PRECONNECT_MAX_CONNECTIONS);
    await Promise.all(this.pools.map((pool) => pool.preconnect(count, maxWaitMs)));
  }

  /** Waits for requests already sent to finish, then closes every connection; later sends fail. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
  }

  /** Fails every request still queued or on the wire at once. */
  async destroy(): Promise<void> {
    for (const pool of this.pools) pool.destroy();
  }

  private poolFor(request: PreparedRequest): OriginPool {
    const pool = this.pools[request.originIndex];
    if (!pool) throw new Error(`no connection pool for origin #${request.originIndex} (the client has ${this.pools.length})`);
    return pool;
  }
}
