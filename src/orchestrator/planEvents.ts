import type { AttemptVerdict, PlanSpec } from '../api/index.js';
import type { ThresholdResult } from '../api/thresholds.js';
import type { TestState } from './testEvents.js';

export type PlanVerdict = AttemptVerdict;

/**
 * Everything that happens to a plan, in order. They are stored in the same append-only table as the
 * tests' events (keyed by plan_id) and folded by the same replay (planProjection.ts).
 */
export type PlanEvent =
  | { type: 'plan_created'; at: string; plan_id: string; spec: PlanSpec }
  | { type: 'plan_test_started'; at: string; step: number; attempt: number; test_id: string | null }
  | {
      type: 'plan_attempt_finished';
      at: string;
      step: number;
      attempt: number;
      state: TestState | null;
      verdict: AttemptVerdict;
      thresholds: ThresholdResult[];
      reason?: string | undefined;
      /** ended by an orchestrator restart, not by the test: its retry does not use up one of `retries` */
      interrupted: boolean;
    }
  | { type: 'plan_test_retried'; at: string; step: number; attempt: number; reason: string }
  | { type: 'plan_cancel_requested'; at: string; reason: string }
  | { type: 'plan_finished'; at: string; verdict: PlanVerdict; reason?: string | undefined };

export type PlanEventType = PlanEvent['type'];

export const PLAN_EVENT_TYPES: readonly PlanEventType[] = ['plan_created', 'plan_test_started', 'plan_attempt_finished', 'plan_test_retried', 'plan_cancel_requested', 'plan_finished'];

export function isPlanEventType(type: string): type is PlanEventType {
  return (PLAN_EVENT_TYPES as readonly string[]).includes(type);
}
