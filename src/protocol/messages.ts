import { z } from 'zod';
import { ERROR_SAMPLE_LIMITS } from './errorSampleLimits.js';
import { TEST_TYPES } from './testTypes.js';
import { REQUEST_LIMITS, requestList, statusKey } from './requests.js';
import { MAX_PLAN_SECONDS } from './loadShape.js';
import { scenarioMap } from './scenarios.js';
import { dataSourceName, testDataMap } from './data.js';
import { steerFields } from './steering.js';
import { upperEnum, wireCount, wireNonNegative, wireNumber, wirePositiveInt, wireTimestamp } from './wireValues.js';

/**
 * One definition per message: the zod schema validates what arrives and gives the TypeScript
 * type of the decoded message. Spec fields keep the spec's names; everything else is an optional
 * extension listed in docs/protocol.md. Unknown fields are dropped on read, never rejected, so a
 * newer peer can add fields without breaking an older one.
 */

/** The longest node id or test id a peer may use: long enough for any naming scheme, short enough for a URL path. */
export const ID_MAX_LENGTH = 200;

const nodeId = z.string().trim().min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`);
const testId = z.string().trim().min(1, 'must not be empty').max(ID_MAX_LENGTH, `must be at most ${ID_MAX_LENGTH} characters`);

export const REGISTER_TYPES = ['DRIVER_NODE_REGISTER', 'DRIVER_NODE_DEREGISTER'] as const;

/** What a driver can run beyond the spec's tests, announced on register: `scenarios` (user journeys). */
/** `config_ack`: its heartbeats acknowledge a test's config (heartbeat `config_ack`), so the trigger can wait for them. */
export const DRIVER_CAPABILITIES = ['scenarios', 'config_ack'] as const;

export const registerMessage = z.object({
  node_id: nodeId,
  node_IP: z.string().trim().min(1, 'must not be empty').max(300),
  message_type: upperEnum(REGISTER_TYPES),
  timestamp: wireTimestamp.optional(),
  /** what this driver runs beyond the spec's tests (DRIVER_CAPABILITIES; unknown ones are kept, for newer peers) */
  capabilities: z.array(z.string().max(64)).max(50).optional(),
});

const planSeconds = wireNumber.pipe(z.number().positive('must be > 0').max(MAX_PLAN_SECONDS, `must be at most ${MAX_PLAN_SECONDS} (24 h)`));

/** One stage of a ramping arrival rate: from the previous stage's target (or start_rps) to target_rps over duration_s. */
export const stageMessage = z.object({ duration_s: planSeconds, target_rps: wireNonNegative });

/** A driver's per-request timeout when a test_config names no `timeout_ms`. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * A cancelled driver lets its requests in flight finish for the test's timeout plus this, then cuts them
 * off and sends its final report: how long a client waits for a cancelled test's final figures.
 */
export const CANCEL_SLACK_MS = 1_000;

export const testConfigMessage = z.object({
  test_id: testId,
  test_type: upperEnum(TEST_TYPES),
  /** milliseconds between request starts on each driver; 0 for AVALANCHE */
  test_message_delay: wireNonNegative,
  message_count_per_driver: wirePositiveInt,
  target_url: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  /** requests per second per driver; absent or 0 = no cap */
  throughput_per_driver: wireNonNegative.optional(),
  driver_ids: z.array(nodeId).optional(),
  timeout_ms: wirePositiveInt.optional(),
  /** AVALANCHE: the most requests in flight at once per driver */
  concurrency: wirePositiveInt.optional(),
  /** requests written on one connection before the first is answered; absent or 1: no pipelining */
  pipelining: wirePositiveInt.optional(),
  /** requests each driver sends first, the same way, and keeps out of the figures */
  warmup_count_per_driver: wireCount.optional(),
  /** seconds from the trigger after which the driver stops the test by itself, even if it never hears the orchestrator again */
  max_duration_s: wireNumber.pipe(z.number().positive()).optional(),
  /** a ramping arrival rate per driver; message_count_per_driver is then their integral, rounded down */
  stages: z.array(stageMessage).min(1, 'must have at least one stage').max(10_000).optional(),
  /** the rate (req/s) the first stage ramps from; 0 when absent */
  start_rps: wireNonNegative.optional(),
  /** seconds the workload starts requests for: with a fixed rate the count is rate × duration; unpaced AVALANCHE stops starting then (the count is a cap) */
  duration_s: planSeconds.optional(),
  /** seconds of warm-up (beside or instead of warmup_count_per_driver; whichever ends first) */
  warmup_s: planSeconds.optional(),
  created_at: wireTimestamp.optional(),
  /** a weighted mix of requests (requests.ts); absent: one GET of target_url */
  requests: requestList.optional(),
  /** accept any TLS certificate (self-signed targets) */
  tls_insecure: z.boolean().optional(),
  /** user journeys (scenarios.ts): named scenarios of flows run by virtual users, instead of the spec's requests */
  scenarios: scenarioMap.optional(),
  /** test data (data.ts): source name → data_id of a file the orchestrator keeps; scenarios read it through data_requests */
  data: testDataMap.optional(),
});

export const triggerMessage = z.object({
  test_id: testId,
  trigger: upperEnum(['YES'] as const),
  /** epoch ms: the instant every driver starts its schedule, each on its own clock (absent: at once) */
  start_at: wireNonNegative.optional(),
});

/** warmup: the driver is sending its warm-up requests, which no figure counts; workload: the measured ones. */
export const TEST_PHASES = ['warmup', 'workload'] as const;
export type TestPhase = (typeof TEST_PHASES)[number];

/**
 * completed: every request has a response or a recorded error; cancelled: by a control message;
 * aborted: the driver is shutting down; rejected: the driver could not run it (busy, unknown test).
 */
export const TEST_OUTCOMES = ['completed', 'cancelled', 'aborted', 'rejected'] as const;
export type TestOutcome = (typeof TEST_OUTCOMES)[number];

const latencyFields = z.object({
  mean_latency: wireNonNegative,
  median_latency: wireNonNegative,
  min_latency: wireNonNegative,
  max_latency: wireNonNegative,
  mode_latency: wireNonNegative.optional(),
  p90_latency: wireNonNegative.optional(),
  p95_latency: wireNonNegative.optional(),
  p99_latency: wireNonNegative.optional(),
});

/** Diagnostic text is cut to the limits rather than refused: an over-long sample must not cost a report. */
const errorSamples = z.record(z.string(), z.array(z.string())).transform((samples) =>
  Object.fromEntries(
    Object.entries(samples)
      .slice(0, ERROR_SAMPLE_LIMITS.kinds)
      .map(([kind, messages]) => [kind, messages.slice(0, ERROR_SAMPLE_LIMITS.perKind).map((m) => m.slice(0, ERROR_SAMPLE_LIMITS.length))]),
  ),
);

const statusCounts = z.record(statusKey, wireCount);

/** One request name's cumulative figures in a report; the histogram only once the name has had traffic. */
const requestStats = z.object({
  name: z.string().min(1).max(REQUEST_LIMITS.nameLength),
  sent: wireCount,
  completed: wireCount,
  errors: z.record(z.string(), wireCount),
  status_counts: statusCounts,
  bytes_received: wireCount,
  histogram: z.string().max(2_000_000).optional(),
});

/** Iterations of a test's scenarios so far on one driver. */
const iterationCounts = z.object({
  completed: wireCount,
  /** ended early (a capture found nothing, an aborting check failed) or cut off by a stop */
  failed: wireCount,
  /** arrivals that found no free VU under max_vus: never started */
  dropped: wireCount,
  /** failed iterations by why: capture_missing, check_failed, interrupted */
  failed_by_reason: z.record(z.string(), wireCount).optional(),
});

/** One check's evaluations so far; a check is named by its `name` or by what it checks (`read: status 200`). */
const checkCounts = z.object({ name: z.string().min(1).max(400), passes: wireCount, fails: wireCount });

/**
 * One second of the workload by when its requests were due to start (s: seconds since the schedule's
 * clock started): requests started, answered or failed (completed, errors among them) so far, and the
 * latencies of the answered ones as [µs, count] buckets. Cumulative within the second.
 */
const startSecond = z.object({
  s: wireCount,
  started: wireCount,
  completed: wireCount,
  errors: wireCount,
  latency: z.array(z.tuple([wireNonNegative, wireCount])).max(20_000),
});

/** Per request step or per group of a flow: the figures a named request has. */
const FLOW_FIGURES_LIMIT = 1_000;

export const metricsMessage = z.object({
  node_id: nodeId,
  test_id: testId,
  report_id: z.string().trim().min(1, 'must not be empty').max(200),
  metrics: latencyFields,
  sent: wireCount.optional(),
  completed: wireCount.optional(),
  errors: z.record(z.string(), wireCount).optional(),
  /** per error kind, the first few distinct messages (socket, TLS or status text) */
  error_samples: errorSamples.optional(),
  in_flight: wireCount.optional(),
  late_starts: wireCount.optional(),
  phase: z.enum(TEST_PHASES).optional(),
  /** warm-up requests answered or failed so far (none of them is in any other figure) */
  warmup_completed: wireCount.optional(),
  final: z.boolean().optional(),
  /** on the final report: how the test ended on this driver */
  outcome: z.enum(TEST_OUTCOMES).optional(),
  /** why, when the outcome is not `completed` */
  reason: z.string().max(1000).optional(),
  /** per driver and test, 1, 2, 3…: lets a reader order reports and spot gaps */
  seq: wirePositiveInt.optional(),
  elapsed_ms: wireNonNegative.optional(),
  timestamp: wireTimestamp.optional(),
  /** cumulative latency (from intended start) histogram, µs, HdrHistogram compressed base64 */
  histogram: z.string().max(2_000_000).optional(),
  /** cumulative service-time (from actual send) histogram, same form */
  service_histogram: z.string().max(2_000_000).optional(),
  /** responses per HTTP status, "200": n */
  status_counts: statusCounts.optional(),
  /** response bytes received (headers excluded) */
  bytes_received: wireCount.optional(),
  /** per request name, with `requests` in the test */
  requests_stats: z.array(requestStats).max(Math.max(REQUEST_LIMITS.requests, FLOW_FIGURES_LIMIT)).optional(),
  /** scenarios: per group of a flow, the figures of the requests inside it (same form as requests_stats) */
  groups_stats: z.array(requestStats).max(FLOW_FIGURES_LIMIT).optional(),
  /** scenarios: iterations completed, failed and dropped */
  iterations: iterationCounts.optional(),
  /** scenarios: cumulative iteration duration histogram, µs, same form as `histogram` */
  iteration_histogram: z.string().max(2_000_000).optional(),
  /** scenarios: VUs running an iteration or waiting for one now */
  vus: wireCount.optional(),
  /** scenarios: per check, passes and failures */
  checks: z.array(checkCounts).max(FLOW_FIGURES_LIMIT).optional(),
  /** epoch ms, on the driver's clock: when its first phase's schedule started (the trigger's start_at, or later if not ready by then) */
  started_at: wireNonNegative.optional(),
  /** ms from the trigger's arrival until the load was ready to start (workers up, connections open, data at hand) */
  priming_ms: wireNonNegative.optional(),
  /** the seconds of the workload changed since this driver's report before, by when their requests were due to start */
  start_seconds: z.array(startSecond).max(100_000).optional(),
  /** scenarios with data: rows used so far per data source (an iteration that got a row used it) */
  data_used: z.record(dataSourceName, wireCount).optional(),
});

export const DRIVER_STATES = ['idle', 'running'] as const;

export const heartbeatMessage = z.object({
  node_id: nodeId,
  heartbeat: upperEnum(['YES'] as const),
  timestamp: wireTimestamp,
  state: z.enum(DRIVER_STATES).optional(),
  test_id: testId.nullable().optional(),
  /** the test whose config this driver holds, waiting for its trigger: the orchestrator triggers once every driver has said so */
  config_ack: testId.optional(),
});

export const CONTROL_TYPES = ['CANCEL_TEST', 'REGISTER_REQUEST', 'STEER_TEST'] as const;

/** Our extension topic: commands beyond the spec (see docs/protocol.md). */
export const controlMessage = z.object({
  message_type: upperEnum(CONTROL_TYPES),
  test_id: testId.optional(),
  reason: z.string().max(1000).optional(),
  /** STEER_TEST (steering.ts): a change of a running test's rate, VUs or pause, applied at apply_at */
  ...steerFields,
});

export type RegisterMessage = z.output<typeof registerMessage>;
export type TestConfigMessage = z.output<typeof testConfigMessage>;
export type StageMessage = z.output<typeof stageMessage>;
export type TriggerMessage = z.output<typeof triggerMessage>;
export type MetricsMessage = z.output<typeof metricsMessage>;
export type LatencyFields = z.output<typeof latencyFields>;
export type RequestStats = z.output<typeof requestStats>;
export type IterationCounts = z.output<typeof iterationCounts>;
export type CheckCounts = z.output<typeof checkCounts>;
export type StartSecond = z.output<typeof startSecond>;
export type HeartbeatMessage = z.output<typeof heartbeatMessage>;
export type ControlMessage = z.output<typeof controlMessage>;
