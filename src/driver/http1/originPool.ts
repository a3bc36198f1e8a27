import { connect as connectTcp, isIP, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { connect as connectTls, createSecureContext, type ConnectionOptions, type SecureContext } from 'node:tls';
import { withSystemRoots, type HttpClientOptions } from '../requestOutcome.js';
import { Connection, ConnectionError } from './connection.js';
import type { PendingRequest } from './pendingRequest.js';
import { RequestEncoder } from './requestEncoder.js';

/**
 * Every connection reads into this one buffer (the sockets' `onread`): a read's callback parses it all
 * before the next read of any socket can arrive, and nothing keeps a view of it, so one buffer serves
 * all and no read allocates.
 */
const READ_BUFFER = Buffer.allocUnsafe(64 * 1024);
/** TCP keep-alive probes on a connection silent this long, as undici sets them. */
const TCP_KEEP_ALIVE_DELAY_MS = 60_000;

export type OriginPoolOptions = HttpClientOptions & { pipelining: number };

const enum PoolState {
  Open,
  /** close() called: requests already taken finish, new ones are refused. */
  Closing,
  Closed,
}

/**
 * The connections to one origin (up to `connections`) and the requests waiting for one, first come
 * first served. A request goes straight onto a connection with room when there is one; else it waits
 * in the queue and a connection is opened for it if the limit allows.
 */
export class OriginPool {
  readonly secure: boolean;
  readonly timeoutMs: number;
  readonly pipelining: number;
  private readonly encoder: RequestEncoder;
  private readonly maxConnections: number;
  private readonly hostname: string;
  private readonly port: number;
  private readonly servername: string | undefined;
  private readonly secureContext: SecureContext | undefined;
  private readonly rejectUnauthorized: boolean;
  /** The last TLS session the server gave: new connections resume it instead of a full handshake. */
  private tlsSession: Buffer | undefined;
  private readonly connections = new Set<Connection>();
  /** Connections with room for a request, the most recently freed last (it is taken first). */
  private readonly available: Connection[] = [];
  /** Requests waiting for a connection, oldest first: the first has the nearest deadline. */
  private readonly queue: PendingRequest[] = [];
  /** Armed for the queue's first deadline while requests wait; checked lazily. */
  private queueTimer: NodeJS.Timeout | undefined;
  private connecting = 0;
  private state = PoolState.Open;
  private closedError: Error | undefined;
  private connectsSettled: (() => void) | undefined;
  private drained: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly origin: string,
    options: OriginPoolOptions,
  ) {
    const url = new URL(origin);
    this.secure = url.protocol === 'https:';
    this.hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.port = Number(url.port || (this.secure ? 443 : 80));
    this.servername = isIP(this.hostname) ? undefined : this.hostname;
    this.encoder = new RequestEncoder(url.host);
    this.maxConnections = options.connections;
    this.timeoutMs = options.timeoutMs;
    this.pipelining = options.pipelining;
    this.rejectUnauthorized = !(options.tls?.insecure ?? false);
    // One context for all connections: passing `ca` to tls.connect would parse every root certificate per connection.
    const ca = options.tls?.ca;
    this.secureContext = this.secure ? createSecureContext(ca === undefined ? {} : { ca: withSystemRoots(ca) }) : undefined;
  }

  /** Encodes the request and puts it on a connection, or in the queue; a request that cannot be encoded fails at once. */
  send(request: PendingRequest, now: number): void {
    if (this.state !== PoolState.Open) return request.fail(this.closedError ?? closedClientError(), 0, 0);
    try {
      request.wire = this.encoder.encode(request.request);
    } catch (error) {
      return request.fail(error as Error, 0, 0);
    }
    const connection = this.takeAvailable(now);
    if (connection === undefined) return this.enqueue(request);
    connection.dispatch(request, now);
    if (!connection.hasRoom) this.unlistLast(connection);
  }

  /**
   * Opens connections up to `count` before a test's clock starts, and waits until they have all
   * connected or failed, or `maxWaitMs`. A failure is left for the test's requests to meet and report.
   */
  async preconnect(count: number, maxWaitMs: number): Promise<void> {
    if (this.state !== PoolState.Open) return;
    while (this.connections.size < Math.min(count, this.maxConnections)) this.open();
    if (this.connecting === 0) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, maxWaitMs).unref();
      this.connectsSettled = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.connectsSettled = undefined;
  }

  /** Refuses new requests, waits for those taken to be answered, then closes every connection. */
  close(): Promise<void> {
    if (this.state === PoolState.Closed) return Promise.resolve();
    this.state = PoolState.Closing;
    this.closing ??= new Promise((resolve) => {
      this.drained = resolve;
      this.checkDrained();
    });
    return this.closing;
  }

  /** Fails every request queued or on the wire now. */
  destroy(): void {
    this.state = PoolState.Closed;
    this.closedError = new ConnectionError('ECANCELED', 'the HTTP client was destroyed with the request unanswered');
    clearTimeout(this.queueTimer);
    for (const request of this.queue.splice(0)) request.fail(this.closedError, 0, 0);
    const drained = this.drained;
    this.drained = undefined;
    for (const connection of [...this.connections]) connection.destroy(this.closedError);
    drained?.();
  }

  /** For a Connection: a socket to this origin whose reads go to `onRead`. */
  openSocket(onRead: (length: number, buffer: Uint8Array) => boolean): Socket {
    const onread = { buffer: READ_BUFFER, callback: onRead };
    if (!this.secure) return connectTcp({ host: this.hostname, port: this.port, onread, noDelay: true, keepAlive: true, keepAliveInitialDelay: TCP_KEEP_ALIVE_DELAY_MS });
    const options: ConnectionOptions & { onread: typeof onread } = {
      host: this.hostname,
      port: this.port,
      servername: this.servername,
      secureContext: this.secureContext,
      rejectUnauthorized: this.rejectUnauthorized,
      ALPNProtocols: ['http/1.1'],
      session: this.tlsSession,
      onread,
    };
    const socket = connectTls(options);
    socket.setNoDelay(true);
    socket.setKeepAlive(true, TCP_KEEP_ALIVE_DELAY_MS);
    socket.on('session', (session: Buffer) => (this.tlsSession = session));
    return socket;
  }

  /** A new connection has connected: it serves the queue first. */
  connectionReady(connection: Connection): void {
    this.connecting--;
    this.serveQueue(connection);
    if (connection.hasRoom) this.list(connection);
    this.notifyConnectsSettled();
  }

  /** A response is in and the connection stays open. */
  connectionAvailable(connection: Connection): void {
    this.serveQueue(connection);
    if (connection.hasRoom && !connection.listed) this.list(connection);
    if (this.drained !== undefined) this.checkDrained();
  }

  /**
   * A connection has closed and answered what it could. `connectError`: its connect failed, which a
   * queued request is told of (a refused connection fails a request at once, as undici's does).
   * `retries`: requests to send once more, on a fresh connection of their own.
   */
  connectionClosed(connection: Connection, wasConnecting: boolean, connectError: Error | undefined, retries: PendingRequest[] | undefined): void {
    this.connections.delete(connection);
    if (connection.listed) this.unlist(connection);
    if (wasConnecting) this.connecting--;
    if (connectError !== undefined) this.queue.shift()?.fail(connectError, 0, 0);
    if (retries !== undefined) this.retry(retries);
    if (this.state !== PoolState.Closed) this.openForQueue();
    this.notifyConnectsSettled();
    if (this.drained !== undefined) this.checkDrained();
  }

  /** The queue's first deadline has come (or the timer is stale): expires what is out of time, re-arms for the rest. */
  expireQueued(): void {
    this.queueTimer = undefined;
    const now = performance.now();
    while (this.queue.length > 0 && this.queue[0]!.deadline - now < 1) this.queue.shift()!.timeOut();
    if (this.queue.length > 0) this.armQueueTimer(this.queue[0]!.deadline - now);
    if (this.drained !== undefined) this.checkDrained();
  }

  private takeAvailable(now: number): Connection | undefined {
    const { available } = this;
    while (available.length > 0) {
      const connection = available[available.length - 1]!;
      const idleTooLong = connection.idleTooLong(now);
      if (connection.hasRoom && !idleTooLong) return connection;
      // No room left: a pipelined response said the connection closes after it; it closes itself.
      this.unlistLast(connection);
      if (idleTooLong) connection.retire();
    }
    return undefined;
  }

  private enqueue(request: PendingRequest): void {
    this.queue.push(request);
    if (this.queueTimer === undefined) this.armQueueTimer(request.deadline - performance.now());
    this.openForQueue();
  }

  private armQueueTimer(remainingMs: number): void {
    this.queueTimer = setTimeout(expireQueued, Math.max(1, Math.ceil(remainingMs)), this).unref();
  }

  private serveQueue(connection: Connection): void {
    while (this.queue.length > 0 && connection.hasRoom) {
      const request = this.queue.shift()!;
      const now = performance.now();
      // Out of time while queued: it must not go on the wire at all.
      if (request.deadline - now < 1) request.timeOut();
      else connection.dispatch(request, now);
    }
  }

  /** One connection opening per waiting request, within the limit. */
  private openForQueue(): void {
    while (this.queue.length > this.connecting && this.connections.size < this.maxConnections) this.open();
  }

  private open(reserved?: PendingRequest[]): void {
    this.connections.add(new Connection(this, reserved));
    this.connecting++;
  }

  private retry(requests: PendingRequest[]): void {
    if (this.state === PoolState.Closed) {
      for (const request of requests) request.fail(this.closedError ?? closedClientError(), 0, 0);
      return;
    }
    this.open(requests);
  }

  private list(connection: Connection): void {
    connection.listed = true;
    this.available.push(connection);
  }

  private unlistLast(connection: Connection): void {
    connection.listed = false;
    this.available.pop();
  }

  private unlist(connection: Connection): void {
    connection.listed = false;
    this.available.splice(this.available.indexOf(connection), 1);
  }

  private notifyConnectsSettled(): void {
    if (this.connecting === 0) this.connectsSettled?.();
  }

  private checkDrained(): void {
    if (this.queue.length > 0) return;
    for (const connection of this.connections) if (connection.unanswered > 0) return;
    const drained = this.drained;
    this.drained = undefined;
    this.state = PoolState.Closed;
    this.closedError = closedClientError();
    clearTimeout(this.queueTimer);
    for (const connection of [...this.connections]) connection.retire();
    drained?.();
  }
}

function expireQueued(pool: OriginPool): void {
  pool.expireQueued();
}

function closedClientError(): ConnectionError {
  return new ConnectionError('ECANCELED', 'the HTTP client is closed');
}

