import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from '../log/logger.js';
import { CANCEL_SLACK_MS, DEFAULT_TIMEOUT_MS, requestName, type ControlMessage, type MetricsMessage, type RequestSpec, type TestConfigMessage, type TestPhase } from '../protocol/index.js';
import type { LoadSetup } from './inThreadLoad.js';
import { loadPlanFor, warmupPlanFor, type LoadPlan } from './load/index.js';
import type { LoadEngine, LoadSteer, PhaseLoad } from './loadEngine.js';
import type { LoadEngineFactory } from './loadEngines.js';
import { FlowLoad } from './flows/flowLoad.js';
import type { RowsAsker } from './data/dataChannel.js';
import type { Recorder } from './recorder.js';
import { Reporter, type FinalState, type PhaseProgress, type ReportSink } from './reporter.js';

export type TestRunOptions = {
  nodeId: string;
  config: TestConfigMessage;
  /** The config's `requests`, or one GET of its target_url or the driver's --target. */
  requests: RequestSpec[];
  /** PEM of private CAs this driver trusts (--ca-file). */
  caCertificates?: Buffer | undefined;
  /** Used when the config names no concurrency. */
  defaultConcurrency: number;
  sink: ReportSink;
  log: Logger;
  /** Builds the engine that sends the load: on this event loop or in load workers (`loadEngineFactory`). */
  engines: LoadEngineFactory;
  /** Asks the orchestrator for a scenario's test data (a driver node's DataChannel). */
  askRows?: RowsAsker | undefined;
  /** The trigger's start_at (epoch ms): the first phase's clock starts then, not before (at once when absent or past). */
  startAtEpochMs?: number | undefined;
};

/** Stopping: how long requests already in flight may still finish before they are cut off. */
export type StopRequest = FinalState & { graceMs: number };

/** A shutting-down driver waits at most this long for in-flight requests. */
export const ABORT_GRACE_MS = 2_000;
/**
 * A start_at further ahead than this on the driver's clock says the clocks are apart (the orchestrator
 * asks for a fraction of a second, START_LEAD in src/orchestrator/startLead.ts): the driver starts at once.
 */
export const MAX_START_WAIT_MS = 5_000;
/**
 * A pause holds back max_duration_s (the test runs longer by it), up to this much pausing in all: a driver
 * whose orchestrator is gone must not stay paused for ever.
 */
export const MAX_PAUSED_MS = 3_600_000;
/** setTimeout's longest delay; a longer max_duration_s waits in several steps. */
const LONGEST_TIMER_MS = 2 ** 31 - 1;

/**
 * One test on this driver: the load model sends the requests, the reporter publishes the metrics, and
 * `done` resolves with the final report once every request is answered, or after a stop.
 */
export class TestRun {
  readonly testId: string;
  private readonly config: TestConfigMessage;
  private readonly requests: RequestSpec[];
  readonly timeoutMs: number;
  readonly done: Promise<MetricsMessage>;
  private readonly engine: LoadEngine;
  private readonly concurrency: number;
  /** The warm-up's load, then the workload's. */
  private load: PhaseLoad;
  private readonly warmup: LoadPlan | undefined;
  private phase: TestPhase;
  private readonly reporter: Reporter;
  private readonly log: Logger;
  private stopRequest: StopRequest | undefined;
  private wakeOnStop: (() => void) | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  /** When the first phase's clock started (epoch ms) and how long the load took to be ready since the trigger. */
  private start: { started_at: number; priming_ms: number } | undefined;
  /** Steering so far: changes applied (by id), the plain rate last set, and the pauses (performance clock). */
  private readonly steering = { applied: new Set<string>(), rate: undefined as number | undefined, pausedSince: undefined as number | undefined, pausedMs: 0 };
  private deadlineMs: number | undefined;

  constructor(options: TestRunOptions) {
    const { config } = options;
    this.config = config;
    this.testId = config.test_id;
    this.timeoutMs = config.timeout_ms ?? DEFAULT_TIMEOUT_MS;
    this.log = options.log.child({ test_id: this.testId });
    this.concurrency = config.concurrency ?? options.defaultConcurrency;
    this.requests = options.requests;
    this.engine = this.loadEngine(options);
    this.warmup = warmupPlanFor(config, this.concurrency);
    this.phase = this.warmup ? 'warmup' : 'workload';
    const triggeredAt = performance.now();
    const startAt = this.sharedStart(options.startAtEpochMs);
    this.reporter = new Reporter(options.nodeId, this.testId, () => this.recorder, options.sink, () => this.phaseProgress(), () => ({ ...this.engine.flowFields?.(), ...this.start }));
    // Warm-up requests go the same way as the measured ones, into a recorder no report reads.
    this.load = this.warmup ? this.engine.start('warmup', startAt) : this.startWorkload(startAt);
    this.load.clockStart.then((startedAt) => this.onClockStart(startedAt, triggeredAt), () => undefined);
    const warmup = this.warmup ? describePlan(this.warmup) : 'none';
    const load = config.scenarios ? { scenarios: Object.keys(config.scenarios) } : { test_type: config.test_type, requests: this.requests.map((r) => `${r.method} ${r.url}`), plan: describePlan(loadPlanFor(config, this.concurrency)) };
    this.log.info({ ...load, warmup, timeout_ms: this.timeoutMs, load_workers: this.engine.loadWorkers }, 'test started');
    this.done = this.execute();
    if (config.max_duration_s !== undefined) {
      this.deadlineMs = performance.now() + config.max_duration_s * 1000;
      this.stopAt(config.max_duration_s);
    }
  }

