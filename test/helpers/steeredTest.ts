import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import type { TestDetailView } from '../../src/api/index.js';
import type { RecordingServer } from './recordingServer.js';
import { eventually, getJson, postJson } from './processes.js';

/** The steered test's base rate (req/s over every driver) and the rate it is changed to. */
export const BASE_RATE = 100;
export const STEERED_RATE = 400;
/** The plan's length, on its own clock. */
export const PLAN_S = 5;

export async function patchJson<T = unknown>(url: string, body: unknown): Promise<{ status: number; body: T }> {
  const response = await request(url, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: response.statusCode, body: (await response.body.json()) as T };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Where each change met the target, per driver (this process's performance clock, as the recording
 * target's): when the steered rate began, the last arrival before the pause and the first after it.
 */
export type SteeringArrivals = { sped: number[]; pausedAfter: number[]; resumedAt: number[]; applyAt: { rate: number; pause: number; resume: number } };

/**
 * A TSUNAMI at BASE_RATE for PLAN_S seconds on `driverIds`, steered while it runs: STEERED_RATE after
 * 1.2 s, paused 2.1 s later, resumed 2.1 s after that; run to its end.
 */
export async function runSteeredTest(orchestratorUrl: string, driverIds: readonly string[], server: RecordingServer): Promise<{ test: TestDetailView; arrivals: SteeringArrivals }> {
  const created = await postJson<TestDetailView>(`${orchestratorUrl}/api/tests`, {
    test_type: 'TSUNAMI',
    test_message_delay: 1000 / (BASE_RATE / driverIds.length),
    duration_s: PLAN_S,
    requests: [{ name: 'steered', method: 'GET', url: `${server.url}?driver={{driver_id}}&test={{test_id}}` }],
    drivers: driverIds,
    trigger: true,
  });
  if (created.status !== 201) throw new Error(`creating the test answered ${created.status}: ${JSON.stringify(created.body)}`);
  const testUrl = `${orchestratorUrl}/api/tests/${created.body.test_id}`;
  for (const [waitMs, change] of [[1_200, { rate: STEERED_RATE }], [2_100, { paused: true }], [2_100, { paused: false }]] as const) {
    await sleep(waitMs);
    const steered = await patchJson<TestDetailView>(testUrl, change);
    if (steered.status !== 200) throw new Error(`PATCH ${JSON.stringify(change)} answered ${steered.status}: ${JSON.stringify(steered.body)}`);
  }
  const test = await eventually(() => getJson<TestDetailView>(testUrl), (t) => t.state !== 'running', 30_000, 'the steered test to end');
  const [rate, pause, resume] = test.steering.map((s) => Date.parse(s.apply_at) - performance.timeOrigin) as [number, number, number];
  const byDriver = [...arrivalsByDriver(server, test.test_id).values()];
  const gaps = byDriver.map(longestGap);
  return {
    test,
    arrivals: { sped: byDriver.map((a) => steeredFrom(a, rate - 20, driverIds.length)), pausedAfter: gaps.map((g) => g.last), resumedAt: gaps.map((g) => g.next), applyAt: { rate, pause, resume } },
  };
}

/** Each driver's arrivals at the target for one test, in order. */
function arrivalsByDriver(server: RecordingServer, testId: string): Map<string, number[]> {
  const byDriver = new Map<string, number[]>();
  server.paths.forEach((path, i) => {
    const query = new URL(path, 'http://x').searchParams;
    const driver = query.get('driver');
    if (query.get('test') !== testId || !driver) return;
    byDriver.set(driver, [...(byDriver.get(driver) ?? []), server.arrivals[i]!]);
  });
  for (const arrivals of byDriver.values()) arrivals.sort((a, b) => a - b);
  return byDriver;
}

/** The first arrival from which two gaps in a row are under the mean of the base and steered gaps of one of `drivers`: the steered rate began. */
function steeredFrom(arrivals: readonly number[], notBefore: number, drivers: number): number {
  const fast = (drivers * 1000 * (1 / BASE_RATE + 1 / STEERED_RATE)) / 2;
  const index = arrivals.findIndex((t, i) => t >= notBefore && i + 2 < arrivals.length && arrivals[i + 1]! - t < fast && arrivals[i + 2]! - arrivals[i + 1]! < fast);
  return index < 0 ? NaN : arrivals[index]!;
}

/** The longest silence: the last arrival before it and the first after. */
function longestGap(arrivals: readonly number[]): { last: number; next: number } {
  let best = { last: 0, next: 0 };
  for (let i = 1; i < arrivals.length; i++) if (arrivals[i]! - arrivals[i - 1]! > best.next - best.last) best = { last: arrivals[i - 1]!, next: arrivals[i]! };
  return best;
}

/** The spread of one instant over the drivers. */
export function apart(instants: readonly number[]): number {
  return Math.max(...instants) - Math.min(...instants);
}
