/**
 * Drives a StartScheduler on an injected clock: the `now` it reads is a number these helpers move, and
 * node:test's MockTimers moves setTimeout with it, so a plan of seconds runs in milliseconds and every
 * start lands on a known instant. setImmediate stays real (the scheduler's precise waits and catch-up
 * turns use it): each step turns the event loop a few times so that they, and settled launches, run.
 */
import { mock } from 'node:test';
import { StartScheduler, type ScheduleOptions } from '../../../src/driver/schedule.js';

export type Start = { intended: number; startedAt: number };

export async function turnEventLoop(turns = 3): Promise<void> {
  for (let turn = 0; turn < turns; turn++) await new Promise((resolve) => setImmediate(resolve));
}

/** Runs `body` with setTimeout mocked; always restores it. */
export async function withMockTimers<T>(body: () => Promise<T>): Promise<T> {
  mock.timers.enable({ apis: ['setTimeout'] });
  try {
    return await body();
  } finally {
    mock.timers.reset();
  }
}

/** The injected clock: `now` moves only when a test moves it; mocked setTimeout moves with it. */
export class VirtualClock {
  now = 0;
  readonly read = (): number => this.now;

  /** Moves the clock to `untilMs` in steps of `stepMs`, letting due timers and turns run at each. */
  async advanceTo(untilMs: number, stepMs = 1): Promise<void> {
    while (this.now < untilMs) {
      const next = Math.min(untilMs, this.now + stepMs);
      const delta = next - this.now;
      this.now = next;
      mock.timers.tick(delta);
      await turnEventLoop();
    }
  }
}

export class VirtualRun {
  readonly starts: Start[] = [];
  readonly scheduler: StartScheduler;
  done = false;
  private finished: Promise<void> | undefined;

  /** `launchMs`: how long each launch stays in flight (0: it settles at once). */
  constructor(
    options: Omit<ScheduleOptions, 'now'>,
    private readonly launchMs = 0,
    readonly clock = new VirtualClock(),
  ) {
    this.scheduler = new StartScheduler({ ...options, now: clock.read });
  }

  get now(): number {
    return this.clock.now;
  }

  /** Calls run() at the current instant. */
  async start(): Promise<void> {
    this.finished = this.scheduler.run((intended, startedAt) => {
      this.starts.push({ intended, startedAt });
      return this.launchMs > 0 ? new Promise((resolve) => setTimeout(resolve, this.launchMs)) : Promise.resolve();
    });
    void this.finished.then(() => (this.done = true));
    await turnEventLoop();
  }

  advanceTo(untilMs: number, stepMs = 1): Promise<void> {
    return this.clock.advanceTo(untilMs, stepMs);
  }

  /** Moves on until run() resolves (true) or the clock reaches `limitMs` (false). */
  async runUntilDone(limitMs: number, stepMs = 1): Promise<boolean> {
    while (!this.done && this.now < limitMs) await this.advanceTo(Math.min(limitMs, this.now + stepMs), stepMs);
    return this.done;
  }

  /** Ends the run whatever its state, so no wait is left turning the event loop after the test. */
  async close(): Promise<void> {
    this.scheduler.stop();
    await turnEventLoop();
  }

  intendedTimes(): number[] {
    return this.starts.map((s) => s.intended);
  }

  startedBetween(fromMs: number, toMs: number): Start[] {
    return this.starts.filter((s) => s.startedAt >= fromMs && s.startedAt < toMs);
  }
}

/** Runs `body` on a fresh VirtualRun with mocked timers, closing it afterwards. */
export async function virtualRun(options: Omit<ScheduleOptions, 'now'>, body: (run: VirtualRun) => Promise<void>, launchMs = 0): Promise<void> {
  await withMockTimers(async () => {
    const run = new VirtualRun(options, launchMs);
    try {
      await body(run);
    } finally {
      await run.close();
    }
  });
}
