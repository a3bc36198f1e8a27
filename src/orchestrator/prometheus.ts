import { Gauge, Registry } from 'prom-client';
import type { RuntimeController } from './runtimeController.js';
import type { FiguresCalculator } from './testFigures.js';
import type { TestProjection } from './testProjection.js';
import { TEST_STATES } from './testEvents.js';

type Sample = { labels?: Record<string, string>; value: number };

/** The orchestrator's own figures in Prometheus text format 0.0.4. */
export async function prometheusText(controller: RuntimeController, figures: FiguresCalculator, rejected: Record<string, number>): Promise<string> {
  const drivers = controller.drivers.list();
  const tests = controller.tests.list();
  const running = tests.filter((t) => t.state === 'running');
  const lines: string[] = [];
  metric(lines, 'stampede_drivers', 'gauge', 'Registered drivers by liveness.', [
    { labels: { status: 'alive' }, value: drivers.filter((d) => d.status === 'alive').length },
    { labels: { status: 'lost' }, value: drivers.filter((d) => d.status === 'lost').length },
    { labels: { status: 'left' }, value: drivers.filter((d) => d.status === 'left').length },
  ]);
  metric(lines, 'stampede_tests', 'gauge', 'Tests by state.', TEST_STATES.map((state) => ({ labels: { state }, value: tests.filter((t) => t.state === state).length })));
  const all = tests.map((t) => figures.figuresFor(t).aggregate);
  metric(lines, 'stampede_requests_sent_total', 'counter', 'Requests sent by drivers, over all tests.', [{ value: sum(all.map((f) => f.sent)) }]);
  metric(lines, 'stampede_requests_completed_total', 'counter', 'Requests completed (response or error), over all tests.', [{ value: sum(all.map((f) => f.completed)) }]);
  metric(lines, 'stampede_request_errors_total', 'counter', 'Failed requests, over all tests.', [{ value: sum(all.map((f) => f.error_count)) }]);
  metric(lines, 'stampede_kafka_messages_rejected_total', 'counter', 'Malformed Kafka messages logged and skipped, by topic.', Object.entries(rejected).map(([topic, value]) => ({ labels: { topic }, value })));
  metric(lines, 'stampede_reports_received_total', 'counter', 'Metrics reports consumed.', [{ value: controller.counters.reports_received }]);
  metric(lines, 'stampede_reports_duplicate_total', 'counter', 'Metrics reports seen before (same report_id), counted once.', [{ value: controller.counters.reports_duplicate }]);
  return lines.join('\n') + '\n' + (await intervalMetrics(running));
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
async function intervalMetrics(running: readonly TestProjection[]): Promise<string> {
  const registry = new Registry();
  const latency = new Gauge({ name: 'stampede_running_test_interval_latency_seconds', help: 'Latency of running tests over their last whole second, merged across drivers.', labelNames: ['test_id', 'quantile'], registers: [registry] });
  const rate = new Gauge({ name: 'stampede_running_test_interval_rate', help: 'Requests started per second by running tests over their last whole second: achieved, and planned by the test.', labelNames: ['test_id', 'kind'], registers: [registry] });
  for (const test of running) {
    const point = test.overall.settled(test.config, test.driver_ids.length);
    if (!point) continue;
    for (const [quantile, key] of QUANTILES) {
      const ms = point[key];
      // Whole microseconds over 1e6 print without float noise.
      if (ms !== null) latency.set({ test_id: test.test_id, quantile }, Math.round(ms * 1000) / 1e6);
    }
    if (point.sent_rps !== null) rate.set({ test_id: test.test_id, kind: 'achieved' }, point.sent_rps);
    if (point.planned_rps !== null) rate.set({ test_id: test.test_id, kind: 'planned' }, point.planned_rps);
  }
  return registry.metrics();
}

function metric(lines: string[], name: string, type: 'gauge' | 'counter', help: string, samples: Sample[]): void {
  lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
  for (const s of samples) lines.push(`${name}${labelText(s.labels)} ${s.value}`);
}

function labelText(labels: Record<string, string> | undefined): string {
  if (!labels) return '';
  return `{${Object.entries(labels).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`).join(',')}}`;
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
