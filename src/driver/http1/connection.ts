import type { Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import type { OriginPool } from './originPool.js';
import type { PendingRequest } from './pendingRequest.js';
import { ResponseParser, type ResponseListener, type ResponseParseError } from './responseParser.js';

/** How long an idle connection is reused without a Keep-Alive hint from the server (undici's default). */
const DEFAULT_IDLE_LIMIT_MS = 4_000;
/** A server's Keep-Alive hint less this margin: a request must not cross the server's close on the wire (undici's). */
const KEEP_ALIVE_HINT_MARGIN_MS = 2_000;
const MAX_IDLE_LIMIT_MS = 600_000;

const enum ConnectionState {
  Connecting,
  Open,
  Closed,
}

/** A failure of the connection itself; `code` is an errno name, which classifyError sorts. */
export class ConnectionError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ConnectionError';
  }
}

/**
 * One socket to an origin: writes each request as one buffer, reads responses through one parser, and
 * answers each request once (response, failure or deadline). One request in flight, or up to the pool's
 * `pipelining`; kept open between requests unless the server closes it.
 */
export class Connection implements ResponseListener {
  /** In the pool's list of connections that can take a request now. */
  listed = false;
  /** performance.now() when it last went idle; 0 until its first response (a preconnected connection waits as long as the server keeps it). */
  private idleSince = 0;
  private readonly socket: Socket;
  private readonly parser = new ResponseParser(this);
  /** Requests written and not yet answered, oldest first: the first is the one the parser reads for. */
  private readonly inFlight: PendingRequest[] = [];
  /** Requests sent again after a stale connection dropped them: they go first on this fresh connection, and on no other. */
  private reserved: PendingRequest[] | undefined;
  private state = ConnectionState.Connecting;
  /** False once a response said the connection closes after it. */
  private reusable = true;
  /** Set once the connect's own turn is over: a request written later may meet a server's close of an idle connection. */
  private reused = false;
  private idleLimitMs = DEFAULT_IDLE_LIMIT_MS;
  /** One timer re-armed by refresh() for each request: no timer allocated per request. */
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** For a deadline nearer than timeoutMs: a request that waited in the queue, or a deadline that fired early. */
  private nearDeadlineTimer: NodeJS.Timeout | undefined;
  private readonly connectTimer: NodeJS.Timeout;

  constructor(
    private readonly pool: OriginPool,
    reserved?: PendingRequest[],
  ) {
    this.reserved = reserved;
    this.socket = pool.openSocket(this.onRead);
    this.socket.once(pool.secure ? 'secureConnect' : 'connect', this.onConnect);
    this.socket.on('end', this.onEnd);
    this.socket.on('error', this.onError);
    this.socket.on('close', this.onClose);
    this.connectTimer = setTimeout(connectTimedOut, pool.timeoutMs, this).unref();
    if (reserved) this.armDeadline(reserved[0]!.deadline - performance.now());
  }

  /** Open, reusable, and with room for another request on the wire. */
  get hasRoom(): boolean {
    return this.state === ConnectionState.Open && this.reusable && this.inFlight.length < this.pool.pipelining;
  }

  /** Requests on this connection still waiting for their outcome. */
  get unanswered(): number {
    return this.inFlight.length + (this.reserved?.length ?? 0);
  }

  /** Idle longer than the server is likely to keep it: closed rather than risked (undici's rule). */
  idleTooLong(now: number): boolean {
    return this.idleSince > 0 && this.inFlight.length === 0 && now - this.idleSince > this.idleLimitMs;
  }

  dispatch(request: PendingRequest, now: number): void {
    request.sentOnReusedConnection = this.reused;
    this.inFlight.push(request);
    this.socket.write(request.wire);
    if (this.inFlight.length === 1) this.awaitResponse(request, now);
  }

  /** Closes a connection the pool no longer wants (idle too long, or the client closed). */
  retire(): void {
    this.close(new ConnectionError('ECONNABORTED', 'the client closed an idle connection'));
  }

  /** Fails everything on it now with `error`. */
  destroy(error: Error): void {
    this.close(error);
  }

  /** The deadline of the request the connection waits on: a timer may fire early (libuv's cached clock) and is then re-armed. */
  checkDeadline(): void {
    const first = this.inFlight[0] ?? this.reserved?.[0];
    if (first === undefined || this.state === ConnectionState.Closed) return;
    const remainingMs = first.deadline - performance.now();
    if (remainingMs >= 1) return this.armDeadline(remainingMs);
    if (first === this.reserved?.[0]) return this.expireReserved();
    this.inFlight.shift();
    first.timeOut();
    this.close(new ConnectionError('ECONNABORTED', 'closed when an earlier request on the connection ran out of time'));
  }

  /** A connect slower than a request's deadline is given up; the requests waiting keep their own deadlines. */
  timeOutConnect(): void {
    if (this.state === ConnectionState.Connecting) this.close(new ConnectionError('ETIMEDOUT', `connecting to ${this.pool.origin} took longer than ${this.pool.timeoutMs} ms`));
  }

  onResponseHead(status: number): void {
    if (!this.parser.keepAlive) this.reusable = false;
    this.inFlight[0]!.onHead(status, this.parser);
  }

  onResponseBody(chunk: Buffer, start: number, end: number): void {
    this.inFlight[0]!.onBody(chunk, start, end);
  }

