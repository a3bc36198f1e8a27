import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { HistogramFromCounts } from '../metrics/histogramFromCounts.js';
import { scrapedMetric, type LabelledValue } from '../metrics/scrapedMetric.js';
import type { CumulativeBuckets } from '../stats/cumulativeBuckets.js';

/** One test's cumulative figures on this driver; `latency` holds successful requests only. */
export type DriverTestFigures = { testId: string; sent: number; completed: number; errors: Record<string, number>; latency: CumulativeBuckets };

/** What /metrics shows, read at each scrape. */
export type DriverMetricsSnapshot = {
  running: boolean;
  reportsPending: number;
  /** Commands not obeyed for want of a valid signature, by reason. */
  commandsRefused: Record<string, number>;
  /** Every test this driver ran since it started, the running one included. */
  tests: DriverTestFigures[];
};


/**
 * The driver's /metrics: one prom-client registry per node (tests run several drivers in one process, so
 * never the global one), with Node's process metrics. Figures are read from the driver's recorders at
 * scrape time; nothing is added to the path of a request.
 */
export class DriverMetrics {
  readonly registry = new Registry();
  private latest: DriverMetricsSnapshot = { running: false, reportsPending: 0, commandsRefused: {}, tests: [] };

  constructor(
    node_id: string,
    private readonly snapshot: () => DriverMetricsSnapshot,
  ) {
    collectDefaultMetrics({ register: this.registry });
    const perTest = (value: (t: DriverTestFigures) => number) => () => this.latest.tests.map((t): LabelledValue<'node_id' | 'test_id'> => [{ node_id, test_id: t.testId }, value(t)]);
    this.metric(Counter, 'stampede_driver_requests_sent_total', 'Requests sent to the target, by test.', ['test_id'], perTest((t) => t.sent));
    this.metric(Counter, 'stampede_driver_requests_completed_total', 'Requests with a response or a recorded error, by test.', ['test_id'], perTest((t) => t.completed));
    this.metric(Counter, 'stampede_driver_request_errors_total', 'Failed requests, by test and error kind.', ['test_id', 'kind'], () =>
      this.latest.tests.flatMap((t) => Object.entries(t.errors).map(([kind, count]): LabelledValue<'node_id' | 'test_id' | 'kind'> => [{ node_id, test_id: t.testId, kind }, count])),
    );
    this.metric(Counter, 'stampede_driver_commands_refused_total', 'Commands (test_config, trigger, control) refused for a missing, wrong, stale or replayed signature.', ['reason'], () =>
      Object.entries(this.latest.commandsRefused).map(([reason, count]): LabelledValue<'node_id' | 'reason'> => [{ node_id, reason }, count]),
    );
    this.metric(Gauge, 'stampede_driver_running', '1 while a test runs.', [], () => [[{ node_id }, this.latest.running ? 1 : 0]]);
    this.metric(Gauge, 'stampede_driver_reports_pending', 'Metrics reports in the outbox not yet acknowledged by Kafka.', [], () => [[{ node_id }, this.latest.reportsPending]]);
    new HistogramFromCounts<'node_id' | 'test_id'>({
      name: 'stampede_driver_request_duration_seconds',
      help: "Latency of successful requests from their intended start, by test: this driver's cumulative HDR histogram (merged over its load workers).",
      registry: this.registry,
      series: () => this.latest.tests.map((t) => ({ labels: { node_id, test_id: t.testId }, buckets: t.latency })),
    });
  }

  /** One snapshot per scrape, taken before the registry reads any metric, so every series agrees. */
  text(): Promise<string> {
    this.latest = this.snapshot();
    return this.registry.metrics();
  }

  /** A metric filled at scrape time; counters copy totals the driver keeps. Every series carries node_id. */
  private metric<L extends string>(kind: typeof Counter | typeof Gauge, name: string, help: string, labelNames: readonly L[], values: () => LabelledValue<'node_id' | L>[]): void {
    scrapedMetric(kind, { registry: this.registry, name, help, labelNames: ['node_id', ...labelNames], values });
  }
}
