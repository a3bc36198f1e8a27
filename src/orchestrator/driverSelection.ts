import type { DriverRecord } from './driverRegistry.js';
import { ControlError } from './runtimeController.js';

/**
 * Which drivers take part: every available one, the first N of them, or the named ones.
 * Too few, or a named one that is not alive, is a conflict with the reason.
 */
export function selectDrivers(available: DriverRecord[], wanted: number | string[] | undefined): string[] {
  const ids = available.map((d) => d.node_id);
  if (wanted === undefined) {
    if (ids.length === 0) throw new ControlError('conflict', 'no live drivers: start at least one driver (stampede driver --kafka …)', 'drivers');
    return ids;
  }
  if (typeof wanted === 'number') {
    if (ids.length < wanted) throw new ControlError('conflict', `asked for ${wanted} drivers but only ${ids.length} alive${ids.length ? `: ${ids.join(', ')}` : ''}`, 'drivers');
    return ids.slice(0, wanted);
  }
  const unique = [...new Set(wanted)];
  const missing = unique.filter((id) => !ids.includes(id));
  if (missing.length > 0) throw new ControlError('conflict', `drivers not alive: ${missing.join(', ')}`, 'drivers');
  return unique;
}
