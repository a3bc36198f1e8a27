import { performance } from 'node:perf_hooks';
import { newReportId, type LatencyFields, type MetricsMessage, type RequestStats, type StartSecond, type TestOutcome, type TestPhase } from '../protocol/index.js';
import { encodeHistogram } from '../stats/latencyHistogram.js';
import { summarize } from '../stats/summary.js';
import type { Recorder, RequestTallyView } from './recorder.js';

export const REPORT_INTERVAL_MS = 500;

/**
 * Where reports go: the driver's outbox, which stores each before publishing it and publishes it
 * however long Kafka is away (ReportPublisher). Submitting never waits for the broker.
 */
export type ReportSink = {
  submit: (message: MetricsMessage) => void;
};

export type FinalState = { outcome: TestOutcome; reason?: string };

/**
 * The final report of a test this driver never started: a trigger it cannot run (`rejected`), or a test
 * cancelled before its trigger (`cancelled`), so the orchestrator need not wait for it.
 */
export function unstartedReport(nodeId: string, testId: string, final: FinalState & { reason: string }): MetricsMessage {
  return {
    node_id: nodeId,
    test_id: testId,
    report_id: newReportId(),
    metrics: zeroLatencies(),
    sent: 0,
    completed: 0,
    errors: {},
    in_flight: 0,
    late_starts: 0,
    final: true,
    outcome: final.outcome,
    reason: final.reason,
    seq: 1,
    elapsed_ms: 0,
    timestamp: new Date().toISOString(),
  };
}

/** Where a test stands beyond its recorder: in its warm-up or its measured workload. */
export type PhaseProgress = { phase: TestPhase; warmup_completed?: number };

/** The figures a report reads: one recorder, or the merge of the load workers' taken when the report is built. */
export type FiguresSource = Recorder | (() => Recorder);

/** Cumulative reports of one test: every 500 ms while it runs, then exactly one final report. */
export class Reporter {
  private startedAt = performance.now();
  private seq = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly nodeId: string,
    private readonly testId: string,
    private readonly figures: FiguresSource,
    private readonly sink: ReportSink,
    private readonly phase: () => PhaseProgress = () => ({ phase: 'workload' }),
    /** figures beyond the recorder's: a scenario test's iterations, checks, VUs and groups */
    private readonly extraFigures: () => Partial<MetricsMessage> = () => ({}),
  ) {}

  start(): void {
    this.timer = setInterval(() => this.sendPeriodic(), REPORT_INTERVAL_MS);
  }

  /** The schedule's clock started (at the shared start), or the measured workload after a warm-up: `elapsed_ms`, and so every rate, counts from here. */
  restartClock(atMs = performance.now()): void {
    this.startedAt = atMs;
  }

  /** Freezes the recorder and hands over the final report; the outbox sees it delivered. */
  finish(final: FinalState): MetricsMessage {
    clearInterval(this.timer);
    this.recorder().freeze();
    const message = this.build(final);
    this.sink.submit(message);
    return message;
  }

  /** A slow broker piles nothing up: the outbox keeps only the newest periodic report of a test unsent. */
  private sendPeriodic(): void {
    this.sink.submit(this.build(undefined));
  }

  private recorder(): Recorder {
    return typeof this.figures === 'function' ? this.figures() : this.figures;
  }

  private build(final: FinalState | undefined): MetricsMessage {
    const recorder = this.recorder();
    this.seq += 1;
    const progress = this.phase();
    const message: MetricsMessage = {
      node_id: this.nodeId,
      test_id: this.testId,
      report_id: newReportId(),
      metrics: latencyFields(recorder),
      ...recorder.counts(),
      error_samples: recorder.samples(),
      ...progress,
      seq: this.seq,
      // Time only counts once the measured requests start: a warm-up report has nothing to divide by
      // it, and a clock running back to 0 when the workload starts would break readers' timelines.
      elapsed_ms: progress.phase === 'warmup' ? 0 : Math.max(0, Math.round(performance.now() - this.startedAt)),
      timestamp: new Date().toISOString(),
      histogram: encodeHistogram(recorder.latency),
      service_histogram: encodeHistogram(recorder.service),
      ...recorder.responses(),
      ...requestsStats(recorder),
      ...startSeconds(recorder),
      ...this.extraFigures(),
    };
    return final ? { ...message, final: true, ...final } : message;
  }
}

/** The seconds changed since the report before, by intended start; absent when none (a scenario test, a warm-up). */
function startSeconds(recorder: Recorder): { start_seconds?: StartSecond[] } {
  const changed = recorder.seconds.takeChanged();
  return changed.length === 0 ? {} : { start_seconds: changed };
}

/** Per request name, present only when the test named its requests (or has steps). */
function requestsStats(recorder: Recorder): { requests_stats?: RequestStats[] } {
  const figures = recorder.perRequestFigures();
  return figures.length === 0 ? {} : { requests_stats: namedStats(figures) };
}

/** Named figures (requests, steps, groups) as a report carries them; a histogram only once a name had a success. */
export function namedStats(figures: readonly RequestTallyView[]): RequestStats[] {
  return figures.map(({ latency, ...counts }) => (latency.totalCount > 0 ? { ...counts, histogram: encodeHistogram(latency) } : counts));
}

function latencyFields(recorder: Recorder): LatencyFields {
  const s = summarize(recorder.latency);
  return {
    mean_latency: s.mean ?? 0,
    median_latency: s.median ?? 0,
    min_latency: s.min ?? 0,
    max_latency: s.max ?? 0,
    mode_latency: s.mode ?? 0,
    p90_latency: s.p90 ?? 0,
    p95_latency: s.p95 ?? 0,
    p99_latency: s.p99 ?? 0,
  };
}

function zeroLatencies(): LatencyFields {
  return { mean_latency: 0, median_latency: 0, min_latency: 0, max_latency: 0, mode_latency: 0, p90_latency: 0, p95_latency: 0, p99_latency: 0 };
}
