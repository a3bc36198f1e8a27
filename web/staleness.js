import { setText } from './dom.js';

/** Drivers heartbeat every second: three seconds without any message means the feed stopped, not that all is quiet. */
export const STALE_AFTER_MS = 3000;

/**
 * The connection badge and the banner above the page. The event stream can be connected while
 * Kafka delivers nothing (a broker outage, every driver gone): then the figures on the page are
 * frozen, and the banner says since when, instead of the badge saying "live".
 */
export class Staleness {
  #connected = false;
  #status = null;
  /** When, on this browser's clock, the newest Kafka message arrived: the two clocks may differ. */
  #heardAtMs = null;
  #expectingData = false;

  constructor(indicator, banner) {
    this.indicator = indicator;
    this.banner = banner;
  }

  setConnected(connected) {
    this.#connected = connected;
    this.tick(Date.now());
  }

  /** `{last_kafka_message_at, kafka_readable}` from the orchestrator. */
  setStatus(status) {
    const last = status.last_kafka_message_at;
    if (last !== this.#status?.last_kafka_message_at) {
      // The stream pushes a change within a fraction of a second, so its arrival dates the message;
      // only the first status, sent on connect, has to be dated by the orchestrator's clock.
      const now = Date.now();
      this.#heardAtMs = last === null ? null : this.#status ? now : Math.min(now, Date.parse(last));
    }
    this.#status = status;
    this.tick(Date.now());
  }

  /** Only drivers that have not left are expected to heartbeat; with none, silence is normal. */
  setDrivers(drivers) {
    this.#expectingData = drivers.some((d) => d.status !== 'left');
    this.tick(Date.now());
  }

  tick(nowMs) {
    const problem = this.#connected ? this.#kafkaProblem(nowMs) : null;
    this.banner.hidden = problem === null;
    setText(this.banner, problem ?? '');
    const state = !this.#connected ? 'reconnecting' : problem ? 'stale' : 'live';
    this.indicator.setAttribute('data-state', state);
    setText(this.indicator, { reconnecting: 'reconnecting…', stale: 'no Kafka data', live: 'live' }[state]);
  }

  #kafkaProblem(nowMs) {
    const status = this.#status;
    if (!status) return null;
    const unreadable = status.kafka_readable ? '' : ' (the orchestrator cannot read from the broker)';
    if (this.#heardAtMs === null) return unreadable ? `no data from Kafka yet${unreadable}` : null;
    const silentMs = Math.max(0, nowMs - this.#heardAtMs);
    if (silentMs <= STALE_AFTER_MS && !unreadable) return null;
    if (!this.#expectingData && !unreadable) return null;
    return `no data from Kafka for ${Math.floor(silentMs / 1000)} s${unreadable}`;
  }
}
