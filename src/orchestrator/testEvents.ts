import type { MetricsMessage, TestConfigMessage } from '../protocol/index.js';

export const TEST_STATES = ['created', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TestState = (typeof TEST_STATES)[number];
export type FinishedState = Extract<TestState, 'completed' | 'failed' | 'cancelled'>;

/**
 * Everything that happens to a test, in the order it happened. The event log in the store holds
 * exactly these; a test's state is what folding its events gives (testProjection.ts).
 */
export type TestEvent =
  | { type: 'test_created'; at: string; config: TestConfigMessage; driver_ids: string[]; max_duration_s?: number | undefined }
  | { type: 'test_triggered'; at: string }
  | { type: 'report_received'; at: string; report: MetricsMessage }
  | { type: 'cancel_requested'; at: string; reason: string }
  | { type: 'test_finished'; at: string; state: FinishedState; reason?: string | undefined };

export type TestEventType = TestEvent['type'];
