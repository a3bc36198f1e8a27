import { randomBytes, randomUUID } from 'node:crypto';

/** Node ids are short enough to read on a dashboard, random enough (64 bits) never to collide. */
export function newNodeId(role: 'driver' | 'orchestrator'): string {
  return `${role}-${randomBytes(8).toString('hex')}`;
}

/** Test ids sort by creation time (fixed-width base36 ms timestamp) and carry 48 random bits. */
export function newTestId(now: number = Date.now()): string {
  return `test-${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}

export function newReportId(): string {
  return randomUUID();
}

/** Plan ids as test ids, with their own prefix: the two share the orchestrator's event log. */
export function newPlanId(now: number = Date.now()): string {
  return `plan-${now.toString(36).padStart(9, '0')}-${randomBytes(6).toString('hex')}`;
}
