import { rootCertificates } from 'node:tls';
import { Pool, type buildConnector, type Dispatcher } from 'undici';
import { ConnectionStash } from './connectionStash.js';
import type { PreparedRequest } from './requests/requestIterator.js';
import { ERROR_SAMPLE_LIMITS } from '../protocol/errorSampleLimits.js';

/** How a request failed; `http_<status>` for answers not counted as success (>= 400, or outside `expect_status`). */
export type ErrorKind = `http_${number}` | 'timeout' | 'connection_refused' | 'connection_reset' | 'connection_error' | 'tls' | 'other';

/**
 * `status` is 0 when no response came; `bytes` counts the response body received; `errorMessage`: what
 * went wrong in words (the socket's or TLS layer's text, the status line), for samples.
 */
export type RequestOutcome = { ok: boolean; status: number; bytes: number; errorKind?: ErrorKind; errorMessage?: string };

/**
 * A flow step's outcome: the response's headers as undici parsed them (lower-cased names; a header sent more than
 * once, such as `set-cookie`, is a string[]; empty when no response came) and the body's first bytes as UTF-8
 * (`bytes` still counts the whole body; `bodyTruncated` when more came than was kept). A request that failed or
 * timed out mid-response keeps what had come.
 */
export type CapturedOutcome = RequestOutcome & { headers: Record<string, string | string[] | undefined>; body: string; bodyTruncated: boolean };

/** Captures and checks read at most this prefix of a body; the rest is counted, not kept. */
export const FLOW_BODY_LIMIT_BYTES = 64 * 1024;

export type TlsOptions = {
  /** Accept any certificate (self-signed targets). */
  insecure: boolean;
  /** PEM certificates of private CAs to trust besides the system's. */
  ca?: string | Buffer | undefined;
};

export type HttpClientOptions = {
  /** Keep-alive connections to each origin: the most requests on the wire at once per origin. */
  connections: number;
  /** Per request: from the send until the last byte of the response. */
  timeoutMs: number;
  tls?: TlsOptions | undefined;
};

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);
/** OpenSSL's certificate verdicts and Node's TLS errors. */
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'EPROTO']);
const TLS_CODE_PREFIXES = ['ERR_TLS_', 'ERR_SSL_'];

/** The longest a test's start waits for its connections to open. */
const PRECONNECT_WAIT_MS = 1_000;
/**
 * Connections opened ahead per origin, at most: a test may allow 100,000 in flight, and opening that
 * many at once would exhaust file descriptors before the first request. Beyond it, the pool connects on demand.
 */
export const PRECONNECT_MAX_CONNECTIONS = 128;

/**
 * Requests over one undici Pool per origin (keep-alive). `dispatch` with a plain handler is used instead
 * of `request`: it skips the body stream and measured about 20% more requests per second on loopback.
 * undici's own timeouts are coarse (about a second) and restart per body chunk, so each request's
 * deadline is ours: a timer per request ends it at `timeoutMs` and destroys its connection (measured as
 * cheap as one deadline queue swept by one timer, docs/decisions.md).
 */
export class HttpClient {
  private readonly pools: Pool[];
  private readonly stashes: ConnectionStash[];
  private readonly connections: number;
  private readonly timeoutMs: number;
  private readonly timedOut: RequestOutcome;

  constructor(
    readonly origins: readonly string[],
    options: HttpClientOptions,
  ) {
    if (origins.length === 0) throw new Error('HttpClient needs at least one origin');
    this.stashes = origins.map((origin) => new ConnectionStash(new URL(origin), connectOptions(origin, options)));
    this.pools = origins.map((origin, index) => createPool(origin, options, this.stashes[index]!));
    this.connections = options.connections;
    this.timeoutMs = options.timeoutMs;
    this.timedOut = { ok: false, status: 0, bytes: 0, errorKind: 'timeout', errorMessage: `no complete response within ${options.timeoutMs} ms` };
  }

