import { performance } from 'node:perf_hooks';
import type { KafkaBus } from '../../src/bus/index.js';
import { newReportId, TOPICS, type LatencyFields, type MetricsMessage } from '../../src/protocol/index.js';
import { createLatencyHistogram, encodeHistogram, recordMicros } from '../../src/stats/latencyHistogram.js';
import { summarize } from '../../src/stats/summary.js';

const REPORT_INTERVAL_MS = 500;
const HEARTBEAT_INTERVAL_MS = 1000;
const TICK_MS = 10;
/** Distinct report bodies reused round-robin: building a fresh histogram per report would make the publisher the bottleneck. */
const HISTOGRAM_VARIANTS = 16;
const SAMPLES_PER_HISTOGRAM = 3_000;
/** `sent` = seq × this, so the figure seen on the REST API names the report it came from. */
export const SENT_PER_REPORT = 1_000;
const IN_FLIGHT = 64;

type ReportBody = Pick<MetricsMessage, 'metrics' | 'histogram' | 'service_histogram'>;

/**
 * One producer shared by a share of the simulated drivers (real drivers each have their own).
 */
export class PublishLane {
  constructor(readonly bus: KafkaBus) {}

  /** The bus batches whatever is published while a send is out, as each real driver's bus does. */
  enqueue(publish: (bus: KafkaBus) => Promise<void>): Promise<void> {
    return publish(this.bus);
  }
}

type SimulatedDriver = { nodeId: string; lane: PublishLane; seq: number; nextReportAt: number; nextHeartbeatAt: number };

/** Latencies spread like a real run's: mostly a few ms, a long tail to ~100 ms. */
function realisticBody(): ReportBody {
  const latency = createLatencyHistogram();
  const service = createLatencyHistogram();
  for (let i = 0; i < SAMPLES_PER_HISTOGRAM; i++) {
    const micros = 1_000 * Math.exp(Math.random() * Math.random() * 4.6);
    recordMicros(latency, micros);
    recordMicros(service, micros * 0.9);
  }
  const s = summarize(latency);
  const metrics: LatencyFields = { mean_latency: s.mean!, median_latency: s.median!, min_latency: s.min!, max_latency: s.max!, mode_latency: s.mode!, p90_latency: s.p90!, p95_latency: s.p95!, p99_latency: s.p99! };
  return { metrics, histogram: encodeHistogram(latency), service_histogram: encodeHistogram(service) };
}

export type PublishStats = { reports: number; heartbeats: number; failures: number; pending: number };

/**
 * Many drivers in one process: each registers, heartbeats every second and publishes a cumulative
 * report every 500 ms (its own phase), as `stampede driver` does, through a few publish lanes.
 */
export class SimulatedDrivers {
  readonly ids: string[];
  readonly stats: PublishStats = { reports: 0, heartbeats: 0, failures: 0, pending: 0 };
  /** Publication times (performance.now) of every report of the watched drivers, by node id then seq. */
  readonly publishedAt = new Map<string, Map<number, number>>();
  private readonly drivers: SimulatedDriver[];
  private readonly bodies = Array.from({ length: HISTOGRAM_VARIANTS }, realisticBody);
  private testId: string | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(lanes: PublishLane[], count: number, watched: number) {
    const run = Math.random().toString(36).slice(2, 8);
    const now = performance.now();
    this.drivers = Array.from({ length: count }, (_, i) => ({
      nodeId: `sim-${run}-${String(i).padStart(4, '0')}`,
      lane: lanes[i % lanes.length]!,
      seq: 0,
      nextReportAt: now + Math.random() * REPORT_INTERVAL_MS,
      nextHeartbeatAt: now + Math.random() * HEARTBEAT_INTERVAL_MS,
    }));
    this.ids = this.drivers.map((d) => d.nodeId);
    for (const id of this.ids.slice(0, watched)) this.publishedAt.set(id, new Map());
  }

  async register(): Promise<void> {
    await Promise.all(this.drivers.map((d) => d.lane.enqueue((bus) => bus.publish(TOPICS.register, { node_id: d.nodeId, node_IP: '127.0.0.1:1', message_type: 'DRIVER_NODE_REGISTER' }, d.nodeId))));
  }

  /** Heartbeats start at once; reports once a test is given. */
  start(): void {
    this.timer = setInterval(() => this.tick(), TICK_MS);
  }

  reportFor(testId: string): void {
    this.testId = testId;
  }

  /** Heartbeats go on, so the drivers stay alive while the last reports drain. */
  stopReports(): void {
    this.testId = undefined;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = performance.now();
    for (const driver of this.drivers) {
      if (now >= driver.nextHeartbeatAt) {
        driver.nextHeartbeatAt += HEARTBEAT_INTERVAL_MS;
        this.send(driver, (bus) => bus.publish(TOPICS.heartbeat, { node_id: driver.nodeId, heartbeat: 'YES', timestamp: new Date().toISOString(), state: 'running', test_id: this.testId ?? null }, driver.nodeId), 'heartbeats');
      }
      if (this.testId !== undefined && now >= driver.nextReportAt) {
        driver.nextReportAt += REPORT_INTERVAL_MS;
        this.publishReport(driver, this.testId);
      }
    }
  }

  private publishReport(driver: SimulatedDriver, testId: string): void {
    driver.seq += 1;
    const sent = driver.seq * SENT_PER_REPORT;
    const report: MetricsMessage = {
      ...this.bodies[driver.seq % HISTOGRAM_VARIANTS]!,
      node_id: driver.nodeId,
      test_id: testId,
      report_id: newReportId(),
      sent,
      completed: sent - IN_FLIGHT,
      errors: {},
      in_flight: IN_FLIGHT,
      late_starts: 0,
      seq: driver.seq,
      elapsed_ms: driver.seq * REPORT_INTERVAL_MS,
      timestamp: new Date().toISOString(),
    };
    const times = this.publishedAt.get(driver.nodeId);
    // Stamped when the producer gets it, so the lag does not include this process's own queue.
    this.send(driver, (bus) => {
      times?.set(report.seq!, performance.now());
      return bus.publish(TOPICS.metrics, report, driver.nodeId);
    }, 'reports');
  }

  private send(driver: SimulatedDriver, publish: (bus: KafkaBus) => Promise<void>, counter: 'reports' | 'heartbeats'): void {
    this.stats.pending += 1;
    driver.lane.enqueue(publish).then(
      () => {
        this.stats[counter] += 1;
        this.stats.pending -= 1;
      },
      () => {
        this.stats.failures += 1;
        this.stats.pending -= 1;
      },
    );
  }
}
