import { SIGNATURE_WINDOW_MS, verifyMessage, type SignatureRefusal } from '../protocol/index.js';

export type CommandRefusal = SignatureRefusal | 'replayed';

export type CommandVerdict = { ok: true } | { ok: false; reason: CommandRefusal; detail: string };

/** Enough for every command of a busy minute; past it the oldest are forgotten first. */
const REMEMBERED_SIGNATURES = 10_000;

/**
 * Decides whether a driver with secrets acts on a command: a valid signature from one of the secrets,
 * signed within the window, and not seen before. Signatures are remembered until their window closes,
 * after which the time check refuses a replay anyway.
 */
export class CommandGuard {
  readonly #seen = new Map<string, number>();

  constructor(
    private readonly secrets: readonly string[],
    private readonly now: () => number = Date.now,
  ) {}

  check(topic: string, raw: Readonly<Record<string, unknown>>): CommandVerdict {
    const nowMs = this.now();
    const verdict = verifyMessage(topic, raw, this.secrets, nowMs);
    if (!verdict.ok) return verdict;
    this.forgetClosedWindows(nowMs);
    if (this.#seen.has(verdict.signature)) return { ok: false, reason: 'replayed', detail: 'this exact signed message was already received' };
    this.#seen.set(verdict.signature, verdict.signedAtMs + SIGNATURE_WINDOW_MS);
    if (this.#seen.size > REMEMBERED_SIGNATURES) this.#seen.delete(this.#seen.keys().next().value!);
    return { ok: true };
  }

  private forgetClosedWindows(nowMs: number): void {
    for (const [signature, closesAtMs] of this.#seen) if (closesAtMs < nowMs) this.#seen.delete(signature);
  }
}
