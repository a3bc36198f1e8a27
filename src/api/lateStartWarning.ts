/**
 * The one rule for "this driver could not keep its schedule", shared by `stampede run`'s summary and
 * the dashboard (which loads this compiled file as /lateStartWarning.js): it imports nothing, so a
 * browser runs it as it is.
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
