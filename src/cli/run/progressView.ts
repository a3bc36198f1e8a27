import type { DriverFigures, Figures, TestDetailView } from '../../api/index.js';
import { MAX_PLANNED_REQUESTS } from '../../protocol/index.js';
import { alignColumns, errorPercent } from './summaryTable.js';
import { formatNumber } from '../../api/thresholds.js';

/**
 * Live progress of one test: fed every poll, told once when the test is over, and told when nothing
 * has come from Kafka for a while ("no data from Kafka for 4 s"; null once data flows again).
 */
export type ProgressView = { update(view: TestDetailView): void; finish(view: TestDetailView): void; silence(problem: string | null): void };

export type ProgressMode = 'tty' | 'plain' | 'none';

type Output = Pick<NodeJS.WriteStream, 'write'> & { columns?: number };

const PLAIN_INTERVAL_MS = 1_000;
const BAR_WIDTH = 24;

/** `footer`: a last line of the terminal view (the steering keys), from the view shown. */
export function createProgressView(mode: ProgressMode, output: Output, now: () => number = Date.now, footer?: (view: TestDetailView) => string): ProgressView {
  if (mode === 'tty') return new TtyProgressView(output, footer);
  if (mode === 'plain') return new PlainProgressView(output, now);
  return { update: () => undefined, finish: () => undefined, silence: () => undefined };
}

/** Redraws its lines in place: cursor back up over the previous frame, clear to the end, draw again. */
class TtyProgressView implements ProgressView {
  #drawnLines = 0;
  #silence: string | null = null;
  #lastView: TestDetailView | undefined;

  constructor(
    private readonly output: Output,
    private readonly footer?: (view: TestDetailView) => string,
  ) {}

