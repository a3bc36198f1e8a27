import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { seriesShown } from '../metrics/finishedTestSeries.js';
import { HistogramFromCounts, type HistogramSeries } from '../metrics/histogramFromCounts.js';
import { scrapedMetric, type LabelledValue } from '../metrics/scrapedMetric.js';
import type { BucketCounts } from '../stats/latencyHistogram.js';
import { cumulativeBuckets, type CumulativeBuckets } from '../stats/cumulativeBuckets.js';
import type { RuntimeController } from './runtimeController.js';
import type { Figures, FiguresCalculator } from './testFigures.js';
import type { TestProjection } from './testProjection.js';
import type { TestSummary } from './testLog.js';
import { TEST_STATES } from './testEvents.js';

export type OrchestratorMetricsSources = {
  controller: Pick<RuntimeController, 'drivers' | 'tests' | 'counters'>;
  figures: FiguresCalculator;
  /** Malformed Kafka messages skipped so far, by topic. */
  rejectedMessages: () => Record<string, number>;
  /** The clock that says when a finished test's series leave /metrics (default Date.now). */
  now?: () => number;
};

const DRIVER_STATUSES = ['alive', 'lost', 'left'] as const;

/**
 * Steps and checks are named by users: a test's first this many of each get series, the rest none, so a
 * flow of generated names cannot flood Prometheus (the REST views and reports keep every one).
 */
export const NAMED_SERIES_LIMIT = 50;

/** What /metrics shows of a test with series: its figures, and its drivers' latency histograms merged. */
type ShownTest = { test_id: string; aggregate: Figures; buckets: CumulativeBuckets };

/**
 * The orchestrator's /metrics: one prom-client registry per node (tests run several nodes in one process,
 * so never the global one), with Node's process metrics. Every figure is read from the projections at
 * scrape time, so nothing here is updated on the paths that handle reports.
 */
export class OrchestratorMetrics {
  readonly registry = new Registry();
  /**
   * Each test with series, as of its version: a finished test's projection may have left memory
   * (testLog.ts), and is read back only when a late report changed it. Holds only the tests shown.
   */
  readonly #shown = new Map<string, { version: number; test: ShownTest }>();

  constructor(private readonly sources: OrchestratorMetricsSources) {
    collectDefaultMetrics({ register: this.registry });
    this.defineNodeGauges();
    this.defineRequestCounters();
    this.defineKafkaCounters();
    defineIntervalGauges(this.registry, () => sources.controller.tests.unfinished().filter((t) => t.state === 'running'));
    defineLatencyHistogram(this.registry, () => this.testsShown());
  }

