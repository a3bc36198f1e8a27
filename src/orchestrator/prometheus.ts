import type { RuntimeController } from './runtimeController.js';
import type { FiguresCalculator } from './testFigures.js';
import { TEST_STATES } from './testEvents.js';

type Sample = { labels?: Record<string, string>; value: number };

/** The orchestrator's own figures in Prometheus text format 0.0.4. */
export function prometheusText(controller: RuntimeController, figures: FiguresCalculator, rejected: Record<string, number>): string {
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
  const latency: Sample[] = running.flatMap((t) => {
    const l = figures.figuresFor(t).aggregate.latency;
    return (['median', 'p90', 'p95', 'p99', 'max'] as const).flatMap((q) => (l[q] === null ? [] : [{ labels: { test_id: t.test_id, quantile: q }, value: l[q] / 1000 }]));
  });
  metric(lines, 'stampede_running_test_latency_seconds', 'gauge', 'Latency of running tests (merged across drivers).', latency);
  metric(lines, 'stampede_kafka_messages_rejected_total', 'counter', 'Malformed Kafka messages logged and skipped, by topic.', Object.entries(rejected).map(([topic, value]) => ({ labels: { topic }, value })));
  metric(lines, 'stampede_reports_received_total', 'counter', 'Metrics reports consumed.', [{ value: controller.counters.reports_received }]);
  metric(lines, 'stampede_reports_duplicate_total', 'counter', 'Metrics reports seen before (same report_id), counted once.', [{ value: controller.counters.reports_duplicate }]);
  return lines.join('\n') + '\n';
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
