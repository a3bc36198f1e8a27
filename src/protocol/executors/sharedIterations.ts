import { EXECUTOR_LIMITS, iterationsWindowMs, MAX_DURATION_FIELD, oneOf, perDriverCount, VU_COUNT_FIELDS, wholeCount, type Executor } from './executor.js';

/** k6's shared-iterations: the VUs take iterations from one count until it is used up. */
export const sharedIterations: Executor = {
  name: 'shared-iterations',
  description: 'closed model: `vus` VUs per driver (or `total_vus`) share `iterations` per driver (or `total_iterations` split over the drivers), within `max_duration_s` (default 600)',
  fields: {
    ...VU_COUNT_FIELDS,
    iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations per driver, shared by its VUs').optional(),
    total_iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations over all drivers, split exactly').optional(),
    ...MAX_DURATION_FIELD,
  },
  problems: (fields) => [...oneOf(fields, 'vus', 'total_vus'), ...oneOf(fields, 'iterations', 'total_iterations')],
  plan(fields, share) {
    const vus = perDriverCount(fields, 'vus', 'total_vus', share);
    const iterations = perDriverCount(fields, 'iterations', 'total_iterations', share);
    const durationMs = iterationsWindowMs(fields);
    // More VUs than iterations would only idle.
    const running = Math.min(vus, iterations);
    return { model: 'vus', vuChanges: [{ atMs: 0, vus: running }], durationMs, sharedIterations: iterations, maxVus: running };
  },
  plannedIterations: (fields, share) => perDriverCount(fields, 'iterations', 'total_iterations', share),
};
