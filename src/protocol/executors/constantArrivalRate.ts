import { ALONE, EXECUTOR_LIMITS, iterationRate, laneArrivals, oneOf, planSeconds, wholeCount, type Executor } from './executor.js';

/** k6's constant-arrival-rate: `rate` iterations start each second for `duration_s`, whatever the target's speed. */
export const constantArrivalRate: Executor = {
  name: 'constant-arrival-rate',
  description: 'open model: `rate` iterations/s per driver (or `total_rate` split over the drivers) for `duration_s`; an arrival with no free VU under `max_vus` is dropped',
  fields: {
    rate: iterationRate('iterations started per second on each driver').optional(),
    total_rate: iterationRate('iterations started per second over all drivers, split exactly').optional(),
    duration_s: planSeconds('seconds during which iterations start'),
    max_vus: wholeCount(EXECUTOR_LIMITS.vus, 'the most VUs running iterations at once on each driver'),
  },
  problems: (fields) => oneOf(fields, 'rate', 'total_rate'),
  plan(fields, share) {
    const perDriver = typeof fields.rate === 'number';
    const rps = (perDriver ? fields.rate : fields.total_rate) as number;
    const segments = [{ durationMs: (fields.duration_s as number) * 1000, fromRps: rps, toRps: rps }];
    return { model: 'arrivals', segments, lane: perDriver ? ALONE : share, maxVus: fields.max_vus as number };
  },
  plannedIterations(fields, share) {
    const perDriver = typeof fields.rate === 'number';
    const rps = (perDriver ? fields.rate : fields.total_rate) as number;
    return laneArrivals(rps * (fields.duration_s as number), perDriver ? ALONE : share);
  },
};
