import { performance } from 'node:perf_hooks';
import type { Pacer } from './load/pacers.js';

export type ScheduleOptions = {
  /** The most starts in all (the pacer may end sooner). */
  count: number;
  /** When each start is intended; absent = unpaced: start whenever a slot is free. */
  pacer?: Pacer | undefined;
  /** Most launches unsettled at once; Infinity for an open model. */
  maxInFlight: number;
  /** No start intended this many ms or more after the run's start (duration_s, warmup_s); unbounded when absent. */
  startWindowMs?: number | undefined;
  /** A start this far behind its intended time counts as late. */
  lateThresholdMs?: number;
  onLateStart?: () => void;
  /** Monotonic milliseconds. */
  now?: () => number;
  /** The run's start on the `now` clock (load workers share one); default: when `run` is called. */
  startAtMs?: number | undefined;
};

/**
 * Starts one request. `intendedStartMs` is the scheduled time on the `now` clock (the actual start time
 * when unpaced), so latency can be measured from it; `startedAtMs` is the clock reading the scheduler
 * took to start it (one reading serves both). Must not reject.
 */
export type Launch = (intendedStartMs: number, startedAtMs: number) => Promise<unknown>;

export const DEFAULT_LATE_THRESHOLD_MS = 5;
/** Starts per event-loop turn: a catch-up or an unpaced open model must not starve timers and I/O. */
const MAX_STARTS_PER_TURN = 1_000;
/**
 * Timers fire up to about a millisecond late (libuv counts whole milliseconds), which was most of a
 * TSUNAMI gap's error. So a sparse schedule's timer ends this much early, and the rest is waited by
 * turning the event loop (setImmediate: I/O still runs) until the clock reaches the start.
 */
export const PRECISE_WAIT_MS = 1;
/**
 * Only starts at least this far apart are waited for precisely. The wait costs 1–2 ms of CPU per start
 * (the timer may end up to a millisecond early, and a gap under 2 ms is turned through whole): at 2 ms
 * apart, a 1k req/s plan on two load workers, the driver used 1.8 cores instead of 0.3, and the
 * contention made its starts later, not sooner (docs/decisions.md, "Precise waits only 10 ms apart").
 */
export const SPARSE_GAP_MS = 10;

/**
 * Start i is intended at t0 + the pacer's offset for i. Each wake-up starts every start that is due, so a late wake-up
 * (event-loop lag) is caught up at once and never shifts later starts: the schedule does not drift.
 */
export class StartScheduler {
  private readonly now: () => number;
  private readonly lateThresholdMs: number;
  private t0 = 0;
  private launch: Launch | undefined;
  private timer: NodeJS.Timeout | undefined;
  private turnPending = false;
  private stopped = false;
  private finish: (() => void) | undefined;
  private readonly pauses = new Pauses();
  started = 0;
  settled = 0;
  lateStarts = 0;

  private readonly options: ScheduleOptions;

  constructor(options: ScheduleOptions) {
    this.options = { ...options };
    this.now = options.now ?? (() => performance.now());
    this.lateThresholdMs = options.lateThresholdMs ?? DEFAULT_LATE_THRESHOLD_MS;
  }

  get inFlight(): number {
    return this.started - this.settled;
  }

  get paced(): boolean {
    return this.options.pacer !== undefined;
  }

  /** Resolves once every launch has settled: all `count` of them, or those started before `stop()`. */
  run(launch: Launch): Promise<void> {
    if (this.launch) throw new Error('StartScheduler.run called twice');
    this.launch = launch;
    this.t0 = this.options.startAtMs ?? this.now();
    const done = new Promise<void>((resolve) => {
      this.finish = resolve;
    });
    this.pump();
    return done;
  }