  /**
   * A STEER_TEST for this test, at its apply_at on this driver's clock (at once when that has passed). A
   * plain test's total rate is split evenly over its drivers; scenarios split theirs as their plans do.
   */
  steer(message: ControlMessage): void {
    const id = message.change_id ?? `${message.apply_at}`;
    if (this.stopping || this.steering.applied.has(id)) return;
    this.steering.applied.add(id);
    const now = performance.now();
    const atMs = message.apply_at === undefined ? now : Math.max(now, message.apply_at - performance.timeOrigin);
    const drivers = Math.max(1, this.config.driver_ids?.length ?? 1);
    const change: LoadSteer = { atMs, rate: message.rate === undefined ? undefined : message.rate / drivers, paused: message.paused, scenarios: message.scenarios };
    if (change.rate !== undefined) this.steering.rate = change.rate;
    this.load.steer(change);
    if (message.paused !== undefined) setTimeout(() => this.notePause(message.paused!), atMs - now);
    const lateMs = message.apply_at === undefined ? 0 : now - (message.apply_at - performance.timeOrigin);
    this.log.info({ change_id: id, rate: message.rate, paused: message.paused, scenarios: message.scenarios, late_ms: lateMs > 0 ? Math.round(lateMs) : undefined }, 'steering the test');
  }

  /** A pause moves the time limit on by its length once resumed. */
  private notePause(paused: boolean): void {
    const now = performance.now();
    const { steering } = this;
    if (paused && steering.pausedSince === undefined) steering.pausedSince = now;
    if (!paused && steering.pausedSince !== undefined) {
      const pausedMs = Math.min(now - steering.pausedSince, MAX_PAUSED_MS - steering.pausedMs);
      steering.pausedMs += pausedMs;
      steering.pausedSince = undefined;
      if (this.deadlineMs !== undefined) this.deadlineMs += pausedMs;
    }
  }

  /** The measured workload's figures so far. */
  get recorder(): Recorder {
    return this.engine.recorder('workload');
  }

  /** Whether a cancel, an abort or the time limit has already stopped this run. */
  get stopping(): boolean {
    return this.stopRequest !== undefined;
  }

  /** Cancel: in-flight requests get their own timeout to finish. */
  cancel(reason: string): void {
    this.stop({ outcome: 'cancelled', reason, graceMs: this.timeoutMs + CANCEL_SLACK_MS });
  }

  /** Shutdown: in-flight requests get a short grace only. */
  abort(reason: string): void {
    this.stop({ outcome: 'aborted', reason, graceMs: Math.min(ABORT_GRACE_MS, this.timeoutMs) });
  }

  /**
   * The test's time limit holds here too: a driver that never hears the orchestrator again still
   * stops, and in-flight requests get at most their timeout.
   */
  private stopAt(maxDurationS: number): void {
    const now = performance.now();
    const { pausedSince, pausedMs } = this.steering;
    const pausingMs = pausedSince === undefined ? 0 : Math.min(now - pausedSince, MAX_PAUSED_MS - pausedMs);
    const left = this.deadlineMs! + pausingMs - now;
    if (left > 0) {
      this.deadlineTimer = setTimeout(() => this.stopAt(maxDurationS), Math.min(left, LONGEST_TIMER_MS));
      return;
    }
    if (this.stopping) return;
    this.log.info({ max_duration_s: maxDurationS }, 'max duration passed; stopping the test');
    this.stop({ outcome: 'aborted', reason: `max duration passed: max_duration_s is ${maxDurationS} s`, graceMs: this.timeoutMs });
  }

  private stop(request: StopRequest): void {
    if (this.stopRequest) return;
    this.stopRequest = request;
    this.load.stop();
    this.wakeOnStop?.();
  }

