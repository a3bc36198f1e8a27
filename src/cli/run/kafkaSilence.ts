import type { KafkaStatus } from './orchestratorClient.js';

/** Drivers heartbeat every second: three seconds without any message means the feed stopped (as on the dashboard). */
export const STALE_AFTER_MS = 3_000;

/**
 * Whether the figures `stampede run` shows are frozen because nothing arrives from Kafka. Each change
 * of the newest message time is dated on this machine's clock when it is first seen (the two clocks
 * may differ); only the very first status is dated by the orchestrator's clock.
 */
export class KafkaSilence {
  #last: KafkaStatus | undefined;
  #heardAtMs: number | undefined;

  observe(status: KafkaStatus, nowMs: number): void {
    const last = status.last_kafka_message_at;
    if (last !== this.#last?.last_kafka_message_at) {
      this.#heardAtMs = last === null ? undefined : this.#last ? nowMs : Math.min(nowMs, Date.parse(last));
    }
    this.#last = status;
  }

  /** "no data from Kafka for 12 s", or null while data flows. */
  problem(nowMs: number): string | null {
    if (!this.#last) return null;
    const unreadable = this.#last.kafka_readable ? '' : ' (the orchestrator cannot read from the broker)';
    if (this.#heardAtMs === undefined) return unreadable ? `no data from Kafka yet${unreadable}` : null;
    const silentMs = Math.max(0, nowMs - this.#heardAtMs);
    if (silentMs <= STALE_AFTER_MS && !unreadable) return null;
    return `no data from Kafka for ${Math.floor(silentMs / 1000)} s${unreadable}`;
  }
}
