import { performance } from 'node:perf_hooks';
import { laneArrivals, plannedDurationMs, segmentsIntegral, type ArrivalPlan, type ScenarioPlan, type VuPlan } from '../../protocol/index.js';
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
};

/** A scenario's flow and, when it reads test data, the feed of its rows. */
export type ScenarioWork = { steps: readonly CompiledStep[]; feed: RowFeed | undefined };

export function startScenario(plan: ScenarioPlan, work: ScenarioWork, context: FlowContext, testStartMs: number): ScenarioRun {
  const pool = new VuPool(plan);
  const startMs = testStartMs + plan.startAfterMs;
  return plan.model === 'arrivals' ? new ArrivalRun(plan, pool, work, context, startMs) : new VuLoopsRun(plan, pool, work, context, startMs);
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
  private readonly graceTimer: NodeJS.Timeout;

  constructor(
    plan: ScenarioPlan & ArrivalPlan,
    private readonly pool: VuPool,
    private readonly work: ScenarioWork,
    private readonly context: FlowContext,
    startMs: number,
  ) {
    const rate = stagedPacer(plan.segments);
    const { index, count } = plan.lane;
    const lane: Pacer = { startOffsetMs: (i) => rate.startOffsetMs(index + i * count), description: rate.description };
    this.scheduler = new StartScheduler({ count: laneArrivals(segmentsIntegral(plan.segments), plan.lane), pacer: lane, maxInFlight: Infinity, startAtMs: startMs });
    this.graceTimer = at(startMs + plannedDurationMs(plan.segments) + plan.gracefulStopMs, () => this.interruptAll());
    this.finished = this.scheduler.run(this.arrive).then(() => clearTimeout(this.graceTimer));
  }

  stop(): void {
    this.scheduler.stop();
    this.interruptAll();
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
  private readonly timers: NodeJS.Timeout[] = [];
  private readonly graceTimers = new Map<VirtualUser, NodeJS.Timeout>();
  private target = 0;
  private ended = false;
  private sharedLeft: number | undefined;

  constructor(
    private readonly plan: ScenarioPlan & VuPlan,
    private readonly pool: VuPool,
    private readonly work: ScenarioWork,
    private readonly context: FlowContext,
    startMs: number,
  ) {
    this.finished = new Promise((resolve) => (this.resolveFinished = resolve));
    this.sharedLeft = plan.sharedIterations;
    for (const change of plan.vuChanges) this.timers.push(at(startMs + change.atMs, () => this.setTarget(change.vus)));
    if (plan.durationMs !== undefined) this.timers.push(at(startMs + plan.durationMs, () => this.end()));
  }

  stop(): void {
    this.end();
    for (const vu of this.running) vu.interrupt();
  }

  /** No iteration starts from now on; running ones get graceful_stop. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.setTarget(0);
    this.finishIfDone();
  }

  private setTarget(vus: number): void {
    this.target = this.ended ? 0 : vus;
    const active = [...this.running].filter((vu) => !vu.retiring);
    for (let more = this.target - active.length; more > 0; more--) {
      const vu = this.pool.acquire();
      // Every VU of the scenario's block is still finishing: the next to end picks up (runLoop's end).
      if (!vu) break;
      void this.runLoop(vu);
    }
    for (const vu of active.slice(this.target).reverse()) this.retire(vu);
  }

  private retire(vu: VirtualUser): void {
    vu.retiring = true;
    this.graceTimers.set(vu, setTimeout(() => vu.interrupt(), this.plan.gracefulStopMs));
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
    if (this.running.size > 0) return;
    for (const timer of this.timers) clearTimeout(timer);
    this.resolveFinished();
  }
}
