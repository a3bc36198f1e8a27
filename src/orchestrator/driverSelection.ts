import type { DriverRecord } from './driverRegistry.js';
import { ControlError } from './runtimeController.js';
import { describeBusy, type BusyDrivers } from './busyDrivers.js';

/**
 * Which drivers take part: every available idle one, the first N of them, or the named ones. Too few,
 * a named one that is not alive, or a named one busy with another test is a conflict with the reason.
 */
export function selectDrivers(available: DriverRecord[], wanted: number | string[] | undefined, busy: BusyDrivers = new Map()): string[] {
  const ids = available.map((d) => d.node_id);
  const idle = ids.filter((id) => !busy.has(id));
  const busyAlive = ids.filter((id) => busy.has(id));
  const busyNote = busyAlive.length > 0 ? `; busy with another test: ${describeBusy(busyAlive, busy)}` : '';
  if (wanted === undefined) {
    if (idle.length === 0) {
      const why = busyAlive.length > 0 ? `every live driver is busy with another test: ${describeBusy(busyAlive, busy)}` : 'no live drivers: start at least one driver (stampede driver --kafka …)';
      throw new ControlError('conflict', why, 'drivers');
    }
    return idle;
  }
  if (typeof wanted === 'number') {
    if (idle.length < wanted) throw new ControlError('conflict', `asked for ${wanted} drivers but only ${idle.length} alive and idle${idle.length ? `: ${idle.join(', ')}` : ''}${busyNote}`, 'drivers');
    return idle.slice(0, wanted);
  }
  const unique = [...new Set(wanted)];
  const missing = unique.filter((id) => !ids.includes(id));
  if (missing.length > 0) throw new ControlError('conflict', `drivers not alive: ${missing.join(', ')}`, 'drivers');
  const taken = unique.filter((id) => busy.has(id));
  if (taken.length > 0) throw new ControlError('conflict', `drivers busy with another test: ${describeBusy(taken, busy)}`, 'drivers');
  return unique;
}