  private async execute(): Promise<MetricsMessage> {
    const startedAt = performance.now();
    const stopped = new Promise<void>((resolve) => {
      this.wakeOnStop = resolve;
    });
    if (this.warmup) {
      await Promise.race([this.load.finished, stopped]);
      if (!this.stopRequest) this.load = this.startWorkload();
    }
    await Promise.race([this.load.finished, stopped]);
    if (this.stopRequest) {
      await this.waitForInFlight(this.stopRequest.graceMs);
      // Requests cut off by the pool's destruction are ours to abandon: not the target's errors, nor warm-up progress.
      this.engine.freeze();
    }
    clearTimeout(this.deadlineTimer);
    await this.engine.close().catch((error: unknown) => this.log.debug({ err: error }, 'closing the load failed'));
    const final = this.stopRequest ? { outcome: this.stopRequest.outcome, reason: this.stopRequest.reason } : { outcome: 'completed' as const };
    const report = this.reporter.finish(final);
    this.log.info({ ...final, sent: report.sent, completed: report.completed, errors: report.errors, elapsed_ms: Math.round(performance.now() - startedAt) }, 'test finished');
    return report;
  }

  /** Starts the measured requests; after a warm-up, every warm-up request has settled by then. */
  private startWorkload(startAtEpochMs?: number): PhaseLoad {
    if (this.phase === 'warmup') {
      this.log.info({ warmup_completed: this.engine.recorder('warmup').counts().completed }, 'warm-up done; workload started');
      this.reporter.restartClock();
    }
    this.phase = 'workload';
    const load = this.engine.start('workload', startAtEpochMs);
    // Steering during the warm-up carries over as where it left things: the rate set, and a pause still on.
    const { rate, pausedSince } = this.steering;
    if (rate !== undefined || pausedSince !== undefined) load.steer({ atMs: performance.now(), rate, paused: pausedSince === undefined ? undefined : true });
    return load;
  }

  /** The trigger's start_at, unless it lies so far ahead that this driver's clock must be off. */
  private sharedStart(startAtEpochMs: number | undefined): number | undefined {
    if (startAtEpochMs === undefined) return undefined;
    const aheadMs = startAtEpochMs - Date.now();
    if (aheadMs <= MAX_START_WAIT_MS) return startAtEpochMs;
    this.log.warn({ start_at: new Date(startAtEpochMs).toISOString(), ahead_ms: Math.round(aheadMs) }, "the trigger's start_at is far ahead of this driver's clock (are the clocks apart?); starting at once");
    return undefined;
  }

  /** The first phase's clock started (or will, at the shared start): `elapsed_ms` counts from it, and the reports say when it was. */
  private onClockStart(startedAt: number | undefined, triggeredAt: number): void {
    if (startedAt === undefined || this.stopRequest) return;
    const primingMs = performance.now() - triggeredAt;
    this.start = { started_at: Math.round(startedAt), priming_ms: Math.round(primingMs) };
    // Reports start with the clock, so no report's elapsed_ms runs back when it starts.
    this.reporter.restartClock(startedAt - performance.timeOrigin);
    this.reporter.start();
    this.log.debug({ started_at: new Date(startedAt).toISOString(), priming_ms: this.start.priming_ms }, 'schedule clock started');
  }

  /** A dead load worker stops the test with its reason. */
  private loadEngine(options: TestRunOptions): LoadEngine {
    const { config } = options;
    const setup: LoadSetup = {
      nodeId: options.nodeId,
      config,
      requests: options.requests,
      // Only a test that names its requests gets figures per name: a plain target_url test is its own one name.
      names: config.requests ? options.requests.map(requestName) : [],
      concurrency: this.concurrency,
      timeoutMs: this.timeoutMs,
      tls: { insecure: config.tls_insecure ?? false, ca: options.caCertificates },
    };
    // Scenarios run on the driver's own event loop: VUs share its connection pools (decisions.md, "Scenarios on one thread").
    if (config.scenarios) return new FlowLoad(setup, options.askRows, this.log);
    return options.engines(setup, (reason) => this.onLoadFailure(reason));
  }

  private onLoadFailure(reason: string): void {
    this.log.error({ reason }, 'load worker died; stopping the test');
    this.stop({ outcome: 'aborted', reason, graceMs: Math.min(ABORT_GRACE_MS, this.timeoutMs) });
  }

  private phaseProgress(): PhaseProgress {
    return this.warmup ? { phase: this.phase, warmup_completed: this.engine.recorder('warmup').counts().completed } : { phase: this.phase };
  }

  private async waitForInFlight(graceMs: number): Promise<void> {
    const cutOff = new AbortController();
    await Promise.race([this.load.finished, sleep(graceMs, undefined, { signal: cutOff.signal }).catch(() => undefined)]);
    cutOff.abort();
    if (this.load.inFlight > 0) this.log.warn({ in_flight: this.load.inFlight, grace_ms: graceMs }, 'in-flight requests cut off after the grace period');
  }
}

function describePlan(plan: LoadPlan): Record<string, number | string> {
  const { count, pacer, maxInFlight, startWindowMs } = plan;
  const described: Record<string, number | string> = { count, pace: pacer?.description ?? 'unpaced', max_in_flight: maxInFlight === Infinity ? 'unbounded' : maxInFlight };
  if (startWindowMs !== undefined) described.start_window_ms = startWindowMs;
  return described;
}
