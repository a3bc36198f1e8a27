import { LoadRun, type LoadDeps, type LoadPlan } from './loadRun.js';

export const DEFAULT_CONCURRENCY = 64;

export type AvalancheSettings = {
  count: number;
  /** Most requests in flight at once. */
  concurrency: number;
  /** Requests per second; absent or 0 = as fast as possible. */
  throughputPerDriver?: number;
};

/**
 * AVALANCHE: first come first served, each freed slot starts the next request at once. With a rate cap
 * starts follow a fixed arrival schedule (as wrk2 and k6's constant-arrival-rate do); a start that waits
 * for a free slot keeps its intended time, so the wait counts as latency.
 */
export function avalanchePlan(settings: AvalancheSettings): LoadPlan {
  const rate = settings.throughputPerDriver ?? 0;
  return { count: settings.count, intervalMs: rate > 0 ? 1000 / rate : 0, maxInFlight: settings.concurrency };
}

export function startAvalanche(settings: AvalancheSettings, deps: LoadDeps): LoadRun {
  return new LoadRun(avalanchePlan(settings), deps);
}
