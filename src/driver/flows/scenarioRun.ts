import { performance } from 'node:perf_hooks';
import { laneArrivals, plannedDurationMs, segmentsIntegral, shareOfTotal, type ArrivalPlan, type DriverShare, type ScenarioPlan, type VuPlan } from '../../protocol/index.js';
import { SteeredPacer } from '../load/steeredPacer.js';
import { stagedPacer, type Pacer } from '../load/pacers.js';
import { StartScheduler } from '../schedule.js';
import type { CompiledStep } from './compiledFlow.js';
import { runIteration, type FlowContext } from './iteration.js';
import { VirtualUser, type IterationRow } from './virtualUser.js';
import type { RowFeed } from '../data/rowFeeds.js';

/** One scenario on this driver: its executor's plan carried out from the test's start. */
export type ScenarioRun = {
  /** Resolves once no iteration will start again and every started one has ended. */
  readonly finished: Promise<void>;
  /** Cancel: nothing more starts, and every VU ends its iteration at its next step. */
  stop(): void;
  /** At `atMs` (performance clock): a pause or resume, a new total rate (arrivals) or total VUs (VU loops). */
  steer(change: ScenarioSteer): void;
};

export type ScenarioSteer = { atMs: number; paused?: boolean | undefined; rate?: number | undefined; vus?: number | undefined };

/** A scenario's flow and, when it reads test data, the feed of its rows. */
export type ScenarioWork = { steps: readonly CompiledStep[]; feed: RowFeed | undefined };

/** `share`: this driver's place among the test's drivers, which splits a steered total. */
export function startScenario(plan: ScenarioPlan, work: ScenarioWork, context: FlowContext, testStartMs: number, share: DriverShare): ScenarioRun {
  const pool = new VuPool(plan);
  const startMs = testStartMs + plan.startAfterMs;
  return plan.model === 'arrivals' ? new ArrivalRun(plan, pool, work, context, startMs, share) : new VuLoopsRun(plan, pool, work, context, startMs, share);
}

/** The next row of a feed as an iteration takes it; undefined once the feed ran out. */
async function rowFrom(feed: RowFeed): Promise<IterationRow | undefined> {
  const next = feed.next();
  const values = next instanceof Promise ? await next : next;
  return values === undefined ? undefined : { variables: feed.variables, values };
}

/** The scenario's VUs, made when first needed, at most `maxVus`; ids from its block of fleet-unique ones. */
class VuPool {
  private readonly idle: VirtualUser[] = [];
  private made = 0;

  constructor(private readonly plan: Pick<ScenarioPlan, 'maxVus' | 'firstVuId' | 'vuIdStep'>) {}

  acquire(): VirtualUser | undefined {
    const reused = this.idle.pop();
    if (reused) {
      reused.resume();
      return reused;
    }
    if (this.made === this.plan.maxVus) return undefined;
    const vu = new VirtualUser(this.plan.firstVuId + this.made * this.plan.vuIdStep);
    this.made += 1;
    return vu;
  }

  release(vu: VirtualUser): void {
    this.idle.push(vu);
  }
}

/** setTimeout at an instant of the performance clock. */
function at(instantMs: number, run: () => void): NodeJS.Timeout {
  return setTimeout(run, Math.max(0, instantMs - performance.now()));
}

/**
 * Open model: each arrival of the plan (this driver's lane of it) starts an iteration on a free VU; with
 * every one of `maxVus` busy the arrival is dropped and counted, never started late. After the plan, VUs
 * still running get graceful_stop to finish, then are interrupted.
 */
class ArrivalRun implements ScenarioRun {
  readonly finished: Promise<void>;
  private readonly scheduler: StartScheduler;
  private readonly busy = new Set<VirtualUser>();
  private graceTimer: NodeJS.Timeout | undefined;
  private readonly durationMs: number;