  /** Never rejects: every failure comes back as an outcome with its kind. */
  send(request: PreparedRequest): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      const pool = this.pools[request.originIndex];
      if (!pool) throw new Error(`no connection pool for origin #${request.originIndex}`);
      pool.dispatch(
        { path: request.path, method: request.method, headers: request.headers, body: request.body },
        new OutcomeHandler(resolve, this.timeoutMs, this.timedOut, request.expect),
      );
    });
  }

  /**
   * `send` for flow steps: the same pool, deadline and verdict, plus the response's headers and the first
   * `bodyLimit` bytes of its body (FLOW_BODY_LIMIT_BYTES). Never rejects.
   */
  sendCapturing(request: PreparedRequest, bodyLimit: number): Promise<CapturedOutcome> {
    return new Promise((resolve) => {
      const pool = this.pools[request.originIndex];
      if (!pool) throw new Error(`no connection pool for origin #${request.originIndex}`);
      pool.dispatch(
        { path: request.path, method: request.method, headers: request.headers, body: request.body },
        new CapturingHandler(resolve, bodyLimit, this.timeoutMs, this.timedOut, request.expect),
      );
    });
  }

  /**
   * Opens every origin's connections (up to PRECONNECT_MAX_CONNECTIONS) before the clock starts, waiting at
   * most `maxWaitMs`: a target that does not answer delays the start by no more than that, and its
   * requests then report the failure.
   */
  async preconnect(maxWaitMs = PRECONNECT_WAIT_MS): Promise<void> {
    const count = Math.min(this.connections, PRECONNECT_MAX_CONNECTIONS);
    await Promise.all(this.stashes.map((stash) => stash.fill(count, maxWaitMs)));
  }

  /** Waits for requests on the wire to finish. */
  async close(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.close()));
    for (const stash of this.stashes) stash.destroy();
  }

  /** Fails every request still queued or on the wire at once. */
  async destroy(): Promise<void> {
    await Promise.all(this.pools.map((pool) => pool.destroy()));
    for (const stash of this.stashes) stash.destroy();
  }
}

function createPool(origin: string, options: HttpClientOptions, stash: ConnectionStash): Pool {
  return new Pool(origin, {
    connections: options.connections,
    pipelining: 1,
    // Our deadline covers headers and body; undici's would only arm a second timer per request.
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: stash.connector,
  });
}

/** What undici's pool would build its connector from: the connect timeout, and TLS trust for https. */
function connectOptions(origin: string, options: HttpClientOptions): buildConnector.BuildOptions {
  const tls = options.tls;
  const trust = tls && origin.startsWith('https:') ? { rejectUnauthorized: !tls.insecure, ...(tls.ca === undefined ? {} : { ca: withSystemRoots(tls.ca) }) } : {};
  return { timeout: options.timeoutMs, ...trust };
}

/** Node's `ca` replaces the system's roots: a private CA is trusted besides them, not instead. */
function withSystemRoots(ca: string | Buffer): string[] {
  return [...rootCertificates, ca.toString()];
}

/** Reads the whole response (the body is discarded) and settles once: answered, failed or out of time. */
class OutcomeHandler implements Dispatcher.DispatchHandler {
  protected settled = false;
  private status = 0;
  private bytes = 0;
  private statusMessage = '';
  private controller: Dispatcher.DispatchController | undefined;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly settle: (outcome: RequestOutcome) => void,
    timeoutMs: number,
    private readonly timedOut: RequestOutcome,
    private readonly expect: ReadonlySet<number> | undefined,
  ) {
    this.timer = setTimeout(expireRequest, timeoutMs, this);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    // Out of time while still queued in the pool: it must not go on the wire at all.
    if (this.settled) controller.abort(new RequestTimeoutError(this.timedOut));
    else this.controller = controller;
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, _headers: unknown, statusMessage?: string): void {
    this.status = statusCode;
    this.statusMessage = statusMessage ?? '';
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.bytes += chunk.length;
  }

  onResponseEnd(): void {
    const { status, bytes } = this;
    const ok = this.expect ? this.expect.has(status) : status < 400;
    this.finish(ok ? { ok, status, bytes } : { ok, status, bytes, errorKind: `http_${status}`, errorMessage: `${status} ${this.statusMessage}`.trim() });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.finish({ ok: false, status: this.status, bytes: this.bytes, errorKind: classifyError(error), errorMessage: describeError(error) });
  }

  /** Settles as a timeout first, so the abort's own error is ignored; the abort destroys the connection. */
  expire(): void {
    if (this.settled) return;
    const controller = this.controller;
    this.finish(this.timedOut);
    controller?.abort(new RequestTimeoutError(this.timedOut));
  }

  protected finish(outcome: RequestOutcome): void {
    if (this.settled) return;
    this.settled = true;
    this.controller = undefined;
    clearTimeout(this.timer);
    this.settle(outcome);
  }
}

