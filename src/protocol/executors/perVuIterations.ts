import { EXECUTOR_LIMITS, iterationsWindowMs, MAX_DURATION_FIELD, oneOf, perDriverCount, VU_COUNT_FIELDS, wholeCount, type Executor } from './executor.js';

/** k6's per-vu-iterations: each VU runs exactly `iterations` iterations. */
export const perVuIterations: Executor = {
  name: 'per-vu-iterations',
  description: 'closed model: `vus` VUs per driver (or `total_vus` split over the drivers) each run `iterations` iterations, within `max_duration_s` (default 600)',
  fields: {
    ...VU_COUNT_FIELDS,
    iterations: wholeCount(EXECUTOR_LIMITS.iterations, 'iterations each VU runs'),
    ...MAX_DURATION_FIELD,
  },
  problems: (fields) => oneOf(fields, 'vus', 'total_vus'),
  plan(fields, share) {
    const vus = perDriverCount(fields, 'vus', 'total_vus', share);
    const durationMs = iterationsWindowMs(fields);
    return { model: 'vus', vuChanges: [{ atMs: 0, vus }], durationMs, iterationsPerVu: fields.iterations as number, maxVus: vus };
  },
  plannedIterations: (fields, share) => perDriverCount(fields, 'vus', 'total_vus', share) * (fields.iterations as number),
};
