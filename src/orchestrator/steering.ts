import { constantRate, planSegments, plannedDurationMs, plannedStartsBetween, scenarioPlans, steeredSegments, type PlanChange, type RateSegment, type SteeringChange, type TestConfigMessage } from '../protocol/index.js';

/** One change of a running test, as its event log keeps it. */
export type SteeringRecord = { change_id: string; at: string; apply_at: number; change: SteeringChange };

/** A change that does not fit the test: the REST layer answers 400 naming `field`. */
export type SteeringProblem = { field: string; message: string };

/**
 * How far ahead of its publication a change is applied: the control message must reach every driver
 * first. 2 × the longest publish round trip seen, plus what a consumer's fetch may add, bounded: with
 * 200 ms at least, one change in about 30 reached a driver 145 ms late (docs/decisions.md, "Steering").
 */
export function steerLeadMs(publishMs: number): number {
  return Math.min(2_000, Math.max(400, Math.round(2 * publishMs + 300)));
}

/** What in a change the test cannot take, each named by its field path. */
export function steeringProblems(config: TestConfigMessage, change: SteeringChange): SteeringProblem[] {
  const problems: SteeringProblem[] = [];
  if (change.rate !== undefined) {
    if (config.scenarios) problems.push({ field: 'rate', message: 'a scenario test is steered per scenario: {"scenarios": {"NAME": {"rate": R}}}' });
    else if (!config.stages && constantRate(config) === undefined) problems.push({ field: 'rate', message: 'the test is unpaced (AVALANCHE without throughput_per_driver): it has no rate to change; pause it instead' });
  }
  if (change.scenarios) problems.push(...scenarioProblems(config, change.scenarios));
  return problems;
}

function scenarioProblems(config: TestConfigMessage, changes: NonNullable<SteeringChange['scenarios']>): SteeringProblem[] {
  if (!config.scenarios) return [{ field: 'scenarios', message: 'the test has no scenarios: steer its rate instead' }];
  const drivers = Math.max(1, config.driver_ids?.length ?? 1);
  const plans = new Map(scenarioPlans(config.scenarios, { index: 0, count: drivers }).map((plan) => [plan.name, plan]));
  const problems: SteeringProblem[] = [];
  for (const [name, change] of Object.entries(changes)) {
    const plan = plans.get(name);
    const field = `scenarios.${name}`;
    if (!plan) problems.push({ field, message: `no scenario ${name}; the test has ${[...plans.keys()].join(', ')}` });
    else if (change.rate !== undefined && plan.model !== 'arrivals') problems.push({ field: `${field}.rate`, message: `scenario ${name} runs VUs (${config.scenarios[name]!.executor}): steer its vus` });
    else if (change.vus !== undefined && plan.model !== 'vus') problems.push({ field: `${field}.vus`, message: `scenario ${name} starts arrivals (${config.scenarios[name]!.executor}): steer its rate` });
    else if (change.vus !== undefined && change.vus > plan.maxVus * drivers) {
      problems.push({ field: `${field}.vus`, message: `is above the scenario's ${plan.maxVus * drivers} VUs at most (its fleet-unique VU ids are planned for its peak)` });
    }
  }
  return problems;
}

/** Whether the test is paused after its changes so far. */
export function isPaused(steering: readonly SteeringRecord[]): boolean {
  let paused = false;
  for (const record of steering) if (record.change.paused !== undefined) paused = record.change.paused;
  return paused;
}

/** How long the test has been paused by `nowMs`: a pause moves its time limit on by as much. */
export function pausedMsBy(steering: readonly SteeringRecord[], nowMs: number): number {
  let total = 0;
  let since: number | undefined;
  for (const record of steering) {
    if (record.change.paused === true && since === undefined) since = record.apply_at;
    if (record.change.paused === false && since !== undefined) {
      total += Math.max(0, record.apply_at - since);
      since = undefined;
    }
  }
  return total + (since === undefined ? 0 : Math.max(0, nowMs - since));
}

/** A driver's planned start rate over an interval of the workload (ms from its start); null when unpaced or past the plan. */
export type PlannedRate = (fromMs: number, toMs: number) => number | null;

/**
 * The plan of one driver of a plain test once steered, as the drivers carry it out (steeredSegments):
 * its rate changes split evenly over the drivers, its pauses shifting the rest. Undefined for an unpaced
 * plan or a scenario test, whose planned rate is not one per driver.
 */
export function steeredPlan(config: TestConfigMessage, steering: readonly SteeringRecord[], workloadStartMs: number): PlannedRate | undefined {
  if (config.scenarios) return undefined;
  const base = baseSegments(config);
  if (!base) return undefined;
  const drivers = Math.max(1, config.driver_ids?.length ?? 1);
  const changes: PlanChange[] = steering.map(({ apply_at, change }) => ({ atMs: apply_at - workloadStartMs, rate: change.rate === undefined ? undefined : change.rate / drivers, paused: change.paused }));
  const segments = steeredSegments(base, changes, config.stages || config.duration_s !== undefined ? 'time' : 'count');
  const endMs = plannedDurationMs(segments);
  const openPause = isPaused(steering);
  return (fromMs, toMs) => {
    if (!(toMs > fromMs) || (fromMs >= endMs && !openPause)) return null;
    return (plannedStartsBetween(segments, fromMs, toMs) * 1000) / (toMs - fromMs);
  };
}

/** A plain test's own plan as rate segments: its shape, or its fixed rate until its count is started. */
function baseSegments(config: TestConfigMessage): RateSegment[] | undefined {
  const shaped = planSegments(config);
  if (shaped) return shaped;
  const rate = constantRate(config);
  if (rate === undefined) return undefined;
  return [{ durationMs: (config.message_count_per_driver / rate) * 1000, fromRps: rate, toRps: rate }];
}