/** OutcomeHandler that also keeps the headers and the body's first `bodyLimit` bytes. */
const NO_HEADERS: CapturedOutcome['headers'] = Object.freeze({});

class CapturingHandler extends OutcomeHandler {
  private headers: CapturedOutcome['headers'] | undefined;
  /** Made at the first kept chunk: most flow steps keep none (bodyLimit 0). */
  private chunks: Buffer[] | undefined;
  private kept = 0;
  private truncated = false;

  constructor(
    settle: (outcome: CapturedOutcome) => void,
    private readonly bodyLimit: number,
    timeoutMs: number,
    timedOut: RequestOutcome,
    expect: ReadonlySet<number> | undefined,
  ) {
    // Every outcome reaches `settle` through `finish`, which this class overrides to add the capture.
    super(settle as (outcome: RequestOutcome) => void, timeoutMs, timedOut, expect);
  }

  /** undici's parse of the raw headers, a new object per response (the last one after any 1xx). */
  override onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: CapturedOutcome['headers'], statusMessage?: string): void {
    super.onResponseStart(controller, statusCode, headers, statusMessage);
    this.headers = headers;
  }

  /** undici's chunks are views of the socket's reads, never reused: kept as they are, up to the limit. */
  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    super.onResponseData(controller, chunk);
    if (this.truncated) return;
    const room = this.bodyLimit - this.kept;
    if (chunk.length > room) {
      this.truncated = true;
      if (room <= 0) return;
      chunk = chunk.subarray(0, room);
    }
    (this.chunks ??= []).push(chunk);
    this.kept += chunk.length;
  }

  protected override finish(outcome: RequestOutcome): void {
    if (this.settled) return;
    const { chunks } = this;
    const body = chunks === undefined ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.kept).toString('utf8');
    this.chunks = undefined;
    // Written out rather than spread: a spread outcome cost 7 % of a one-step flow's CPU in a profile.
    const captured: CapturedOutcome = { ok: outcome.ok, status: outcome.status, bytes: outcome.bytes, errorKind: outcome.errorKind, errorMessage: outcome.errorMessage, headers: this.headers ?? NO_HEADERS, body, bodyTruncated: this.truncated };
    super.finish(captured);
  }
}

function expireRequest(handler: OutcomeHandler): void {
  handler.expire();
}

class RequestTimeoutError extends Error {
  readonly code = 'ETIMEDOUT';

  constructor(outcome: RequestOutcome) {
    super(outcome.errorMessage);
  }
}

export function classifyError(error: unknown): ErrorKind {
  const code = errorCode(error);
  if (code === undefined) return 'other';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (TLS_CODES.has(code) || TLS_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) return 'tls';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (RESET_CODES.has(code)) return 'connection_reset';
  if (code.startsWith('E') || code.startsWith('UND_ERR_')) return 'connection_error';
  return 'other';
}

/** The error's text with its cause's (undici wraps socket errors), cut to the wire's sample length. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  for (let current: unknown = error, depth = 0; current !== undefined && current !== null && depth < 3; depth++) {
    const { message, code } = current as { message?: unknown; code?: unknown };
    const text = typeof message === 'string' && message !== '' ? message : String(current);
    const withCode = typeof code === 'string' && !text.includes(code) ? `${code}: ${text}` : text;
    if (!parts.includes(withCode)) parts.push(withCode);
    current = (current as { cause?: unknown }).cause;
  }
  return parts.join(': ').slice(0, ERROR_SAMPLE_LIMITS.length);
}

/** undici wraps socket errors: the errno code may sit on the error or on its cause. */
function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && own !== 'UND_ERR_SOCKET') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === 'string') return cause;
  return typeof own === 'string' ? own : undefined;
}
