import { setTimeout as sleep } from 'node:timers/promises';
import { judgeStep, nextMove, SETTLE_MS, slosOf, type CapacityStep } from '../api/capacity.js';
import type { Logger } from '../log/logger.js';
import { DEFAULT_TIMEOUT_MS } from '../protocol/index.js';
import type { RuntimeController } from './runtimeController.js';
import { isFinished, type TestProjection } from './testProjection.js';

const POLL_MS = 200;
/** A step's last second is judged once every driver has reported this far past the step's end. */
const REPORTED_PAST_END_MS = 600;

/**
 * Carries out capacity searches (`find_capacity`): each step runs the test at its rate for step_s, then
 * pauses it (the pause lets the target drain what the step left queued, so the next step starts clean),
 * waits for the step's figures, judges them against the SLOs and starts the next step (a rate and a
 * resume at one instant), until nextMove has the answer; then it ends the test. Everything it decides is
 * in the test's event log (steering, capacity_step, capacity_found), and where a search stands is derived
 * from that log, so an orchestrator restarted mid-search goes on from where it was.
 */
export class CapacityRunner {
  readonly #running = new Set<string>();

  constructor(
    private readonly controller: RuntimeController,
    private readonly log: Logger,
  ) {
    controller.on('test', (test, event) => {
      if (event.type === 'test_triggered' && test.capacity) this.search(test.test_id);
    });
  }

  /** Searches that were under way when the orchestrator stopped go on. */
  resume(): void {
    for (const test of this.controller.tests.unfinished()) if (test.state === 'running' && test.capacity && test.capacity.capacity_rps === undefined) this.search(test.test_id);
  }

  private search(testId: string): void {
    if (this.#running.has(testId)) return;
    this.#running.add(testId);
    this.run(testId)
      .catch((error: unknown) => this.log.error({ err: error, test_id: testId }, 'capacity search failed; cancelling its test'))
      .finally(() => this.#running.delete(testId));
  }

  private async run(testId: string): Promise<void> {
    for (;;) {
      const test = this.controller.tests.get(testId);
      if (!test?.capacity || isFinished(test)) return;
      const move = nextMove(test.capacity.spec, test.capacity.steps);
      if ('capacity' in move) return this.finish(test, move.capacity);
      const startAt = await this.startStep(test, move.rate);
      const step = await this.judge(testId, move.rate, startAt);
      if (!step) return;
      this.controller.tests.append(testId, { type: 'capacity_step', at: new Date().toISOString(), ...step });
      this.log.info({ test_id: testId, rate: step.rate, p99: step.p99, error_rate: step.error_rate, ok: step.ok, failed: step.failed_slos }, 'capacity step judged');
    }
  }

  /**
   * Starts step k (k steps judged) at `rate` unless the log says it started: the first runs from the test's
   * own start at its config's rate; each later one is a rate and a resume at one instant. Its end (a
   * pause) is scheduled at once. Returns when it started (epoch ms).
   */
  private async startStep(test: TestProjection, rate: number): Promise<number> {
    const spec = test.capacity!.spec;
    const k = test.capacity!.steps.length;
    const resumes = test.steering.filter((s) => s.change.paused === false);
    let startAt = k === 0 ? (test.start_at ?? Date.parse(test.triggered_at!)) : resumes[k - 1]?.apply_at;
    if (startAt === undefined) {
      await this.controller.steerTest(test.test_id, { rate, paused: false });
      startAt = test.steering.at(-1)!.apply_at;
    }
    const pauses = test.steering.filter((s) => s.change.paused === true);
    if (pauses.length <= k) await this.controller.steerTest(test.test_id, { paused: true }, startAt + spec.step_s * 1000);
    return startAt;
  }

  /**
   * The step's figures once they are in: every driver has reported past its end and has nothing left in
   * flight (or the test's timeout has passed). Its first second is not judged: reports are labelled by
   * when they came, so it carries the step before.
   */
  private async judge(testId: string, rate: number, startAt: number): Promise<CapacityStep | undefined> {
    const test = this.controller.tests.get(testId)!;
    const spec = test.capacity!.spec;
    const workloadStart = test.start_at ?? Date.parse(test.triggered_at!);
    const fromMs = startAt - workloadStart;
    const endMs = fromMs + spec.step_s * 1000;
    const giveUpAt = startAt + spec.step_s * 1000 + (test.config.timeout_ms ?? DEFAULT_TIMEOUT_MS) + 2_000;
    for (;;) {
      const current = this.controller.tests.get(testId);
      if (!current || isFinished(current)) return undefined;
      if (Date.now() > giveUpAt || stepReported(current, endMs)) break;
      await sleep(POLL_MS);
    }
    return judgeStep(rate, test.overall.window(fromMs + SETTLE_MS, endMs), slosOf(spec));
  }

  /** The answer is in the log; the test then ends, completed (the supervisor reads the answer). */
  private async finish(test: TestProjection, capacity: number | null): Promise<void> {
    this.controller.tests.append(test.test_id, { type: 'capacity_found', at: new Date().toISOString(), capacity_rps: capacity });
    this.log.info({ test_id: test.test_id, capacity_rps: capacity, steps: test.capacity!.steps.length }, capacity === null ? 'capacity search: even the first step missed an SLO' : 'capacity search found its answer');
    await this.controller.cancelTest(test.test_id, capacity === null ? 'capacity search done: the first step missed an SLO' : `capacity search done: ${capacity} req/s`);
  }
}

/** Every driver has reported past `endMs` (or finished) and has no request left in flight. */
function stepReported(test: TestProjection, endMs: number): boolean {
  return test.driver_ids.every((id) => {
    const latest = test.drivers.get(id)?.latest;
    if (!latest) return false;
    return latest.final === true || ((latest.elapsed_ms ?? 0) >= endMs + REPORTED_PAST_END_MS && (latest.in_flight ?? 0) === 0);
  });
}
