import type { ConnectionOptions as TlsOptions } from 'node:tls';

export const SASL_MECHANISMS = ['PLAIN', 'SCRAM-SHA-256', 'SCRAM-SHA-512'] as const;
export type SaslMechanism = (typeof SASL_MECHANISMS)[number];

/** How to reach a secured cluster. The password lives only here, in memory: never in a flag, a log line or an error. */
export type KafkaSecurity = {
  /** TLS to every broker; `ca` (PEM) replaces the system's trusted CAs for a private CA. */
  tls?: { ca?: string | undefined } | undefined;
  sasl?: { mechanism: SaslMechanism; username: string; password: string } | undefined;
};

/**
 * The client's own retries repeat a request against the broker it first chose, so they only help
 * against a hiccup of a live broker. Few and short: after a broker's death our callers retry with fresh
 * metadata (a consumer restarts, a producer batch is sent again), which finds the partition's new leader.
 */
export const CLIENT_RETRIES = 2;
export const CLIENT_RETRY_DELAY_MS = 200;

/**
 * How long a request waits for its answer before it fails and is retried (the client's default is 30 s).
 * A fetch asks the broker to answer within 200 ms and a heartbeat's produce needs only the leader: an
 * answer still missing after seconds means a connection that will not answer, and while a consumer waits
 * on one, it hears nobody and still counts as delivering. A driver was once unheard for 12 s after a
 * broker's SIGKILL, its heartbeats resuming afterwards, with nothing failing in between.
 */
export const CONSUMER_REQUEST_TIMEOUT_MS = 5_000;
export const HEARTBEAT_REQUEST_TIMEOUT_MS = 2_000;

/** The options every @platformatic/kafka client (Admin, Producer, Consumer) takes for where and how to connect. */
export function clientConnectionOptions(brokers: string[], security: KafkaSecurity | undefined) {
  const tls: TlsOptions | undefined = security?.tls ? (security.tls.ca === undefined ? {} : { ca: security.tls.ca }) : undefined;
  const sasl = security?.sasl;
  return {
    bootstrapBrokers: brokers,
    ...(tls ? { tls } : {}),
    ...(sasl ? { sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } } : {}),
  };
}

/**
 * Errors no retry can fix: a refused password, a mechanism the broker does not offer, a certificate
 * that does not verify, a TLS client talking to a plaintext listener. Anything else (refused
 * connection, timeout, broker restarting) may heal when the broker comes back.
 * Gives the one-line reason and the broker, when the client said which one; undefined otherwise.
 */
export function permanentReason(error: unknown): { reason: string; broker: string | undefined } | undefined {
  const chain = causeChain(error);
  const reason = chain.map(linkReason).find((found) => found !== undefined);
  if (reason === undefined) return undefined;
  return { reason, broker: brokerNamed(chain) };
}

/** Why a retry is needed, in a few words: the innermost messages of the cause chain, with a hint where one helps. */
export function transientReason(error: unknown): string {
  const chain = causeChain(error);
  const messages = [...new Set(chain.map((link) => (link as { message?: string }).message).filter((m): m is string => typeof m === 'string' && m !== '' && !m.startsWith('cannot reach Kafka')))];
  const text = messages.slice(-2).join(': ') || String(error);
  const closed = messages.some((m) => /Connection closed/i.test(m));
  return closed ? `${text} (the broker closed the connection: does it need --kafka-sasl or --kafka-tls?)` : text;
}

function brokerNamed(chain: unknown[]): string | undefined {
  return chain.map((link) => /Connection to (\S+) failed/.exec((link as { message?: string }).message ?? '')?.[1]).find((found) => found !== undefined);
}

function linkReason(link: unknown): string | undefined {
  const { code, message } = link as { code?: unknown; message?: string };
  const text = `${typeof code === 'string' ? code : ''} ${message ?? ''}`;
  if (code === 'PLT_KFK_AUTHENTICATION' || /SASL_AUTHENTICATION_FAILED|UNSUPPORTED_SASL_MECHANISM|ILLEGAL_SASL_STATE/.test(text)) return `authentication failed (${message ?? code})`;
  if (typeof code === 'string' && (/^ERR_TLS_|^ERR_SSL_/.test(code) || TLS_VERIFY_CODES.has(code))) return `TLS failed: ${message ?? code}`;
  if (/wrong version number|packet length too long|self[- ]signed certificate|unable to verify|SSL routines/i.test(message ?? '')) return `TLS failed: ${message}`;
  return undefined;
}

const TLS_VERIFY_CODES = new Set([
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'CERT_HAS_EXPIRED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ECONNRESET_TLS',
]);

function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && chain.length < 50) {
    const next = queue.shift();
    if (next === undefined || next === null || typeof next !== 'object' || chain.includes(next)) continue;
    chain.push(next);
    const { cause, errors } = next as { cause?: unknown; errors?: unknown };
    queue.push(cause);
    if (Array.isArray(errors)) queue.push(...(errors as unknown[]));
  }
  return chain;
}
