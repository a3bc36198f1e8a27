import type { DriverRecord } from './driverRegistry.js';
import { isFinished, type TestProjection } from './testProjection.js';

/** How often CANCEL_TEST is sent again while a driver goes on running an ended test. */
export const CANCEL_REPEAT_MS = 2_000;

/** A test with a verdict, or one asked to cancel: none of its drivers should load the target any more. */
export function isEnding(test: TestProjection): boolean {
  return isFinished(test) || test.cancel_requested_at !== undefined;
}

/**
 * The drivers of a test that may still be loading the target: no final report from them yet, not lost,
 * not gone, and not saying in their heartbeat that they are idle or busy with another test. A driver
 * whose heartbeat says nothing about its state (a spec-only peer) may be running it.
 */
export function driversStillLoading(test: TestProjection, driver: (nodeId: string) => DriverRecord | undefined): string[] {
  return test.driver_ids.filter((nodeId) => {
    if (test.drivers.get(nodeId)?.final) return false;
    const record = driver(nodeId);
    if (!record || record.status !== 'alive' || record.deregistered) return false;
    return record.state === null || (record.state === 'running' && record.current_test === test.test_id);
  });
}

/**
 * Ended tests that an alive driver still says it runs (in its latest heartbeat) without having sent
 * its final report: test id → those drivers. Driven by heartbeats, so its cost follows the number
 * of drivers, not the number of tests ever run; a driver that does not say what it runs is not here.
 */
export function testsStillLoaded(drivers: DriverRecord[], testOf: (testId: string) => TestProjection | undefined): Map<string, string[]> {
  const loaded = new Map<string, string[]>();
  for (const driver of drivers) {
    if (driver.status !== 'alive' || driver.deregistered || driver.state !== 'running' || driver.current_test === null) continue;
    const test = testOf(driver.current_test);
    if (!test || !isEnding(test) || test.drivers.get(driver.node_id)?.final) continue;
    loaded.set(test.test_id, [...(loaded.get(test.test_id) ?? []), driver.node_id]);
  }
  return loaded;
}

/** Whether CANCEL_TEST for a still-loaded test goes out now: never sent yet, or sent CANCEL_REPEAT_MS ago. */
export function cancelDue(lastSentMs: number | undefined, nowMs: number): boolean {
  return lastSentMs === undefined || nowMs - lastSentMs >= CANCEL_REPEAT_MS;
}
