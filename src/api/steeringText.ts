import type { SteeringChange } from '../protocol/index.js';

/** A change of a running test in words, as the summary, the report and the logs show it: `rate 400 req/s`, `paused`. */
export function describeSteering(change: SteeringChange): string {
  const parts: string[] = [];
  if (change.rate !== undefined) parts.push(`rate ${change.rate} req/s`);
  for (const [name, own] of Object.entries(change.scenarios ?? {})) parts.push(own.rate !== undefined ? `${name}: rate ${own.rate} it/s` : `${name}: ${own.vus} VUs`);
  if (change.paused !== undefined) parts.push(change.paused ? 'paused' : 'resumed');
  return parts.join(', ');
}
