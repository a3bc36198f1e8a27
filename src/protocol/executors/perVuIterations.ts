import { z } from 'zod';
import { DEFAULT_ITERATIONS_MAX_DURATION_S, EXECUTOR_LIMITS, oneOf, perDriverCount, planSeconds, wholeCount, type Executor } from './executor.js';

/** k6's per-vu-iterations: each VU runs exactly `iterations` iterations. */
export const perVuIterations: Executor = {
  name: 'per-vu-iterations',
  description: 'closed model: `vus` VUs per driver (or `total_vus` split over the drivers) each run `iterations` iterations, within `max_duration_s` (default 600)',
  fields: {
    vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs on each driver').optional(),
    total_vus: wholeCount(EXECUTOR_LIMITS.vus, 'VUs over all drivers, split exactly').optional(),
    iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations each VU runs'),
    max_duration_s: planSeconds(`seconds after which no iteration starts (default ${DEFAULT_ITERATIONS_MAX_DURATION_S})`).optional(),
  },
  problems: (fields) => oneOf(fields, 'vus', 'total_vus'),
  plan(fields, share) {
    const vus = perDriverCount(fields, 'vus', 'total_vus', share);
    const durationMs = ((fields.max_duration_s as number | undefined) ?? DEFAULT_ITERATIONS_MAX_DURATION_S) * 1000;
    return { model: 'vus', vuChanges: [{ atMs: 0, vus }], durationMs, iterationsPerVu: fields.iterations as number, maxVus: vus };
  },
  plannedIterations: (fields, share) => perDriverCount(fields, 'vus', 'total_vus', share) * (fields.iterations as number),
};

export const _zodForTypes = z;
