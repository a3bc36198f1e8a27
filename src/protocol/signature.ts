import { createHmac, timingSafeEqual } from 'node:crypto';
import { TOPICS, type TopicName } from './topics.js';

/**
 * Signed commands (docs/protocol.md, "Signed commands"): the orchestrator adds `signed_at` and
 * `signature` to every message on the command topics; a driver with the shared secret acts only on
 * those whose HMAC-SHA256 matches and whose `signed_at` is within the window.
 */

/** The topics whose messages make a driver act (data rows become its requests). Reports, heartbeats and data requests are not signed. */
export const COMMAND_TOPICS: readonly TopicName[] = [TOPICS.testConfig, TOPICS.trigger, TOPICS.control, TOPICS.dataRows];

export const SIGNATURE_FIELD = 'signature';
export const SIGNED_AT_FIELD = 'signed_at';
/** How far `signed_at` may be from the receiver's clock, either way. */
export const SIGNATURE_WINDOW_MS = 60_000;
/** Separates this use of the key from any other; bump the version to change the canonical form. */
const DOMAIN = 'stampede-signature-v1';

const HEX_SHA256 = /^[0-9a-f]{64}$/;

export type WireObject = Record<string, unknown>;

export type SignatureVerdict =
  | { ok: true; signature: string; signedAtMs: number }
  | { ok: false; reason: 'unsigned' | 'malformed' | 'bad_signature' | 'stale' | 'future'; detail: string };

export type SignatureRefusal = Extract<SignatureVerdict, { ok: false }>['reason'];

export function isCommandTopic(topic: string): boolean {
  return (COMMAND_TOPICS as readonly string[]).includes(topic);
}

/**
 * JSON with object members sorted by key (UTF-16 code units), no whitespace, strings and numbers as
 * ECMAScript's JSON.stringify writes them: RFC 8785 (JCS), which other languages have libraries for.
 */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson((value as WireObject)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The exact text the HMAC covers: the domain, the topic and the message without its signature. */
export function signingInput(topic: string, message: WireObject): string {
  const { [SIGNATURE_FIELD]: _signature, ...signed } = message;
  return `${DOMAIN}\n${topic}\n${canonicalJson(signed)}`;
}

function hmacHex(secret: string, topic: string, message: WireObject): string {
  return createHmac('sha256', secret).update(signingInput(topic, message), 'utf8').digest('hex');
}

/** The message as it goes on the wire, with `signed_at` (ISO-8601 of `nowMs`) and `signature` added. */
export function signMessage(topic: string, message: WireObject, secret: string, nowMs: number): WireObject {
  // The JSON round trip drops undefined members exactly as the wire will, so signer and verifier see one object.
  const wire = JSON.parse(JSON.stringify({ ...message, [SIGNED_AT_FIELD]: new Date(nowMs).toISOString() })) as WireObject;
  delete wire[SIGNATURE_FIELD];
  return { ...wire, [SIGNATURE_FIELD]: hmacHex(secret, topic, wire) };
}

/**
 * Checks a received message (the parsed JSON object, unknown fields included) against every secret
 * (several during a rotation). The signature is checked before the time, so a forgery is reported
 * as one even when its time is also off.
 */
export function verifyMessage(topic: string, message: WireObject, secrets: readonly string[], nowMs: number): SignatureVerdict {
  const signature = message[SIGNATURE_FIELD];
  if (signature === undefined) return { ok: false, reason: 'unsigned', detail: `no ${SIGNATURE_FIELD} field` };
  if (typeof signature !== 'string' || !HEX_SHA256.test(signature)) return { ok: false, reason: 'malformed', detail: `${SIGNATURE_FIELD} must be 64 lowercase hex digits` };
  const signedAt = message[SIGNED_AT_FIELD];
  const signedAtMs = typeof signedAt === 'string' ? Date.parse(signedAt) : NaN;
  if (!Number.isFinite(signedAtMs)) return { ok: false, reason: 'malformed', detail: `${SIGNED_AT_FIELD} must be an ISO-8601 time` };
  const received = Buffer.from(signature, 'hex');
  const matches = secrets.some((secret) => timingSafeEqual(Buffer.from(hmacHex(secret, topic, message), 'hex'), received));
  if (!matches) return { ok: false, reason: 'bad_signature', detail: 'the signature does not match any secret' };
  const ageMs = nowMs - signedAtMs;
  if (ageMs > SIGNATURE_WINDOW_MS) return { ok: false, reason: 'stale', detail: `signed ${Math.round(ageMs / 1000)} s ago (more than ${SIGNATURE_WINDOW_MS / 1000} s)` };
  if (-ageMs > SIGNATURE_WINDOW_MS) return { ok: false, reason: 'future', detail: `signed ${Math.round(-ageMs / 1000)} s in the future (more than ${SIGNATURE_WINDOW_MS / 1000} s)` };
  return { ok: true, signature, signedAtMs };
}
