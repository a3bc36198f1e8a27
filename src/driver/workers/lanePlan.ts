import type { LoadPlan } from '../load/loadModel.js';
import type { Lane } from '../requests/requestIterator.js';

/**
 * The share of a plan one load worker runs: request i of the plan goes to lane i mod `lane.count`, at the
 * plan's own intended time, so the lanes' starts merged are exactly the plan's. In-flight limits and
 * connections are split as evenly as whole numbers allow.
 */
export function lanePlan(plan: LoadPlan, lane: Lane): LoadPlan {
  if (lane.count === 1) return plan;
  const { pacer } = plan;
  return {
    count: plan.count > lane.index ? Math.ceil((plan.count - lane.index) / lane.count) : 0,
    pacer: pacer && {
      startOffsetMs: (index) => pacer.startOffsetMs(index * lane.count + lane.index),
      description: `${pacer.description}, lane ${lane.index + 1} of ${lane.count}`,
      ...(pacer.steer ? { steer: (planMs: number, rate: number) => pacer.steer!(planMs, rate) } : {}),
    },
    maxInFlight: plan.maxInFlight === Infinity ? Infinity : laneShare(plan.maxInFlight, lane),
    startWindowMs: plan.startWindowMs,
  };
}

/** `total` split over the lanes: the first `total mod count` lanes get one more; never below 1. */
export function laneShare(total: number, lane: Lane): number {
  const base = Math.floor(total / lane.count);
  return Math.max(1, base + (lane.index < total % lane.count ? 1 : 0));
}
