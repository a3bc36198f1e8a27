import { TEST_EVENT_TYPES, TEST_STATES, type TestState } from '../api/index.js';
import type { MetricsMessage, SteeringChange, TestConfigMessage } from '../protocol/index.js';
import type { RowGrant } from './data/rowDealing.js';
import type { CapacityStep, FindCapacity } from '../api/capacity.js';

export { TEST_STATES, type TestState };
export type FinishedState = Extract<TestState, 'completed' | 'failed' | 'cancelled'>;

/**
 * Everything that happens to a test, in the order it happened. The event log in the store holds
 * exactly these; a test's state is what folding its events gives (testProjection.ts).
 */
export type TestEvent =
  | { type: 'test_created'; at: string; config: TestConfigMessage; driver_ids: string[]; max_duration_s?: number | undefined; data_rows?: Record<string, number> | undefined; find_capacity?: FindCapacity | undefined }
  /** `start_at`: the instant (epoch ms) the trigger asked every driver to start at; `clock_offsets_ms`: each driver's clock offset then */
  | {
      type: 'test_triggered';
      at: string;
      start_at?: number | undefined;
      clock_offsets_ms?: Record<string, number> | undefined;
      /** how long the trigger waited for the drivers to acknowledge the config, and who never did (configAcks.ts) */
      config_ack_wait_ms?: number | undefined;
      unacknowledged?: string[] | undefined;
    }
  | { type: 'report_received'; at: string; report: MetricsMessage }
  | { type: 'cancel_requested'; at: string; reason: string }
  /** a change of the running test (PATCH /api/tests/{id}) every driver applies at `apply_at` (epoch ms) */
  | { type: 'test_steered'; at: string; change_id: string; apply_at: number; change: SteeringChange }
  /** `drivers_lost`: drivers of the test lost (or gone) without a final report when it ended: what they held is lost with them */
  /** a step of a capacity search judged (src/orchestrator/capacityRunner.ts) */
  | ({ type: 'capacity_step'; at: string } & CapacityStep)
  /** the capacity search's answer: the highest total rate that met every SLO (null: not even the first) */
  | { type: 'capacity_found'; at: string; capacity_rps: number | null }
  | { type: 'test_finished'; at: string; state: FinishedState; reason?: string | undefined; drivers_lost?: string[] | undefined }
  /** unique rows of a data source became a driver's (src/orchestrator/data/rowDealing.ts) */
  | ({ type: 'data_granted'; at: string; source: string } & RowGrant);

export type TestEventType = TestEvent['type'];

/** The REST API lists these types (src/api); the two lists must be one. */
type SameTypes<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
export const EVENT_TYPES_MATCH: SameTypes<TestEventType, (typeof TEST_EVENT_TYPES)[number]> = true;

export function isTestEventType(type: string): type is TestEventType {
  return (TEST_EVENT_TYPES as readonly string[]).includes(type);
}
