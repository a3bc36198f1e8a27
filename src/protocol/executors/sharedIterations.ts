import { DEFAULT_ITERATIONS_MAX_DURATION_S, EXECUTOR_LIMITS, oneOf, perDriverCount, planSeconds, wholeCount, type Executor } from './executor.js';

/** k6's shared-iterations: the VUs take iterations from one count until it is used up. */
export const sharedIterations: Executor = {
  name: 'shared-iterations',
  description: 'closed model: `vus` VUs per driver (or `total_vus`) share `iterations` per driver (or `total_iterations` split over the drivers), within `max_duration_s` (default 600)',
  fields: {
    vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs on each driver').optional(),
    total_vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs over all drivers, split exactly').optional(),
    iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations per driver, shared by its VUs').optional(),
    total_iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations over all drivers, split exactly').optional(),
    max_duration_s: planSeconds(`seconds after which no iteration starts (default ${DEFAULT_ITERATIONS_MAX_DURATION_S})`).optional(),
  },
  problems: (fields) => [...oneOf(fields, 'vus', 'total_vus'), ...oneOf(fields, 'iterations', 'total_iterations')],
  plan(fields, share) {
    const vus = perDriverCount(fields, 'vus', 'total_vus', share);
    const iterations = perDriverCount(fields, 'iterations', 'total_iterations', share);
    const durationMs = ((fields.max_duration_s as number | undefined) ?? DEFAULT_ITERATIONS_MAX_DURATION_S) * 1000;
    // More VUs than iterations would only idle.
    const running = Math.min(vus, iterations);
    return { model: 'vus', vuChanges: [{ atMs: 0, vus: running }], durationMs, sharedIterations: iterations, maxVus: running };
  },
  plannedIterations: (fields, share) => perDriverCount(fields, 'iterations', 'total_iterations', share),
};
