import { setTimeout as sleep } from 'node:timers/promises';
import { KAFKA_RETRY_BACKOFF, retryWithBackoff } from '../bus/index.js';
import type { Logger } from '../log/logger.js';
import { encodeMessage, type MetricsMessage } from '../protocol/index.js';
import type { ReportOutbox } from '../store/reportOutbox.js';

export type ReportPublisherOptions = {
  outbox: ReportOutbox;
  /** Publishes one encoded `metrics` message; resolves once the broker acknowledged it. */
  publish: (wire: string) => Promise<void>;
  log: Logger;
};

/**
 * Empties the driver's outbox into Kafka: every report is stored first, then published, oldest
 * first, and marked acknowledged once the broker has it. While Kafka is away it retries with
 * jittered backoff for as long as it takes; a report the driver could not publish before it stopped
 * goes out when it starts again. Reports keep their report_id, so one published twice (acknowledged
 * by the broker but not yet marked here when the driver died) is counted once by the orchestrator.
 */
export class ReportPublisher {
  private draining: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private failures = 0;

  constructor(private readonly options: ReportPublisherOptions) {}

  /** Stores the report, then publishes it (with anything older still pending) in the background. */
  submit(message: MetricsMessage): void {
    const wire = encodeMessage('metrics', message);
    try {
      this.options.outbox.add({ reportId: message.report_id, testId: message.test_id, seq: message.seq ?? 0, final: message.final === true, wire });
    } catch (error) {
      // A store that cannot write (disk full) must not cost the report: send it once, without a copy.
      this.options.log.error({ err: error, test_id: message.test_id, report_id: message.report_id }, 'storing a report in the outbox failed; publishing it without a copy');
      void this.options.publish(wire).catch((publishError: unknown) => this.options.log.error({ err: publishError, test_id: message.test_id, report_id: message.report_id }, 'report lost: neither stored nor published'));
      return;
    }
    this.flush();
  }

  /** Publishes whatever is pending, e.g. at start-up the reports an earlier run left unacknowledged. */
  flush(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.again = true;
      return;
    }
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
    });
  }

  /** How many reports wait for the broker. */
  pendingCount(): number {
    return this.options.outbox.counts().pending;
  }

  /**
   * Gives the outbox up to `timeoutMs` to empty, then stops publishing; what is left stays stored for
   * the next start. Resolves with the number of reports left pending.
   */
  async stop(timeoutMs: number): Promise<number> {
    const cutOff = new AbortController();
    await Promise.race([this.draining, sleep(timeoutMs, undefined, { signal: cutOff.signal }).catch(() => undefined)]);
    cutOff.abort();
    this.stopped = true;
    return this.pendingCount();
  }

  private async drain(): Promise<void> {
    do {
      this.again = false;
      await retryWithBackoff(() => this.publishPending(), {
        ...KAFKA_RETRY_BACKOFF,
        stopped: () => this.stopped,
        onFailure: (error, failures) => this.failed(error, failures),
      });
    } while (this.again && !this.stopped);
  }

  /** Batches go out together (the bus sends what is queued as one request); each is acknowledged on its own. */
  private async publishPending(): Promise<void> {
    for (let batch = this.options.outbox.pending(); batch.length > 0; batch = this.options.outbox.pending()) {
      if (this.stopped) return;
      const results = await Promise.allSettled(batch.map(async (report) => {
        await this.options.publish(report.wire);
        this.options.outbox.acknowledge(report.reportId);
      }));
      const failure = results.find((result) => result.status === 'rejected');
      if (failure) throw failure.reason;
    }
    if (this.failures > 0) this.options.log.info({ failed_attempts: this.failures }, 'metrics reports published again');
    this.failures = 0;
  }

  private failed(error: unknown, failures: number): void {
    this.failures += 1;
    // The first failure says why; later ones would repeat it every few seconds of an outage.
    const context = { err: error, attempt: failures, pending: this.pendingCount() };
    if (this.failures === 1) this.options.log.warn(context, 'metrics reports not published; kept in the outbox, retrying until the broker takes them');
    else this.options.log.debug(context, 'metrics reports still not published');
  }
}