  update(view: TestDetailView): void {
    this.#lastView = view;
    const width = this.output.columns || 120;
    const frame = [...ttyProgressLines(view), ...(this.#silence ? [`⚠ ${this.#silence}`] : []), ...(this.footer && view.state === 'running' ? [this.footer(view)] : [])];
    const lines = frame.map((line) => line.slice(0, Math.max(20, width - 1)));
    const rewind = this.#drawnLines > 0 ? `\x1b[${this.#drawnLines}F\x1b[J` : '';
    this.output.write(`${rewind}${lines.join('\n')}\n`);
    this.#drawnLines = lines.length;
  }

  finish(view: TestDetailView): void {
    this.#silence = null;
    this.update(view);
    this.#drawnLines = 0;
  }

  /** A line under the bars, counting up while the silence lasts. */
  silence(problem: string | null): void {
    if (problem === this.#silence) return;
    this.#silence = problem;
    if (this.#lastView) this.update(this.#lastView);
  }
}

/** For logs: one line at most every second, and always the last figures. */
class PlainProgressView implements ProgressView {
  readonly #startedAt: number;
  #lastPrintedAt = -Infinity;
  #lastFigures = '';
  #silentSinceMs: number | undefined;

  constructor(
    private readonly output: Output,
    private readonly now: () => number,
  ) {
    this.#startedAt = now();
  }

  update(view: TestDetailView): void {
    if (this.now() - this.#lastPrintedAt < PLAIN_INTERVAL_MS) return;
    this.print(view);
  }

  finish(view: TestDetailView): void {
    if (figuresText(view) !== this.#lastFigures) this.print(view);
  }

  /** One line when the silence begins and one when data comes again, not a line a second. */
  silence(problem: string | null): void {
    if ((problem === null) === (this.#silentSinceMs === undefined)) return;
    const now = this.now();
    if (problem !== null) {
      this.#silentSinceMs = now;
      this.output.write(`${plainTime(now - this.#startedAt)} ${problem}\n`);
    } else {
      this.output.write(`${plainTime(now - this.#startedAt)} data from Kafka again after ${Math.round((now - (this.#silentSinceMs ?? now)) / 1000)} s\n`);
      this.#silentSinceMs = undefined;
    }
  }

  private print(view: TestDetailView): void {
    this.#lastPrintedAt = this.now();
    this.#lastFigures = figuresText(view);
    this.output.write(`${plainProgressLine(view, this.#lastPrintedAt - this.#startedAt)}\n`);
  }
}

/** `t=3.0s sent=120/200 completed=118 errors=0 rps=40.1 p50=1.2ms p99=3.4ms` */
export function plainProgressLine(view: TestDetailView, elapsedMs: number): string {
  return `${plainTime(elapsedMs)} ${figuresText(view)}`;
}

function plainTime(elapsedMs: number): string {
  return `t=${(elapsedMs / 1000).toFixed(1)}s`;
}

function figuresText(view: TestDetailView): string {
  const a = view.aggregate;
  const warming = view.drivers.filter(isWarmingUp);
  if (warming.length > 0) return `warming up: ${warming.reduce((sum, d) => sum + d.warmup_completed, 0)}/${warmupRequests(view)} warm-up requests done`;
  return [
    ...timeText(view),
    `sent=${a.sent}${countPlanned(view) ? `/${plannedRequests(view)}` : ''}`,
    `completed=${a.completed}`,
    `errors=${a.error_count}`,
    `rps=${a.rps === null ? '-' : a.rps.toFixed(1)}`,
    `p50=${millis(a.latency.median)}`,
    `p99=${millis(a.latency.p99)}`,
    ...flowText(a),
  ].join(' ');
}

/** A scenario test's VUs and iterations: `vus=20 iterations=118 failed=2 dropped=0`; nothing for a plain test. */
function flowText(f: Figures): string[] {
  if (!f.iterations) return [];
  return [`vus=${f.vus ?? 0}`, `iterations=${f.iterations.completed}`, `failed=${f.iterations.failed}`, `dropped=${f.iterations.dropped}`];
}

/** One bar per driver, then the overall counts and latencies. */
export function ttyProgressLines(view: TestDetailView): string[] {
  const perDriver = view.config.message_count_per_driver;
  const driverRows = view.drivers.map((d) => driverRow(d, perDriver));
  const overall = overallRow(view, plannedRequests(view));
  const latency = view.aggregate.latency;
  const time = timeText(view);
  const latencyLine = `latency  median ${millis(latency.median)}  p95 ${millis(latency.p95)}  p99 ${millis(latency.p99)}   ${view.state}${time.length > 0 ? `   ${time.join(' ')}` : ''}`;
  const flow = flowText(view.aggregate);
  return [...alignColumns([...driverRows, overall]), latencyLine, ...(flow.length > 0 ? [flow.join('  ')] : [])];
}

function driverRow(d: DriverFigures, perDriver: number): string[] {
  if (isWarmingUp(d)) return [d.node_id, bar(0), `warming up ${d.warmup_completed}`, '', '', ''];
  return [d.node_id, bar(d.progress), ...counts(d, perDriver === MAX_PLANNED_REQUESTS ? undefined : perDriver)];
}

function overallRow(view: TestDetailView, planned: number): string[] {
  const f = view.aggregate;
  const fraction = timeFraction(view) ?? (planned > 0 ? f.sent / planned : 0);
  return ['overall', bar(fraction), ...counts(f, countPlanned(view) ? planned : undefined)];
}

function counts(f: Figures, planned: number | undefined): string[] {
  return [planned === undefined ? `${f.sent}` : `${f.sent}/${planned}`, `completed ${f.completed}`, `errors ${f.error_count} (${errorPercent(f)})`, `${f.rps === null ? '-' : f.rps.toFixed(1)} req/s`];
}

function bar(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
}

/** A driver stopped during its warm-up (final report) is no longer warming up. */
function isWarmingUp(d: DriverFigures): boolean {
  return d.phase === 'warmup' && !d.final;
}

function warmupRequests(view: TestDetailView): number {
  return (view.config.warmup_count_per_driver ?? 0) * view.driver_ids.length;
}

/** An AVALANCHE that runs for duration_s without a rate has a cap, not a planned count. */
function countPlanned(view: TestDetailView): boolean {
  return view.config.message_count_per_driver !== MAX_PLANNED_REQUESTS;
}

/** For a test with a planned duration (stages, duration_s): how far through it the furthest driver is. */
function timeFraction(view: TestDetailView): number | undefined {
  const planned = view.config.planned_duration_s;
  if (planned === null || planned <= 0) return undefined;
  return Math.min(1, view.aggregate.elapsed_ms / 1000 / planned);
}

/** `elapsed=12.0/60s eta=48s` for a test with a planned duration; nothing otherwise. */
function timeText(view: TestDetailView): string[] {
  const planned = view.config.planned_duration_s;
  if (planned === null) return [];
  const elapsed = view.aggregate.elapsed_ms / 1000;
  const left = Math.max(0, planned - elapsed);
  return [`elapsed=${elapsed.toFixed(1)}/${formatNumber(planned)}s`, `eta=${left.toFixed(0)}s`];
}

function plannedRequests(view: TestDetailView): number {
  return view.config.message_count_per_driver * view.driver_ids.length;
}

function millis(value: number | null): string {
  return value === null ? '-' : `${formatNumber(value)}ms`;
}