  /** Tests with per-test series: running, or finished within FINISHED_TEST_SERIES_MS (a test not yet triggered has no figures). */
  private testsShown(): ShownTest[] {
    const nowMs = (this.sources.now ?? Date.now)();
    const summaries = this.sources.controller.tests.list().filter((test) => test.state !== 'created' && seriesShown(test.finished_at === undefined ? undefined : Date.parse(test.finished_at), nowMs));
    const ids = new Set(summaries.map((test) => test.test_id));
    for (const testId of this.#shown.keys()) if (!ids.has(testId)) this.#shown.delete(testId);
    return summaries.flatMap((summary) => {
      const test = this.shownTest(summary);
      return test ? [test] : [];
    });
  }

  private shownTest(summary: TestSummary): ShownTest | undefined {
    const cached = this.#shown.get(summary.test_id);
    if (cached?.version === summary.version) return cached.test;
    const test = this.sources.controller.tests.peek(summary.test_id);
    if (!test) return undefined;
    const parts = [...test.drivers.values()].map((d) => d.latest_buckets).filter((b): b is BucketCounts => b !== undefined);
    const shown = { test_id: test.test_id, aggregate: this.sources.figures.figuresFor(test).aggregate, buckets: cumulativeBuckets(parts) };
    this.#shown.set(test.test_id, { version: test.version, test: shown });
    return shown;
  }

  text(): Promise<string> {
    return this.registry.metrics();
  }

  private defineNodeGauges(): void {
    const { controller } = this.sources;
    countByGauge(this.registry, 'stampede_drivers', 'Registered drivers by liveness.', 'status', DRIVER_STATUSES, () => controller.drivers.list().map((d) => d.status));
    countByGauge(this.registry, 'stampede_tests', 'Tests by state.', 'state', TEST_STATES, () => controller.tests.list().map((t) => t.state));
  }

  /** Per test from its drivers' latest cumulative reports. */
  private defineRequestCounters(): void {
    const aggregates = () => this.testsShown();
    totalsCounter(this.registry, 'stampede_requests_sent_total', 'Requests sent by drivers, by test.', ['test_id'], () =>
      aggregates().map(({ test_id, aggregate }) => [{ test_id }, aggregate.sent]),
    );
    totalsCounter(this.registry, 'stampede_requests_completed_total', 'Requests completed (response or error), by test.', ['test_id'], () =>
      aggregates().map(({ test_id, aggregate }) => [{ test_id }, aggregate.completed]),
    );
    totalsCounter(this.registry, 'stampede_request_errors_total', 'Failed requests, by test and error kind.', ['test_id', 'kind'], () =>
      aggregates().flatMap(({ test_id, aggregate }) => Object.entries(aggregate.errors).map(([kind, count]) => [{ test_id, kind }, count] as const)),
    );
    this.defineFlowSeries(aggregates);
  }

  /** Scenario tests: per step, per check, iterations and VUs; names bounded by NAMED_SERIES_LIMIT per test. */
  private defineFlowSeries(aggregates: () => { test_id: string; aggregate: Figures }[]): void {
    const flows = () => aggregates().filter(({ aggregate }) => aggregate.iterations !== null);
    totalsCounter(this.registry, 'stampede_step_requests_completed_total', `Requests completed per flow step, by test (a test's first ${NAMED_SERIES_LIMIT} steps).`, ['test_id', 'step'], () =>
      flows().flatMap(({ test_id, aggregate }) => aggregate.requests.slice(0, NAMED_SERIES_LIMIT).map((step) => [{ test_id, step: step.name }, step.completed] as const)),
    );
    totalsCounter(this.registry, 'stampede_step_errors_total', `Failed requests per flow step, by test (a test's first ${NAMED_SERIES_LIMIT} steps).`, ['test_id', 'step'], () =>
      flows().flatMap(({ test_id, aggregate }) => aggregate.requests.slice(0, NAMED_SERIES_LIMIT).map((step) => [{ test_id, step: step.name }, step.error_count] as const)),
    );
    totalsCounter(this.registry, 'stampede_checks_total', `Check evaluations by result, by test (a test's first ${NAMED_SERIES_LIMIT} checks).`, ['test_id', 'check', 'result'], () =>
      flows().flatMap(({ test_id, aggregate }) =>
        (aggregate.checks?.by_name ?? []).slice(0, NAMED_SERIES_LIMIT).flatMap((check) => [
          [{ test_id, check: check.name, result: 'pass' }, check.passes] as const,
          [{ test_id, check: check.name, result: 'fail' }, check.fails] as const,
        ]),
      ),
    );
    totalsCounter(this.registry, 'stampede_iterations_total', 'Flow iterations by outcome (completed, failed, dropped), by test.', ['test_id', 'outcome'], () =>
      flows().flatMap(({ test_id, aggregate }) => (['completed', 'failed', 'dropped'] as const).map((outcome) => [{ test_id, outcome }, aggregate.iterations![outcome]] as const)),
    );
    scrapedMetric(Gauge, { registry: this.registry, name: 'stampede_vus', help: 'VUs running, by scenario test, summed over drivers.', labelNames: ['test_id'], values: () => flows().map(({ test_id, aggregate }) => [{ test_id }, aggregate.vus ?? 0]) });
  }

  private defineKafkaCounters(): void {
    const { controller, rejectedMessages } = this.sources;
    totalsCounter(this.registry, 'stampede_kafka_messages_rejected_total', 'Malformed Kafka messages logged and skipped, by topic.', ['topic'], () =>
      Object.entries(rejectedMessages()).map(([topic, count]) => [{ topic }, count]),
    );
    totalsCounter(this.registry, 'stampede_reports_received_total', 'Metrics reports consumed.', [], () => [[{}, controller.counters.reports_received]]);
    totalsCounter(this.registry, 'stampede_reports_duplicate_total', 'Metrics reports seen before (same report_id), counted once.', [], () => [[{}, controller.counters.reports_duplicate]]);
  }
}

/** How many of the things `current()` lists are in each of `values`, a zero where none is. */
function countByGauge(registry: Registry, name: string, help: string, label: string, values: readonly string[], current: () => string[]): void {
  scrapedMetric(Gauge, {
    registry,
    name,
    help,
    labelNames: [label],
    values: () => {
      const list = current();
      return values.map((value): LabelledValue<string> => [{ [label]: value }, list.filter((item) => item === value).length]);
    },
  });
}

/** A counter whose source keeps the running totals: each scrape copies them in. */
function totalsCounter<L extends string>(registry: Registry, name: string, help: string, labelNames: readonly L[], totals: () => LabelledValue<L>[]): void {
  scrapedMetric(Counter, { registry, name, help, labelNames, values: totals });
}

const QUANTILES = [
  ['0.5', 'p50'],
  ['0.95', 'p95'],
  ['0.99', 'p99'],
] as const;

/**
 * Running tests over their last whole second (merged over drivers from the difference of cumulative
 * histograms): a scrape shows the latency now, not since the start, so a slow phase shows while it lasts.
 */
function defineIntervalGauges(registry: Registry, running: () => TestProjection[]): void {
  // Only running tests have a last second: the series of a test that stopped go away with it.
  const lastSeconds = () => running().flatMap((test) => {
    const point = test.overall.settled(test.planned_rate, test.driver_ids.length);
    return point ? [{ test_id: test.test_id, point }] : [];
  });
  scrapedMetric(Gauge, {
    registry,
    name: 'stampede_running_test_interval_latency_seconds',
    help: 'Latency of running tests over their last whole second, merged across drivers.',
    labelNames: ['test_id', 'quantile'],
    values: () =>
      lastSeconds().flatMap(({ test_id, point }) =>
        QUANTILES.flatMap(([quantile, key]): LabelledValue<'test_id' | 'quantile'>[] => {
          const ms = point[key];
          // Whole microseconds over 1e6 print without float noise.
          return ms === null ? [] : [[{ test_id, quantile }, Math.round(ms * 1000) / 1e6]];
        }),
      ),
  });
  scrapedMetric(Gauge, {
    registry,
    name: 'stampede_running_test_interval_rate',
    help: 'Requests started per second by running tests over their last whole second: achieved, and planned by the test.',
    labelNames: ['test_id', 'kind'],
    values: () =>
      lastSeconds().flatMap(({ test_id, point }) => {
        const rates: LabelledValue<'test_id' | 'kind'>[] = [];
        if (point.sent_rps !== null) rates.push([{ test_id, kind: 'achieved' }, point.sent_rps]);
        if (point.planned_rps !== null) rates.push([{ test_id, kind: 'planned' }, point.planned_rps]);
        return rates;
      }),
  });
}

/**
 * Per test, the merge of its drivers' latest cumulative histograms (their bucket counts add up), bucketed
 * at HTTP bounds (kept per version with the test shown, so a scrape rebuckets only tests that moved).
 */
function defineLatencyHistogram(registry: Registry, tests: () => ShownTest[]): void {
  new HistogramFromCounts<'test_id'>({
    name: 'stampede_request_duration_seconds',
    help: 'Latency of successful requests from their intended start, by test: the merge of the drivers\' cumulative HDR histograms.',
    registry,
    series: (): HistogramSeries<'test_id'>[] => tests().map((test) => ({ labels: { test_id: test.test_id }, buckets: test.buckets })),
  });
}