  constructor(
    private readonly plan: ScenarioPlan & ArrivalPlan,
    private readonly pool: VuPool,
    private readonly work: ScenarioWork,
    private readonly context: FlowContext,
    startMs: number,
    private readonly share: DriverShare,
  ) {
    const rate = new SteeredPacer(stagedPacer(plan.segments));
    const { index, count } = plan.lane;
    const lane: Pacer = { startOffsetMs: (i) => rate.startOffsetMs(index + i * count), description: rate.description, steer: (planMs, rps) => rate.steer(planMs, rps) };
    this.durationMs = plannedDurationMs(plan.segments);
    const arrivals = laneArrivals(segmentsIntegral(plan.segments), plan.lane);
    this.scheduler = new StartScheduler({ count: arrivals, pacer: lane, maxInFlight: Infinity, startAtMs: startMs, startWindowMs: this.durationMs });
    this.armGrace();
    this.finished = this.scheduler.run(this.arrive).then(() => clearTimeout(this.graceTimer));
  }

  stop(): void {
    this.scheduler.stop();
    this.interruptAll();
  }

  /** A total rate goes to the lanes as the plan splits arrivals: over the drivers' lanes, or each driver its own. */
  steer(change: ScenarioSteer): void {
    const rate = change.rate === undefined ? undefined : this.plan.lane.count === this.share.count ? change.rate : change.rate / this.share.count;
    this.scheduler.steer({ atMs: change.atMs, rate, paused: change.paused });
    this.armGrace();
  }

  /** VUs still running graceful_stop after the plan's end (which a pause moves) are interrupted. */
  private armGrace(): void {
    clearTimeout(this.graceTimer);
    const endMs = this.scheduler.wallOfPlan(this.durationMs);
    this.graceTimer = endMs === Infinity ? undefined : at(endMs + this.plan.gracefulStopMs, () => this.interruptAll());
  }

  private interruptAll(): void {
    for (const vu of this.busy) vu.interrupt();
  }

  private readonly arrive = async (): Promise<void> => {
    const vu = this.pool.acquire();
    if (!vu) {
      this.context.figures.iterationDropped();
      return;
    }
    this.busy.add(vu);
    this.context.figures.vus += 1;
    const row = this.work.feed ? await rowFrom(this.work.feed) : undefined;
    // Its rows ran out: the scenario ends, as "each account logs in once" asks.
    if (this.work.feed && !row) this.scheduler.stop();
    else await runIteration(vu, this.work.steps, this.context, row);
    this.context.figures.vus -= 1;
    this.busy.delete(vu);
    this.pool.release(vu);
  };
}

/**
 * Closed model: as many VUs as the plan says at each moment loop iterations. A VU told to stop (the count
 * went down, or the scenario's time is over) finishes its iteration within graceful_stop, then is
 * interrupted. Iteration budgets (per VU, or shared by this driver's VUs) end the loops early.
 */
class VuLoopsRun implements ScenarioRun {
  readonly finished: Promise<void>;
  private resolveFinished!: () => void;
  private readonly running = new Set<VirtualUser>();
  private timers: NodeJS.Timeout[] = [];
  private readonly steerTimers = new Set<NodeJS.Timeout>();
  private readonly graceTimers = new Map<VirtualUser, NodeJS.Timeout>();
  /** The plan's VU changes and its end, on the plan's clock (which a pause holds); `done` once applied. */
  private readonly events: { atPlanMs: number; kind: 'vus' | 'end'; vus: number; done: boolean }[];
  private target = 0;
  private ended = false;
  private sharedLeft: number | undefined;
  private pausedMs = 0;
  /** While paused: since when, and the VUs to bring back. */
  private pause: { sinceMs: number; vus: number } | undefined;

  constructor(
    private readonly plan: ScenarioPlan & VuPlan,
    private readonly pool: VuPool,
    private readonly work: ScenarioWork,
    private readonly context: FlowContext,
    private readonly startMs: number,
    private readonly share: DriverShare,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.sharedLeft = plan.sharedIterations;
    this.events = plan.vuChanges.map((change) => ({ atPlanMs: change.atMs, kind: 'vus' as const, vus: change.vus, done: false }));
    if (plan.durationMs !== undefined) this.events.push({ atPlanMs: plan.durationMs, kind: 'end', vus: 0, done: false });
    this.armEvents();
  }

  stop(): void {
    this.end();
    for (const vu of this.running) vu.interrupt();
  }

