import { Pool, type Dispatcher } from 'undici';

/** How a request failed; `http_<status>` for answers with status >= 400. */
export type ErrorKind = `http_${number}` | 'timeout' | 'connection_refused' | 'connection_reset' | 'connection_error' | 'other';

export type RequestOutcome = { ok: boolean; status: number; errorKind?: ErrorKind };

export type HttpClientOptions = {
  /** Keep-alive connections to the target: the most requests on the wire at once. */
  connections: number;
  /** Per request: the longest wait for the headers, and then for each part of the body. */
  timeoutMs: number;
};

export const DEFAULT_TIMEOUT_MS = 30_000;

const TIMEOUT_CODES = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'UND_ERR_CONNECT_TIMEOUT', 'ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE', 'UND_ERR_SOCKET']);

/**
 * GET requests to one origin over an undici Pool. `dispatch` with a plain handler is used instead of
 * `request`: it skips the body stream and measured about 20% more requests per second on loopback.
 */
export class HttpClient {
  private readonly pool: Pool;
  private readonly path: string;

  constructor(
    readonly targetUrl: string,
    options: HttpClientOptions,
  ) {
    const url = new URL(targetUrl);
    this.path = `${url.pathname}${url.search}`;
    this.pool = new Pool(url.origin, {
      connections: options.connections,
      pipelining: 1,
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
      connectTimeout: options.timeoutMs,
    });
  }

  /** Never rejects: every failure comes back as an outcome with its kind. */
  get(): Promise<RequestOutcome> {
    return new Promise((resolve) => {
      this.pool.dispatch({ path: this.path, method: 'GET' }, new OutcomeHandler(resolve));
    });
  }

  /** Waits for requests on the wire to finish. */
  async close(): Promise<void> {
    await this.pool.close();
  }

  /** Fails every request still queued or on the wire at once. */
  async destroy(): Promise<void> {
    await this.pool.destroy();
  }
}

/** Reads the whole response (the body is discarded) and settles once. */
class OutcomeHandler implements Dispatcher.DispatchHandler {
  private status = 0;

  constructor(private readonly settle: (outcome: RequestOutcome) => void) {}

  onRequestStart(): void {}

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number): void {
    this.status = statusCode;
  }

  onResponseData(): void {}

  onResponseEnd(): void {
    const status = this.status;
    this.settle(status < 400 ? { ok: true, status } : { ok: false, status, errorKind: `http_${status}` });
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.settle({ ok: false, status: this.status, errorKind: classifyError(error) });
  }
}

export function classifyError(error: unknown): ErrorKind {
  const code = errorCode(error);
  if (code === undefined) return 'other';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (RESET_CODES.has(code)) return 'connection_reset';
  if (code.startsWith('E') || code.startsWith('UND_ERR_')) return 'connection_error';
  return 'other';
}

/** undici wraps socket errors: the errno code may sit on the error or on its cause. */
function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  if (typeof own === 'string' && own !== 'UND_ERR_SOCKET') return own;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof cause === 'string') return cause;
  return typeof own === 'string' ? own : undefined;
}