  onResponseComplete(): void {
    const { parser } = this;
    this.inFlight.shift()!.complete(parser.bodyBytes);
    if (parser.keepAliveHintMs !== -1) this.followKeepAliveHint(parser.keepAliveHintMs);
    if (!this.reusable) return this.close(undefined);
    const next = this.inFlight[0];
    const now = performance.now();
    if (next === undefined) this.idleSince = now;
    else this.awaitResponse(next, now);
    this.pool.connectionAvailable(this);
  }

  onParseError(error: ResponseParseError): void {
    this.close(error);
  }

  private readonly onRead = (length: number, buffer: Uint8Array): boolean => {
    this.parser.feed((buffer as Buffer).subarray(0, length));
    return true;
  };

  private readonly onConnect = (): void => {
    clearTimeout(this.connectTimer);
    if (this.state !== ConnectionState.Connecting) return;
    this.state = ConnectionState.Open;
    const reserved = this.reserved;
    this.reserved = undefined;
    const now = performance.now();
    for (const request of reserved ?? []) {
      // Out of time while the connection opened: it must not go on the wire at all.
      if (request.deadline - now < 1) request.timeOut();
      else this.dispatch(request, now);
    }
    this.pool.connectionReady(this);
    this.reused = true;
  };

  /** The server's FIN: it ends a body delimited by the close, and the connection. */
  private readonly onEnd = (): void => {
    this.parser.endOfInput();
    this.close(undefined);
  };

  private readonly onError = (error: Error): void => {
    this.close(error);
  };

  private readonly onClose = (): void => {
    this.close(undefined);
  };

  private awaitResponse(request: PendingRequest, now: number): void {
    this.parser.expectResponse(request.headRequest, request.keptHeaders, request.captures);
    this.armDeadline(request.deadline - now);
  }

  private armDeadline(remainingMs: number): void {
    const { timeoutMs } = this.pool;
    if (remainingMs >= timeoutMs - 1) {
      if (this.deadlineTimer === undefined) this.deadlineTimer = setTimeout(deadlineReached, timeoutMs, this).unref();
      else this.deadlineTimer.refresh();
      return;
    }
    clearTimeout(this.nearDeadlineTimer);
    this.nearDeadlineTimer = setTimeout(deadlineReached, Math.max(1, Math.ceil(remainingMs)), this).unref();
  }

  private expireReserved(): void {
    const now = performance.now();
    while (this.reserved !== undefined && this.reserved.length > 0 && this.reserved[0]!.deadline - now < 1) this.reserved.shift()!.timeOut();
    const next = this.reserved?.[0];
    if (next === undefined) this.reserved = undefined;
    else this.armDeadline(next.deadline - now);
  }

  /** undici's reading of `Keep-Alive: timeout=N`: reuse for N less a margin, not at all when that leaves nothing. */
  private followKeepAliveHint(hintMs: number): void {
    const limitMs = Math.min(hintMs - KEEP_ALIVE_HINT_MARGIN_MS, MAX_IDLE_LIMIT_MS);
    if (limitMs <= 0) this.reusable = false;
    else this.idleLimitMs = limitMs;
  }

  /** `error` undefined: the server closed the connection. Every request still on it is answered, or sent again. */
  private close(error: Error | undefined): void {
    if (this.state === ConnectionState.Closed) return;
    const wasConnecting = this.state === ConnectionState.Connecting;
    this.state = ConnectionState.Closed;
    clearTimeout(this.connectTimer);
    clearTimeout(this.deadlineTimer);
    clearTimeout(this.nearDeadlineTimer);
    this.socket.destroy();
    const reserved = this.reserved;
    this.reserved = undefined;
    const connectError = wasConnecting ? (error ?? new ConnectionError('ECONNRESET', `${this.pool.origin} closed the connection while it was being opened`)) : undefined;
    // Requests already sent once more fail with the connect's error; with none, the pool charges it to a queued request.
    for (const request of reserved ?? []) request.fail(connectError!, 0, 0);
    const retries = this.answerUnanswered(error);
    this.pool.connectionClosed(this, wasConnecting, reserved === undefined && !isTimeout(connectError) ? connectError : undefined, retries);
  }

  /**
   * A request whose response had started fails with what had come. One that had not may be sent again,
   * once, when idempotent and written on a connection that had sat open (the server may have closed it
   * unseen: the stale keep-alive rule). Returns those to send again.
   */
  private answerUnanswered(error: Error | undefined): PendingRequest[] | undefined {
    const { parser, inFlight } = this;
    let retries: PendingRequest[] | undefined;
    for (let i = 0; i < inFlight.length; i++) {
      const request = inFlight[i]!;
      if (i === 0 && parser.responseStarted) request.fail(error ?? this.cutShortError(), parser.status, parser.bodyBytes);
      else if (request.idempotent && request.sentOnReusedConnection) (retries ??= []).push(request);
      else request.fail(error ?? new ConnectionError('ECONNRESET', `${this.pool.origin} closed the connection before responding`), 0, 0);
    }
    inFlight.length = 0;
    return retries;
  }

  private cutShortError(): ConnectionError {
    const { status, bodyBytes } = this.parser;
    const where = status === 0 ? 'before the response head was complete' : `mid-body, after ${bodyBytes} body bytes of a ${status} response`;
    return new ConnectionError('ECONNRESET', `${this.pool.origin} closed the connection ${where}`);
  }
}

function isTimeout(error: Error | undefined): boolean {
  return (error as { code?: unknown } | undefined)?.code === 'ETIMEDOUT';
}

function deadlineReached(connection: Connection): void {
  connection.checkDeadline();
}

function connectTimedOut(connection: Connection): void {
  connection.timeOutConnect();
}
