import type { DriverRecord } from './driverRegistry.js';
import { ControlError } from './runtimeController.js';
import { describeBusy, type BusyDrivers } from './busyDrivers.js';

/** What a test needs of its drivers beyond the spec (a register message's `capabilities`). */
export function neededCapability(test: { scenarios?: unknown }): string | undefined {
  return test.scenarios === undefined ? undefined : 'scenarios';
}

/**
 * Which drivers take part: every available idle one, the first N of them, or the named ones. Too few,
 * a named one that is not alive, or a named one busy with another test is a conflict with the reason.
 * A test that needs a capability takes the first N drivers that have it; every idle one or a named one
 * without it is a conflict naming them (a spec-only driver cannot run scenarios).
 */
export function selectDrivers(available: DriverRecord[], wanted: number | string[] | undefined, busy: BusyDrivers = new Map(), needs?: string): string[] {
  const chosen = chooseDrivers(available, typeof wanted === 'number' && needs !== undefined ? available.filter((d) => d.capabilities.includes(needs)) : available, wanted, busy);
  const lacking = needs === undefined ? [] : chosen.filter((id) => !available.find((d) => d.node_id === id)?.capabilities.includes(needs));
  if (lacking.length > 0) throw new ControlError('conflict', `drivers without ${needs} support (spec-only drivers?): ${lacking.join(', ')}`, 'drivers');
  return chosen;
}

function chooseDrivers(alive: DriverRecord[], available: DriverRecord[], wanted: number | string[] | undefined, busy: BusyDrivers): string[] {
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
  const missing = unique.filter((id) => !alive.some((d) => d.node_id === id));
  if (missing.length > 0) throw new ControlError('conflict', `drivers not alive: ${missing.join(', ')}`, 'drivers');
  const taken = unique.filter((id) => busy.has(id));
  if (taken.length > 0) throw new ControlError('conflict', `drivers busy with another test: ${describeBusy(taken, busy)}`, 'drivers');
  return unique;
}
