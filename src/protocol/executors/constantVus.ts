import { oneOf, perDriverCount, planSeconds, VU_COUNT_FIELDS, type Executor } from './executor.js';

/** k6's constant-vus: a fixed number of VUs loop iterations for `duration_s`. */
export const constantVus: Executor = {
  name: 'constant-vus',
  description: 'closed model: `vus` VUs per driver (or `total_vus` split over the drivers) loop iterations for `duration_s`',
  fields: {
    ...VU_COUNT_FIELDS,
    duration_s: planSeconds('seconds during which iterations start'),
  },
  problems: (fields) => oneOf(fields, 'vus', 'total_vus'),
  plan(fields, share) {
    const vus = perDriverCount(fields, 'vus', 'total_vus', share);
    return { model: 'vus', vuChanges: [{ atMs: 0, vus }], durationMs: (fields.duration_s as number) * 1000, maxVus: vus };
  },
  plannedIterations: () => undefined,
};
