import type { Logger } from '../log/logger.js';
import type { HeartbeatMessage } from '../protocol/index.js';

export const HEARTBEAT_INTERVAL_MS = 1_000;

/** `configAck`: the test whose config the driver holds, not yet triggered. */
export type DriverActivity = { state: 'idle' | 'running'; testId: string | null; configAck?: string | undefined };

export type HeartbeatOptions = {
  nodeId: string;
  publish: (message: HeartbeatMessage) => Promise<void>;
  activity: () => DriverActivity;
  log: Logger;
  intervalMs?: number;
};

/** The spec's heartbeat, from registration until the driver leaves; a missed beat is logged, never fatal. */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private failures = 0;

  constructor(private readonly options: HeartbeatOptions) {}

  start(): void {
    this.beat();
    this.timer = setInterval(() => this.beat(), this.options.intervalMs ?? HEARTBEAT_INTERVAL_MS);
  }

  /** Beats at once, so a change of state (a test started or ended) is seen without waiting a second. */
  now(): void {
    if (this.timer !== undefined) this.beat();
  }

  /** Stops beating and waits for a beat still being published. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.inFlight;
  }

  private beat(): void {
    // A beat still out means the broker is slow; queueing more would only send stale timestamps later.
    if (this.inFlight) return;
    const { state, testId, configAck } = this.options.activity();
    const message: HeartbeatMessage = { node_id: this.options.nodeId, heartbeat: 'YES', timestamp: new Date().toISOString(), state, test_id: testId, ...(configAck === undefined ? {} : { config_ack: configAck }) };
    this.inFlight = this.options
      .publish(message)
      .then(() => this.recovered(), (error: unknown) => this.missed(error))
      .finally(() => {
        this.inFlight = undefined;
      });
  }

  private recovered(): void {
    if (this.failures > 0) this.options.log.info({ missed: this.failures }, 'heartbeats published again');
    this.failures = 0;
  }

  private missed(error: unknown): void {
    this.failures += 1;
    // The first miss says why; later ones would only repeat it once a second.
    if (this.failures === 1) this.options.log.warn({ err: error }, 'heartbeat not published');
    else this.options.log.debug({ err: error, missed: this.failures }, 'heartbeat not published');
  }
}
