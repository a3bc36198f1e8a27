import type { DriverRecord } from './driverRegistry.js';
import type { FinishedState } from './testEvents.js';
import { driversStillRunning, type TestProjection } from './testProjection.js';
import { pausedMsBy } from './steering.js';

export type Verdict = { state: FinishedState; reason?: string };

export type SupervisionContext = {
  nowMs: number;
  /** since when this orchestrator has heard Kafka (its start, or the end of a broker outage): silence before is not a driver's fault */
  hearingSinceMs: number;
  driver: (nodeId: string) => DriverRecord | undefined;
  /** how long a driver has not been heard from; undefined for one never heard */
  silentForMs: (nodeId: string) => number | undefined;
  /** a lost driver fails the test only once silent this long (a failover may hold its heartbeats) */
  failAfterSilentMs: number;
  lostAfterMs: number;
  silentAfterMs: number;
};

/**
 * Decides whether a running test is over, so that no test hangs: it completes when every chosen
 * driver sent its final report, and fails (naming the driver) as soon as one could not run it
 * (rejected or aborted), is lost or falls silent, or when the optional overall time limit passes.
 */
export function superviseTest(test: TestProjection, context: SupervisionContext): Verdict | undefined {
  if (test.state !== 'running') return undefined;
  // One driver that could not run its part fails the test at once: the others are then told to stop.
  const refusal = refusalInFinalReports(test);
  if (refusal) return refusal;
  const unfinished = driversStillRunning(test);
  // A capacity search that found its answer stops its own test: that is its end, not a cancel.
  const cancelled = test.cancel_requested_at !== undefined && test.capacity?.capacity_rps === undefined;
  if (unfinished.length === 0) return cancelled ? { state: 'cancelled', reason: 'cancelled by request' } : { state: 'completed' };
  for (const nodeId of unfinished) {
    const problem = driverProblem(test, nodeId, context);
    if (problem) return cancelled ? { state: 'cancelled', reason: `cancelled by request; ${problem}` } : { state: 'failed', reason: problem };
  }
  return overDeadline(test, context.nowMs);
}

function refusalInFinalReports(test: TestProjection): Verdict | undefined {
  for (const nodeId of test.driver_ids) {
    const final = test.drivers.get(nodeId)?.final;
    if (final?.outcome && final.outcome !== 'completed' && final.outcome !== 'cancelled') {
      return { state: 'failed', reason: `driver ${nodeId} ${final.outcome} the test${final.reason ? `: ${final.reason}` : ''}` };
    }
  }
  return undefined;
}

function driverProblem(test: TestProjection, nodeId: string, context: SupervisionContext): string | undefined {
  const driver = context.driver(nodeId);
  const sinceStart = context.nowMs - context.hearingSinceMs;
  if (driver?.status === 'left') return `driver ${nodeId} left (deregistered) while the test ran`;
  if (driver?.status === 'lost' && (context.silentForMs(nodeId) ?? Infinity) > context.failAfterSilentMs) {
    const heartbeat = driver.last_heartbeat ? ` (last heartbeat ${driver.last_heartbeat})` : '';
    return `driver ${nodeId} lost: not heard from for ${context.failAfterSilentMs / 1000} s${heartbeat}`;
  }
  if (!driver && sinceStart > context.lostAfterMs) return `driver ${nodeId} lost: never heard from in ${context.lostAfterMs / 1000} s`;
  const progress = test.drivers.get(nodeId);
  const lastSignal = Math.max(Date.parse(progress?.last_report_at ?? test.triggered_at ?? test.created_at), context.hearingSinceMs);
  if (context.nowMs - lastSignal > context.silentAfterMs) {
    const what = progress?.last_report_at ? 'sent no report' : 'never reported';
    return `driver ${nodeId} ${what} for ${Math.round(context.silentAfterMs / 1000)} s while the test ran`;
  }
  return undefined;
}

function overDeadline(test: TestProjection, nowMs: number): Verdict | undefined {
  if (!test.max_duration_s || !test.triggered_at) return undefined;
  // A pause holds the drivers' time limit back by as long (src/driver/testRun.ts), and so this one.
  if (nowMs - Date.parse(test.triggered_at) - pausedMsBy(test.steering, nowMs) <= test.max_duration_s * 1000) return undefined;
  return { state: 'failed', reason: `exceeded max_duration_s (${test.max_duration_s} s) with drivers still running: ${driversStillRunning(test).join(', ')}` };
}
