import { z } from 'zod';
import { DATA_MODES, ERROR_SAMPLE_LIMITS, TEST_OUTCOMES, TEST_PHASES, steeringChange } from '../protocol/index.js';
import { testConfigView } from './testConfig.js';

/**
 * What the REST API answers, as zod schemas: the orchestrator's views are typed by them, the OpenAPI
 * document states them, and the CLI reads them. All JSON, snake_case as on the wire.
 */

export const TEST_STATES = ['created', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TestState = (typeof TEST_STATES)[number];

/** left: the driver said goodbye (DRIVER_NODE_DEREGISTER); lost: it went silent without one. */
export const DRIVER_STATUSES = ['alive', 'lost', 'left'] as const;
export type DriverStatus = (typeof DRIVER_STATUSES)[number];

const count = z.int().nonnegative();
const millis = z.number().nullable();
const isoTime = z.iso.datetime();

export const latency = z
  .object({ min: millis, max: millis, mean: millis, median: millis, mode: millis, p90: millis, p95: millis, p99: millis })
  .meta({ description: 'milliseconds; null before the first response. mode: most frequent latency rounded to 0.1 ms' });
export type Latency = z.output<typeof latency>;

const statusCounts = z.record(z.string(), count).meta({ description: 'responses per HTTP status, e.g. "200": 812' });

/** One request name's figures: counts summed over the drivers, latency from the merged per-name histograms. */
export const requestFigures = z.object({
  name: z.string(),
  method: z.string(),
  url: z.string(),
  sent: count,
  completed: count,
  errors: z.record(z.string(), count),
  error_count: count,
  status_counts: statusCounts,
  bytes_received: count,
  rps: z.number().nullable(),
  latency,
});
export type RequestFigures = z.output<typeof requestFigures>;

/**
 * What happened in one interval (between a driver's two reports, or one second of the whole test):
 * rates, errors and latency percentiles of that interval only, from the difference of cumulative
 * histograms, so a 3-second slow phase shows in those 3 seconds and not ever after.
 */
export const intervalPoint = z
  .object({
    elapsed_ms: z.number().meta({ description: "the interval's end, from the start of the measured workload" }),
    interval_ms: z.number(),
    interval_sent: count,
    interval_completed: count,
    rps: z.number().nullable().meta({ description: 'completed (responses and errors) per second in the interval' }),
    sent_rps: z.number().nullable().meta({ description: 'requests started per second in the interval: what a plan sets' }),
    errors: count.meta({ description: 'errors in the interval' }),
    p50: millis.meta({ description: 'ms, of the requests that succeeded in the interval; null when none did' }),
    p95: millis,
    p99: millis,
    planned_rps: z.number().nullable().meta({ description: "the plan's mean start rate over the interval; null when unpaced or past the plan" }),
  })
  .meta({ description: "one interval: a driver's since its previous report, or one second of the whole test" });
export type IntervalPoint = z.output<typeof intervalPoint>;

/** One point per report of a driver: its interval figures and its cumulative counts. */
export const timelinePoint = intervalPoint.extend({ sent: count, completed: count, vus: count.nullable().meta({ description: 'scenario tests: VUs running when the report was made (VUs over time); null for a plain test' }) });
export type TimelinePoint = z.output<typeof timelinePoint>;

/** A flow group's figures: the requests of its steps, counted under its name. */
export const groupFigures = requestFigures.omit({ method: true, url: true });
export type GroupFigures = z.output<typeof groupFigures>;

export const iterationFigures = z
  .object({
    completed: count,
    failed: count.meta({ description: 'ended early: a capture found nothing, an aborting check failed, or a stop cut it off' }),
    dropped: count.meta({ description: 'arrivals that found no free VU under max_vus: never started' }),
    failed_by_reason: z.record(z.string(), count).meta({ description: 'capture_missing, check_failed, interrupted' }),
    duration: latency.meta({ description: 'iteration duration in milliseconds, from the merged histograms' }),
  })
  .meta({ description: 'scenario tests: iterations of the flows' });
export type IterationFigures = z.output<typeof iterationFigures>;

export const checkFigures = z
  .object({
    passes: count,
    fails: count,
    by_name: z.array(z.object({ name: z.string(), passes: count, fails: count })).meta({ description: "each check, named by its `name` or by what it checks (`read: status 200`)" }),
  })
  .meta({ description: 'scenario tests: check evaluations, over every check and per check' });
export type CheckFigures = z.output<typeof checkFigures>;

export const figures = z.object({
  sent: count,
  completed: count.meta({ description: 'responses received plus requests ended by an error' }),
  errors: z.record(z.string(), count).meta({ description: 'by kind: http_<status>, timeout, connection_refused, connection_reset, connection_error, other' }),
  error_count: count,
  error_samples: z
    .record(z.string(), z.array(z.string().max(ERROR_SAMPLE_LIMITS.length)).max(ERROR_SAMPLE_LIMITS.perKind))
    .meta({ description: `by error kind: its first distinct messages (socket, TLS or status text), at most ${ERROR_SAMPLE_LIMITS.perKind} of at most ${ERROR_SAMPLE_LIMITS.length} characters` }),
  in_flight: count,
  late_starts: count,
  rps: z.number().nullable().meta({ description: 'completed requests per second of the run so far' }),
  elapsed_ms: z.number(),
  latency,
  approximate: z.boolean().meta({ description: 'true when a driver sent no histogram, so latencies are not an exact merge' }),
  status_counts: statusCounts,
  bytes_received: count,
  requests: z.array(requestFigures).meta({ description: 'per request name, when the test gives requests; per step name in a scenario test' }),
  groups: z.array(groupFigures).meta({ description: 'scenario tests: per group of a flow' }),
  iterations: iterationFigures.nullable(),
  checks: checkFigures.nullable(),
  vus: count.nullable().meta({ description: 'scenario tests: VUs running now' }),
  interval: intervalPoint.nullable().meta({ description: "the latest interval: a driver's since its previous report; overall, the newest second (still filling)" }),
});
export type Figures = z.output<typeof figures>;

export const driverFigures = figures.extend({
  node_id: z.string(),
  // A driver's latest interval is a point of its timeline: with its cumulative counts and VUs.
  interval: timelinePoint.nullable().meta({ description: "the driver's latest interval: between its last two reports, with its cumulative counts" }),
  reports: count,
  final: z.boolean(),
  outcome: z.string().nullable().meta({ description: `on the final report: ${TEST_OUTCOMES.join(', ')}` }),
  reason: z.string().nullable(),
  progress: z.number().min(0).max(1).meta({ description: '0..1: elapsed against the planned duration for a test with stages or duration_s, else sent against message_count_per_driver' }),
  phase: z.enum(TEST_PHASES).nullable().meta({ description: 'warmup while the driver sends its warm-up requests (kept out of every figure)' }),
  started_at: isoTime.nullable().meta({ description: "when the driver's schedule started, on its own clock (the trigger's start_at, or later when it was not ready by then); null before, or for a spec-only driver" }),
  priming_ms: z.number().nullable().meta({ description: 'ms from the trigger reaching the driver until its load was ready to start' }),
  clock_offset_ms: z.number().nullable().meta({ description: "the driver's clock offset when the test was triggered (see GET /api/drivers): its start was off the others' by about as much" }),
  warmup_completed: count,
});
export type DriverFigures = z.output<typeof driverFigures>;

export const testSummaryView = z.object({
  test_id: z.string(),
  state: z.enum(TEST_STATES),
  reason: z.string().nullable(),
  created_at: isoTime,
  triggered_at: isoTime.nullable(),
  finished_at: isoTime.nullable(),
  config: testConfigView,
  driver_ids: z.array(z.string()),
  aggregate: figures,
  start_skew_ms: z.number().nullable().meta({ description: "how far apart the drivers' schedules started: the latest started_at minus the earliest (each on its driver's clock); null until two drivers have started" }),
});
export type TestSummaryView = z.output<typeof testSummaryView>;

/** One data source of a test: how its rows were used, and where the unused ones are. */
export const dataSourceFigures = z
  .object({
    source: z.string(),
    data_id: z.string(),
    mode: z.enum(DATA_MODES),
    rows: count.meta({ description: "the file's rows" }),
    used: count.meta({ description: 'rows iterations used, over every driver' }),
    dealt: count.nullable().meta({ description: 'unique: rows handed to drivers (each at most once per pass)' }),
    left: count.nullable().meta({ description: 'unique: rows never handed out (of the current pass)' }),
    held: count.nullable().meta({ description: 'unique: rows drivers still running hold and have not used yet' }),
    unused: count.nullable().meta({ description: 'unique: rows drivers took and had not used when their part ended (never handed out again)' }),
    lost: z.array(z.object({ node_id: z.string(), rows: count })).meta({ description: 'unique: rows a driver took and had not reported used when it was lost (never handed out again), per driver' }),
  })
  .meta({ description: 'a data source of the test (scenarios with data)' });
export type DataSourceFigures = z.output<typeof dataSourceFigures>;

/** One change of a running test, as PATCH /api/tests/{id} made it. */
export const steeringView = z
  .object({
    change_id: z.string(),
    at: isoTime.meta({ description: 'when it was asked' }),
    apply_at: isoTime.meta({ description: 'the instant every driver applied it, on its own clock' }),
    elapsed_ms: z.number().nullable().meta({ description: "apply_at on the workload's clock (ms from the shared start); null for a test started without one" }),
    change: steeringChange.meta({ description: 'what it changed: rate (total req/s), paused, or per scenario rate or vus (totals)' }),
  })
  .meta({ description: 'a change of the running test' });
export type SteeringView = z.output<typeof steeringView>;

/** A capacity search's spec, its steps as judged and its answer (src/api/capacity.ts). */
export const capacityView = z
  .object({
    slo: z.array(z.string()),
    from: z.number(),
    to: z.number(),
    step_s: z.number(),
    done: z.boolean().meta({ description: 'the search has its answer' }),
    capacity_rps: z.number().nullable().meta({ description: 'the highest total rate whose step met every SLO; null while searching, or when even the first step missed one' }),
    steps: z.array(
      z.object({
        rate: z.number().meta({ description: 'the step\'s total rate, req/s' }),
        achieved_rps: z.number().nullable(),
        p50: millis,
        p95: millis,
        p99: millis,
        errors: count,
        completed: count,
        error_rate: z.number().nullable(),
        ok: z.boolean(),
        failed_slos: z.array(z.string()),
      }),
    ),
  })
  .meta({ description: 'a capacity search (find_capacity): each step judged on its own seconds but the first' });
export type CapacityView = z.output<typeof capacityView>;

export const testDetailView = testSummaryView.extend({
  drivers: z.array(driverFigures),
  data: z.array(dataSourceFigures).meta({ description: 'per data source the test names; empty without data' }),
  steering: z.array(steeringView).meta({ description: 'changes of the running test in order (PATCH /api/tests/{id}); empty when none' }),
  paused: z.boolean().meta({ description: 'paused by a change and not resumed' }),
  capacity: capacityView.nullable().meta({ description: 'the capacity search the test ran; null for a test without one' }),
});
export type TestDetailView = z.output<typeof testDetailView>;

export const testReportView = testDetailView.extend({
  timeline: z.record(z.string(), z.array(timelinePoint)).meta({ description: 'per driver, one point per report' }),
  overall_timeline: z.array(intervalPoint).meta({ description: 'the whole test, one point per second of the workload: rates summed over drivers, percentiles from their merged interval histograms' }),
});
export type TestReportView = z.output<typeof testReportView>;

export const TEST_EVENT_TYPES = ['test_created', 'test_triggered', 'report_received', 'cancel_requested', 'test_steered', 'capacity_step', 'capacity_found', 'test_finished', 'data_granted'] as const;

export const testEventView = z.looseObject({ type: z.enum(TEST_EVENT_TYPES), at: isoTime }).meta({ description: "one entry of a test's event log; the other fields depend on the type" });

/** An uploaded data file as POST/GET /api/data show it. */
export const dataFileView = z
  .object({
    data_id: z.string().meta({ description: 'the SHA-256 of the uploaded bytes: the same file uploaded again has the same id' }),
    format: z.enum(['csv', 'json', 'jsonl']),
    rows: count,
    columns: z.array(z.string()).meta({ description: 'usable in a flow as {{data.COLUMN}}' }),
    bytes: count,
    uploaded_at: isoTime,
    missing: z.record(z.string(), z.object({ rows: count, first_row: count })).meta({ description: 'per column some rows lack (JSON objects without the key): how many and the first (1-based); a flow using such a column is refused' }),
    used_by: z.array(z.string()).meta({ description: 'tests not finished yet that read the file: it cannot be deleted meanwhile' }),
  })
  .meta({ description: 'a file of test data kept by the orchestrator' });
export type DataFileView = z.output<typeof dataFileView>;

export const driverView = z.object({
  node_id: z.string(),
  node_ip: z.string().nullable(),
  status: z.enum(DRIVER_STATUSES).meta({ description: 'lost: no heartbeat for 3 s; left: the driver deregistered (DRIVER_NODE_DEREGISTER)' }),
  registered_at: isoTime.nullable(),
  last_heartbeat: z.string().nullable().meta({ description: "ISO-8601, the driver's own heartbeat timestamp" }),
  state: z.string().nullable().meta({ description: 'what the driver says in its heartbeat: idle, running; stopped once it left' }),
  current_test: z.string().nullable(),
  deregistered: z.boolean(),
  capabilities: z.array(z.string()).meta({ description: 'what the driver runs beyond the spec (scenarios); empty for a spec-only driver' }),
  clock_offset_ms: z.number().nullable().meta({ description: "how far the orchestrator's clock is ahead of the driver's (negative: behind), from its recent heartbeats' timestamps against when they arrived; null before the first" }),
});
export type DriverView = z.output<typeof driverView>;

export const kafkaStatus = z.object({
  last_kafka_message_at: isoTime.nullable().meta({ description: 'when the newest register, heartbeat or metrics message arrived; null before the first' }),
  kafka_readable: z.boolean().meta({ description: 'false while the orchestrator cannot fetch from Kafka' }),
});
export type KafkaStatus = z.output<typeof kafkaStatus>;

const fieldError = z.object({ field: z.string().meta({ description: 'path of the field, dot-separated' }), message: z.string() });

export const errorBody = z.object({
  error: z.string().meta({ description: 'the HTTP status text' }),
  message: z.string(),
  field: z.string().optional().meta({ description: 'the first bad field' }),
  errors: z.array(fieldError).optional().meta({ description: '400 on a request body: every bad field, each with its own message' }),
});
export type ErrorBody = z.output<typeof errorBody>;

export const LIVE_EVENTS = ['status', 'drivers', 'tests', 'test', 'bye'] as const;

/** One Server-Sent Event of GET /api/events, as a reader parses it. */
export const liveEvent = z
  .object({ event: z.enum(LIVE_EVENTS), data: z.string(), id: z.string().optional() })
  .meta({ description: 'data is JSON: status as GET /api/status, drivers as GET /api/drivers, tests as GET /api/tests (its newest page), test as GET /api/tests/{test_id}; bye ({}) when the orchestrator stops' });