  /** No further starts; `run` resolves when the ones started have settled. */
  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.resolveIfDone();
  }

  /** Undefined once the pacer's plan is over; Infinity while a pause holds it. */
  intendedStart(index: number): number | undefined {
    const offset = this.options.pacer?.startOffsetMs(index);
    return offset === undefined ? undefined : this.pauses.wallOf(this.t0 + offset);
  }

  /**
   * A change of a running plan at `atMs` (on the `now` clock, usually a little ahead): a fixed rate from
   * then on (a steerable pacer's), a pause or a resume. Applied at once, as instants ahead, so that every
   * lane of a plan computes the same starts; a time-bounded plan is then bounded by its window alone.
   */
  steer(change: { atMs: number; rate?: number | undefined; paused?: boolean | undefined }): void {
    // A change asked for before the run's start (a warm-up's, carried over) holds from the start.
    const atMs = Math.max(change.atMs, this.t0);
    if (change.rate !== undefined) {
      const pacer = this.options.pacer;
      if (!pacer?.steer) throw new Error(`this plan (${pacer?.description ?? 'unpaced'}) has no rate to change`);
      pacer.steer(this.pauses.planMsAt(atMs) - this.t0, change.rate);
      if (this.options.startWindowMs !== undefined) this.options.count = Infinity;
    }
    if (change.paused === true) this.pauses.pauseAt(atMs);
    if (change.paused === false) this.pauses.resumeAt(atMs);
    this.reschedule();
  }

  /** When the plan's clock reads `planMs` (on the `now` clock): later by the pauses; Infinity while one is open. */
  wallOfPlan(planMs: number): number {
    return this.pauses.wallOf(this.t0 + planMs);
  }

  /** Whether a pause holds the plan at `nowMs`. */
  pausedAt(nowMs: number): boolean {
    return this.pauses.holds(nowMs);
  }

  /** Only while the run is on: a change after it resolved must start nothing nobody waits for. */
  private reschedule(): void {
    if (!this.launch || this.stopped || !this.finish) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.pump();
  }

  private readonly onSettled = (): void => {
    this.settled += 1;
    if (this.resolveIfDone()) return;
    if (this.options.maxInFlight !== Infinity) this.pump();
  };

  private readonly onTimer = (): void => {
    this.timer = undefined;
    this.pump();
  };

  private readonly onNextTurn = (): void => {
    this.turnPending = false;
    this.pump();
  };

  /**
   * One clock reading per start: it decides whether the start is due and is handed to the launch as its
   * send time (performance.now() was a third of the scheduler's own cost per request, docs/decisions.md).
   */
  private pump(): void {
    const { maxInFlight } = this.options;
    const launch = this.launch;
    if (this.stopped || !launch) return;
    for (let startsThisTurn = 0; this.inFlight < maxInFlight; startsThisTurn++) {
      if (startsThisTurn === MAX_STARTS_PER_TURN) {
        this.continueNextTurn();
        return;
      }
      const now = this.now();
      const intended = this.nextIntended(now);
      if (intended === undefined) break;
      // Held by a pause: its resume reschedules.
      if (intended === Infinity) return;
      if (intended > now) {
        this.wakeAt(intended - now, this.isSparse(intended));
        return;
      }
      if (now - intended > this.lateThresholdMs) this.countLateStart();
      this.started += 1;
      launch(intended, now).then(this.onSettled, this.onSettled);
    }
    this.resolveIfDone();
  }

  private countLateStart(): void {
    this.lateStarts += 1;
    this.options.onLateStart?.();
  }

  private wakeAt(delayMs: number, precisely: boolean): void {
    if (this.timer !== undefined || this.turnPending) return;
    const timerMs = precisely ? Math.floor(delayMs - PRECISE_WAIT_MS) : Math.ceil(delayMs);
    if (timerMs >= 1) this.timer = setTimeout(this.onTimer, timerMs);
    else this.continueNextTurn();
  }

  /** The first start, or one at least SPARSE_GAP_MS after the start before it. */
  private isSparse(intended: number): boolean {
    const previous = this.started === 0 ? undefined : this.intendedStart(this.started - 1);
    return previous === undefined || intended - previous >= SPARSE_GAP_MS;
  }

  private continueNextTurn(): void {
    if (this.turnPending) return;
    this.turnPending = true;
    setImmediate(this.onNextTurn);
  }

  /** When the next start is intended (now when unpaced), or undefined when the plan has no next start. */
  private nextIntended(now: number): number | undefined {
    if (this.started >= this.options.count) return undefined;
    const window = this.options.startWindowMs;
    const pacer = this.options.pacer;
    if (pacer) {
      // The window is on the plan's clock, which waits while the test is paused.
      const offset = pacer.startOffsetMs(this.started);
      if (offset === undefined || (window !== undefined && offset >= window)) return undefined;
      return this.pauses.wallOf(this.t0 + offset);
    }
    // Unpaced starts are due at once, but never before the run's start (a start shared by every driver).
    const from = Math.max(now, this.t0);
    if (window !== undefined && this.pauses.planMsAt(from) - this.t0 >= window) return undefined;
    // Held: due when the pause ends, if its resume is known (a timer waits for it), else never until told.
    return this.pauses.resumeOf(from);
  }

  /**
   * Every planned start made: the count is reached, the pacer has no next start, or the start window has
   * closed. Only an unpaced plan with a window needs the clock for that.
   */
  private allStarted(): boolean {
    if (this.started >= this.options.count) return true;
    const needsClock = !this.paced && this.options.startWindowMs !== undefined;
    return this.nextIntended(needsClock ? this.now() : this.t0) === undefined;
  }

  private resolveIfDone(): boolean {
    if (!(this.stopped || this.allStarted()) || this.inFlight > 0 || !this.finish) return false;
    const finish = this.finish;
    this.finish = undefined;
    finish();
    return true;
  }
}

/**
 * The pauses of a plan, as intervals of the `now` clock (the last one open until its resume is known):
 * a start due inside one moves past it, so every later start shifts by the pause, as k6's pause.
 */
class Pauses {
  private readonly spans: { fromMs: number; toMs: number }[] = [];

  pauseAt(atMs: number): void {
    const last = this.spans.at(-1);
    if (last && last.toMs === Infinity) return;
    this.spans.push({ fromMs: Math.max(atMs, last?.toMs ?? -Infinity), toMs: Infinity });
  }

  resumeAt(atMs: number): void {
    const last = this.spans.at(-1);
    if (last && last.toMs === Infinity) last.toMs = Math.max(atMs, last.fromMs);
  }

  holds(nowMs: number): boolean {
    return this.spans.some((span) => nowMs >= span.fromMs && nowMs < span.toMs);
  }

  /** `nowMs`, or the end of the pause holding it (Infinity while that one is open). */
  resumeOf(nowMs: number): number {
    return this.spans.find((span) => nowMs >= span.fromMs && nowMs < span.toMs)?.toMs ?? nowMs;
  }

  /** The instant a start planned for `unpausedMs` happens: later by every pause it meets; Infinity in an open one. */
  wallOf(unpausedMs: number): number {
    let wall = unpausedMs;
    for (const span of this.spans) if (wall >= span.fromMs) wall += span.toMs - span.fromMs;
    return wall;
  }

  /** `wallMs` on the plan's clock: less every pause before it (a pause it is inside counts up to it). */
  planMsAt(wallMs: number): number {
    let paused = 0;
    for (const span of this.spans) if (wallMs > span.fromMs) paused += Math.min(wallMs, span.toMs) - span.fromMs;
    return wallMs - paused;
  }
}
