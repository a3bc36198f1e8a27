/**
 * The rules for "this driver could not keep its schedule" and "this driver's clock is off", shared by
 * `stampede run`'s summary, the HTML report and the dashboard (which loads this compiled file as
 * /lateStartWarning.js): it imports nothing, so a browser runs it as it is.
 */

/** More than 1 % of starts late: the driver, not the target, set part of the latencies. */
export const LATE_SHARE_WARNING = 0.01;

export type ScheduleFigures = { node_id: string; sent: number; late_starts: number };

/** The warning for a driver that started more than 1 % of its requests late, else null. */
export function lateStartWarning(driver: ScheduleFigures): string | null {
  if (driver.sent <= 0) return null;
  const share = driver.late_starts / driver.sent;
  if (share <= LATE_SHARE_WARNING) return null;
  return `driver ${driver.node_id} could not keep the schedule: ${percent(share)} of starts were late; its latencies include that wait`;
}

/** Beyond this, a driver's clock is visibly off the orchestrator's: delivery on one network is a few ms. */
export const CLOCK_OFF_WARNING_MS = 250;

/** The warning for a driver whose clock was visibly off when its test started: it started at the shared instant on its own clock. */
export function clockWarning(driver: { node_id: string; clock_offset_ms: number | null }): string | null {
  const offset = driver.clock_offset_ms;
  if (offset === null || Math.abs(offset) <= CLOCK_OFF_WARNING_MS) return null;
  return `driver ${driver.node_id}'s clock is ${Math.abs(offset)} ms ${offset > 0 ? 'behind' : 'ahead of'} the orchestrator's: it started about that far from the others`;
}

function percent(fraction: number): string {
  return `${(fraction * 100).toFixed(fraction < 0.1 ? 1 : 0)} %`;
}

/** Every warning about the test's drivers, in driver order: each one's late starts, then its clock. */
export function driverWarnings(drivers: readonly (ScheduleFigures & { clock_offset_ms: number | null })[]): { node_id: string; kind: 'late' | 'clock'; text: string }[] {
  return drivers.flatMap((driver) =>
    (
      [
        ['late', lateStartWarning(driver)],
        ['clock', clockWarning(driver)],
      ] as const
    ).flatMap(([kind, text]) => (text === null ? [] : [{ node_id: driver.node_id, kind, text }])),
  );
}
