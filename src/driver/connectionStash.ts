import { isIP, type Socket } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { buildConnector } from 'undici';

/**
 * Connections opened before a run's clock starts, handed to undici's pool as it asks for connections
 * (its `connect` option), as wrk connects before it measures. Without them the first requests each
 * opened a connection on the clock and reached the target 3–5 ms late; the catch-up put up to 0.5 %
 * too many requests into the first second at 20k req/s (docs/decisions.md). A stashed connection the
 * target closes meanwhile is dropped; when the stash is empty, the pool connects as usual.
 */
export class ConnectionStash {
  private readonly sockets = new Set<Socket>();
  private readonly connect: buildConnector.connector;
  /** What undici's client passes the connector for this origin; the same for every connection. */
  private readonly target: buildConnector.Options;
  private closed = false;

  constructor(origin: URL, connectOptions: buildConnector.BuildOptions) {
    this.connect = buildConnector(connectOptions);
    this.target = connectorOptions(origin);
  }

  /** undici's connector: a stashed connection when there is one, a new one otherwise. */
  readonly connector: buildConnector.connector = (options, callback) => {
    for (const socket of this.sockets) {
      this.sockets.delete(socket);
      socket.removeListener('error', ignoreError);
      if (!socket.destroyed) {
        // Never synchronously: undici's client, called back inside its own resume loop, would not write on it.
        process.nextTick(callback, null, socket);
        return;
      }
    }
    this.connect(options, callback);
  };

  /**
   * Opens `count` connections; resolves when all have connected or failed, or after `maxWaitMs` (later
   * ones still join). A failure is left for the test's own requests to meet and report.
   */
  async fill(count: number, maxWaitMs: number): Promise<void> {
    const opened = Array.from({ length: count }, () => this.openOne());
    await Promise.race([Promise.all(opened), sleep(maxWaitMs, undefined, { ref: false })]);
  }

  /** Closes the connections the pool never took. */
  destroy(): void {
    this.closed = true;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  private openOne(): Promise<void> {
    return new Promise((resolve) => {
      this.connect(this.target, (error, socket) => {
        if (error || !socket) return resolve();
        if (this.closed) socket.destroy();
        else this.stash(socket);
        resolve();
      });
    });
  }

  private stash(socket: Socket): void {
    // An idle connection's error (the target resets it) must not be an uncaught one; undici adds its own on take-over.
    socket.on('error', ignoreError);
    socket.once('close', () => this.sockets.delete(socket));
    this.sockets.add(socket);
  }
}

function ignoreError(): void {}

/** What undici's client passes its connector for this origin. */
function connectorOptions(origin: URL): buildConnector.Options {
  const hostname = origin.hostname.startsWith('[') ? origin.hostname.slice(1, -1) : origin.hostname;
  const port = origin.port || (origin.protocol === 'https:' ? '443' : '80');
  return { hostname, host: origin.host, protocol: origin.protocol, port, servername: isIP(hostname) ? undefined : hostname };
}
