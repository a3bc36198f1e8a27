import { rootCertificates } from 'node:tls';
import { ERROR_SAMPLE_LIMITS } from '../protocol/errorSampleLimits.js';

/**
 * What a request came to, whichever engine sent it (src/driver/http1/): its outcome, the kinds of failure
 * and how an error is classified and described.
 */

/** How a request failed; `http_<status>` for answers not counted as success (>= 400, or outside `expect_status`). */
export type ErrorKind = `http_${number}` | 'timeout' | 'connection_refused' | 'connection_reset' | 'connection_error' | 'tls' | 'other';

/**
 * `status` is 0 when no response came; `bytes` counts the response body received; `errorMessage`: what
 * went wrong in words (the socket's or TLS layer's text, the status line), for samples.
 */
export type RequestOutcome = { ok: boolean; status: number; bytes: number; errorKind?: ErrorKind; errorMessage?: string };

/**
 * A flow step's outcome: the response's headers as the parser read them (lower-cased names; a header sent more than
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
  /** Requests written on one connection before the first response is in; 1 (the default) is no pipelining. */
  pipelining?: number | undefined;
};

const TIMEOUT_CODES = new Set(['ETIMEDOUT']);
const RESET_CODES = new Set(['ECONNRESET', 'EPIPE']);
/** OpenSSL's certificate verdicts and Node's TLS errors. */
const TLS_CODES = new Set(['DEPTH_ZERO_SELF_SIGNED_CERT', 'SELF_SIGNED_CERT_IN_CHAIN', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'UNABLE_TO_GET_ISSUER_CERT', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY', 'CERT_HAS_EXPIRED', 'CERT_NOT_YET_VALID', 'CERT_REVOKED', 'CERT_UNTRUSTED', 'CERT_REJECTED', 'CERT_SIGNATURE_FAILURE', 'EPROTO']);
const TLS_CODE_PREFIXES = ['ERR_TLS_', 'ERR_SSL_'];

/**
 * Connections opened ahead per origin, at most: a test may allow 100,000 in flight, and opening that
 * many at once would exhaust file descriptors before the first request. Beyond it, the pool connects on demand.
 */
export const PRECONNECT_MAX_CONNECTIONS = 128;

/** Node's `ca` replaces the system's roots: a private CA is trusted besides them, not instead. */
export function withSystemRoots(ca: string | Buffer): string[] {
  return [...rootCertificates, ca.toString()];
}

export function classifyError(error: unknown): ErrorKind {
  const code = errorCode(error);
  if (code === undefined) return 'other';
  if (TIMEOUT_CODES.has(code)) return 'timeout';
  if (TLS_CODES.has(code) || TLS_CODE_PREFIXES.some((prefix) => code.startsWith(prefix))) return 'tls';
  if (code === 'ECONNREFUSED') return 'connection_refused';
  if (RESET_CODES.has(code)) return 'connection_reset';
  if (code.startsWith('E')) return 'connection_error';
  return 'other';
}

/** The error's text with its causes' (a TLS or socket error may wrap another), cut to the wire's sample length. */
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

/** The errno code, on the error or on its cause. */
function errorCode(error: unknown): string | undefined {
  const own = (error as { code?: unknown } | null)?.code;
  const cause = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  return typeof own === 'string' ? own : typeof cause === 'string' ? cause : undefined;
}
