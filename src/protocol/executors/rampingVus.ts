import { EXECUTOR_LIMITS, targetStages, type Executor, type TargetStage } from './executor.js';
import { z } from 'zod';

/**
 * The instants the VU count changes on a piecewise-linear ramp: within a stage from a to b VUs over d,
 * the count becomes v when the line reaches v (the last change at the stage's end), so VUs start and stop
 * one by one at exact times rather than in jumps.
 */
export function vuChangesOf(startVus: number, stages: readonly TargetStage[]): { atMs: number; vus: number }[] {
  const changes = [{ atMs: 0, vus: startVus }];
  let from = startVus;
  let stageStartMs = 0;
  for (const { duration_s, target } of stages) {
    const durationMs = duration_s * 1000;
    const step = target > from ? 1 : -1;
    for (let vus = from + step; step > 0 ? vus <= target : vus >= target; vus += step) {
      changes.push({ atMs: stageStartMs + (Math.abs(vus - from) / Math.abs(target - from)) * durationMs, vus });
    }
    from = target;
    stageStartMs += durationMs;
  }
  return changes;
}

/** k6's ramping-vus: the number of VUs moves linearly from stage to stage. */
export const rampingVus: Executor = {
  name: 'ramping-vus',
  description: 'closed model: the VUs per driver move linearly through `stages` of {duration_s, target} from `start_vus`; a stopping VU finishes its iteration (within graceful_stop)',
  fields: {
    stages: targetStages('stages of {duration_s, target}: VUs per driver at the end of each (whole numbers)', EXECUTOR_LIMITS.vus),
    start_vus: z.int('must be a whole number').min(0, 'must be >= 0').max(EXECUTOR_LIMITS.vus).optional().meta({ description: 'VUs per driver at the start (default 0)' }),
  },
  problems: (fields) =>
    (fields.stages as TargetStage[]).flatMap((stage, index) => (Number.isInteger(stage.target) ? [] : [{ path: ['stages', index, 'target'], message: 'must be a whole number of VUs' }])),
  plan(fields) {
    const stages = fields.stages as TargetStage[];
    const startVus = (fields.start_vus as number | undefined) ?? 0;
    const durationMs = stages.reduce((sum, s) => sum + s.duration_s * 1000, 0);
    return { model: 'vus', vuChanges: vuChangesOf(startVus, stages), durationMs, maxVus: Math.max(startVus, ...stages.map((s) => s.target)) };
  },
  plannedIterations: () => undefined,
};