  /** Each part at its instant: VUs replace the rest of the plan's VU changes; a pause lets running iterations end. */
  steer(change: ScenarioSteer): void {
    const timer = at(change.atMs, () => {
      this.steerTimers.delete(timer);
      if (this.ended) return;
      if (change.vus !== undefined) this.setPlannedVus(shareOfTotal(change.vus, this.share));
      if (change.paused === true) this.holdPlan();
      if (change.paused === false) this.resumePlan();
    });
    this.steerTimers.add(timer);
  }

  private setPlannedVus(vus: number): void {
    for (const event of this.events) if (event.kind === 'vus') event.done = true;
    if (this.pause) this.pause.vus = vus;
    else this.setTarget(vus);
  }

  private holdPlan(): void {
    if (this.pause) return;
    this.pause = { sinceMs: performance.now(), vus: this.target };
    this.clearTimers();
    this.setTarget(0, false);
  }

  private resumePlan(): void {
    if (!this.pause) return;
    this.pausedMs += performance.now() - this.pause.sinceMs;
    const vus = this.pause.vus;
    this.pause = undefined;
    this.armEvents();
    if (!this.ended) this.setTarget(vus);
  }

  /** Timers for the plan's events not yet applied, each later by the pauses so far. */
  private armEvents(): void {
    this.clearTimers();
    this.timers = this.events
      .filter((event) => !event.done)
      .map((event) =>
        at(this.startMs + this.pausedMs + event.atPlanMs, () => {
          event.done = true;
          if (event.kind === 'end') this.end();
          else this.setTarget(event.vus);
        }),
      );
  }

  private clearTimers(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers = [];
  }

  /** No iteration starts from now on; running ones get graceful_stop. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.clearTimers();
    for (const timer of this.steerTimers) clearTimeout(timer);
    this.steerTimers.clear();
    this.setTarget(0);
    this.finishIfDone();
  }

  /** `graceful`: VUs beyond the target are interrupted after graceful_stop; a pause lets them end their iteration. */
  private setTarget(vus: number, graceful = true): void {
    this.target = this.ended ? 0 : vus;
    const active = [...this.running].filter((vu) => !vu.retiring);
    for (let more = this.target - active.length; more > 0; more--) {
      const vu = this.pool.acquire();
      // Every VU of the scenario's block is still finishing: the next to end picks up (runLoop's end).
      if (!vu) break;
      void this.runLoop(vu);
    }
    for (const vu of active.slice(this.target).reverse()) this.retire(vu, graceful);
  }

  private retire(vu: VirtualUser, graceful: boolean): void {
    vu.retiring = true;
    if (graceful) this.graceTimers.set(vu, setTimeout(() => vu.interrupt(), this.plan.gracefulStopMs));
  }

  private async runLoop(vu: VirtualUser): Promise<void> {
    this.running.add(vu);
    this.context.figures.vus += 1;
    while (!vu.retiring && !this.ended && this.takeIteration(vu)) {
      const row = this.work.feed ? await rowFrom(this.work.feed) : undefined;
      if (this.work.feed && !row) {
        // Its rows ran out: the scenario ends, as "each account logs in once" asks.
        this.end();
        break;
      }
      await runIteration(vu, this.work.steps, this.context, row);
    }
    this.context.figures.vus -= 1;
    this.running.delete(vu);
    clearTimeout(this.graceTimers.get(vu));
    this.graceTimers.delete(vu);
    this.pool.release(vu);
    if (this.budgetSpent() || this.ended) this.finishIfDone();
    else if ([...this.running].filter((other) => !other.retiring).length < this.target) this.setTarget(this.target);
  }

  /** Whether the VU may start another iteration: its own budget, or one of the shared ones. */
  private takeIteration(vu: VirtualUser): boolean {
    if (this.plan.iterationsPerVu !== undefined) return vu.iteration < this.plan.iterationsPerVu;
    if (this.sharedLeft === undefined) return true;
    if (this.sharedLeft === 0) return false;
    this.sharedLeft -= 1;
    return true;
  }

  /** Iterations, not time, end this scenario: the shared ones are all taken, or each VU ran its own. */
  private budgetSpent(): boolean {
    return this.sharedLeft === 0 || this.plan.iterationsPerVu !== undefined;
  }

  private finishIfDone(): void {
    // A pause empties the loops without ending the scenario.
    if (this.running.size > 0 || (this.pause && !this.ended)) return;
    this.clearTimers();
    this.resolveFinished();
  }
}
