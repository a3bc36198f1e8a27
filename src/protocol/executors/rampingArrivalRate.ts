import { segmentsIntegral, stageSegments } from '../loadShape.js';
import { ALONE, EXECUTOR_LIMITS, iterationRate, laneArrivals, targetStages, wholeCount, type Executor, type TargetStage } from './executor.js';

/** The stages as the load shape's segments (target in iterations/s). */
function segmentsOf(fields: Record<string, unknown>) {
  const stages = (fields.stages as TargetStage[]).map((s) => ({ duration_s: s.duration_s, target_rps: s.target }));
  return stageSegments(stages, (fields.start_rate as number | undefined) ?? 0);
}

/** k6's ramping-arrival-rate: the arrival rate moves linearly from stage to stage; each driver runs the whole shape. */
export const rampingArrivalRate: Executor = {
  name: 'ramping-arrival-rate',
  description: 'open model: the iteration rate per driver moves linearly through `stages` of {duration_s, target} from `start_rate`; an arrival with no free VU under `max_vus` is dropped',
  fields: {
    stages: targetStages('stages of {duration_s, target}: iterations/s per driver at the end of each', 1_000_000),
    start_rate: iterationRate('iterations/s per driver the first stage starts from (default 0)').optional(),
    max_vus: wholeCount(EXECUTOR_LIMITS.vus, 'the most VUs running iterations at once on each driver'),
  },
  problems: () => [],
  plan: (fields) => ({ model: 'arrivals', segments: segmentsOf(fields), lane: ALONE, maxVus: fields.max_vus as number }),
  plannedIterations: (fields) => laneArrivals(segmentsIntegral(segmentsOf(fields)), ALONE),
};
