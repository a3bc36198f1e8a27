import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import type { MetricsMessage, TestConfigMessage } from '../protocol/index.js';
import { startAvalanche } from './avalanche.js';
import { DEFAULT_TIMEOUT_MS, HttpClient } from './httpClient.js';
import type { LoadRun } from './loadRun.js';
import { Recorder } from './recorder.js';
import { Reporter, type FinalState, type ReportSink } from './reporter.js';
import { startTsunami } from './tsunami.js';

export type TestRunOptions = {
  nodeId: string;
  config: TestConfigMessage;
  targetUrl: string;
  /** Used when the config names no concurrency. */
  defaultConcurrency: number;
  sink: ReportSink;
  log: Logger;
};

/** Stopping: how long requests already in flight may still finish before they are cut off. */
export type StopRequest = FinalState & { graceMs: number };

/** Slack over the request timeout before in-flight requests of a cancelled test are cut off. */
const CANCEL_SLACK_MS = 1_000;
/** A shutting-down driver waits at most this long for in-flight requests. */
export const ABORT_GRACE_MS = 2_000;

/**
 * One test on this driver: the load model sends the requests, the reporter publishes the metrics, and
 * `done` resolves with the final report once every request is answered, or after a stop.
 */
export class TestRun {
  readonly testId: string;
  readonly recorder = new Recorder();
  readonly timeoutMs: number;
  readonly done: Promise<MetricsMessage>;
  private readonly client: HttpClient;
  private readonly load: LoadRun;
  private readonly reporter: Reporter;
  private readonly log: Logger;
  private stopRequest: StopRequest | undefined;
  private wakeOnStop: (() => void) | undefined;

  constructor(options: TestRunOptions) {
    const { config } = options;
    this.testId = config.test_id;
    this.timeoutMs = config.timeout_ms ?? DEFAULT_TIMEOUT_MS;
    this.log = options.log.child({ test_id: this.testId });
    const concurrency = config.concurrency ?? options.defaultConcurrency;
    this.client = new HttpClient(options.targetUrl, { connections: concurrency, timeoutMs: this.timeoutMs });
    this.reporter = new Reporter(options.nodeId, this.testId, this.recorder, options.sink);
    this.load = startLoad(config, concurrency, { client: this.client, recorder: this.recorder });
    this.log.info({ test_type: config.test_type, target_url: options.targetUrl, plan: describePlan(this.load), timeout_ms: this.timeoutMs }, 'test started');
    this.done = this.execute();
  }

  /** Cancel: in-flight requests get their own timeout to finish. */
  cancel(reason: string): void {
    this.stop({ outcome: 'cancelled', reason, graceMs: this.timeoutMs + CANCEL_SLACK_MS });
  }

  /** Shutdown: in-flight requests get a short grace only. */
  abort(reason: string): void {
    this.stop({ outcome: 'aborted', reason, graceMs: Math.min(ABORT_GRACE_MS, this.timeoutMs) });
  }

  private stop(request: StopRequest): void {
    if (this.stopRequest) return;
    this.stopRequest = request;
    this.load.stop();
    this.wakeOnStop?.();
  }

  private async execute(): Promise<MetricsMessage> {
    const startedAt = performance.now();
    this.reporter.start();
    const stopped = new Promise<void>((resolve) => {
      this.wakeOnStop = resolve;
    });
    await Promise.race([this.load.finished, stopped]);
    if (this.stopRequest) {
      await this.waitForInFlight(this.stopRequest.graceMs);
      // Requests cut off by the pool's destruction are ours to abandon, not the target's errors.
      this.recorder.freeze();
    }
    await this.client.destroy().catch((error: unknown) => this.log.debug({ err: error }, 'closing the HTTP pool failed'));
    const final = this.stopRequest ? { outcome: this.stopRequest.outcome, reason: this.stopRequest.reason } : { outcome: 'completed' as const };
    const report = await this.reporter.finish(final);
    this.log.info({ ...final, sent: report.sent, completed: report.completed, errors: report.errors, elapsed_ms: Math.round(performance.now() - startedAt) }, 'test finished');
    return report;
  }

  private async waitForInFlight(graceMs: number): Promise<void> {
    const cutOff = new AbortController();
    await Promise.race([this.load.finished, sleep(graceMs, undefined, { signal: cutOff.signal }).catch(() => undefined)]);
    cutOff.abort();
    if (this.load.inFlight > 0) this.log.warn({ in_flight: this.load.inFlight, grace_ms: graceMs }, 'in-flight requests cut off after the grace period');
  }
}

function startLoad(config: TestConfigMessage, concurrency: number, deps: { client: HttpClient; recorder: Recorder }): LoadRun {
  const count = config.message_count_per_driver;
  const throughputPerDriver = config.throughput_per_driver;
  if (config.test_type === 'TSUNAMI') return startTsunami({ count, delayMs: config.test_message_delay, throughputPerDriver }, deps);
  return startAvalanche({ count, concurrency, throughputPerDriver }, deps);
}

function describePlan(load: LoadRun): Record<string, number | string> {
  const { count, intervalMs, maxInFlight } = load.plan;
  return { count, interval_ms: intervalMs, max_in_flight: maxInFlight === Infinity ? 'unbounded' : maxInFlight };
}
