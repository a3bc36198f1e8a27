import type { DriverFigures, Figures, Latency, TestDetailView } from '../../src/api/index.js';

export const LATENCY: Latency = { min: 0.5, max: 40, mean: 3.2, median: 2.5, mode: 2.1, p90: 6, p95: 245.1, p99: 300 };

export function figures(overrides: Partial<Figures> = {}): Figures {
  return { sent: 400, completed: 400, errors: {}, error_count: 0, error_samples: {}, in_flight: 0, late_starts: 0, rps: 950, elapsed_ms: 2_000, latency: LATENCY, approximate: false, status_counts: { '200': 400 }, bytes_received: 7_200, requests: [], groups: [], iterations: null, checks: null, vus: null, interval: null, ...overrides };
}

export function driverFigures(nodeId: string, overrides: Partial<DriverFigures> = {}): DriverFigures {
  return { ...figures({ sent: 200, completed: 200, rps: 475 }), node_id: nodeId, interval: null, reports: 5, final: true, outcome: 'completed', reason: null, progress: 1, phase: 'workload', started_at: null, priming_ms: null, clock_offset_ms: null, warmup_completed: 0, ...overrides };
}

export function testView(overrides: Partial<TestDetailView> = {}): TestDetailView {
  return {
    test_id: 'test-abc',
    state: 'completed',
    reason: null,
    created_at: '2026-01-01T00:00:00.000Z',
    triggered_at: '2026-01-01T00:00:00.100Z',
    finished_at: '2026-01-01T00:00:02.100Z',
    config: { test_type: 'TSUNAMI', test_message_delay: 10, message_count_per_driver: 200, target_url: 'http://127.0.0.1:8080/ping', throughput_per_driver: null, timeout_ms: null, concurrency: null, pipelining: null, warmup_count_per_driver: null, max_duration_s: null, requests: null, tls_insecure: false, stages: null, start_rps: null, duration_s: null, warmup_s: null, scenarios: null, data: null, planned_duration_s: null },
    driver_ids: ['driver-a', 'driver-b'],
    aggregate: figures(),
    drivers: [driverFigures('driver-a'), driverFigures('driver-b')],
    data: [],
    start_skew_ms: null,
    steering: [],
    paused: false,
    capacity: null,
    ...overrides,
  };
}
