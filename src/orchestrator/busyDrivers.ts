import type { DriverRecord } from './driverRegistry.js';
import type { TestProjection } from './testProjection.js';

/** node id → the test it is busy with. */
export type BusyDrivers = Map<string, string>;

/**
 * Which drivers are busy with a test, from two sources: this orchestrator's running tests (a chosen
 * driver without its final report), and what each driver says in its heartbeat (it may run a test of
 * another orchestrator, or one this orchestrator has already ended). A heartbeat still saying
 * `running` after the driver's final report for that test is stale, not busy.
 */
export function busyDrivers(drivers: DriverRecord[], unfinished: readonly TestProjection[], testOf: (testId: string) => TestProjection | undefined): BusyDrivers {
  const busy: BusyDrivers = new Map();
  for (const test of unfinished) {
    if (test.state !== 'running') continue;
    for (const nodeId of test.driver_ids) if (!test.drivers.get(nodeId)?.final) busy.set(nodeId, test.test_id);
  }
  for (const driver of drivers) {
    if (driver.state !== 'running' || driver.current_test === null || busy.has(driver.node_id)) continue;
    if (testOf(driver.current_test)?.drivers.get(driver.node_id)?.final) continue;
    busy.set(driver.node_id, driver.current_test);
  }
  return busy;
}

/** `d1 (test-a), d2 (test-b)`: who is busy, and with what. */
export function describeBusy(nodeIds: string[], busy: BusyDrivers): string {
  return nodeIds.map((id) => `${id} (${busy.get(id)})`).join(', ');
}
