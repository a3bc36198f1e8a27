import { LoadRun, type LoadDeps, type LoadPlan } from './loadRun.js';

export type TsunamiSettings = {
  count: number;
  /** Gap between request starts, ms. */
  delayMs: number;
  /** Requests per second; absent or 0 = no cap. */
  throughputPerDriver?: number;
};

/**
 * TSUNAMI: starts spaced by exactly the delay, or wider when the throughput cap needs it. An open model:
 * a start never waits for an earlier response, so a slow target shows up as latency, not as a slower rate.
 */
export function tsunamiPlan(settings: TsunamiSettings): LoadPlan {
  const rate = settings.throughputPerDriver ?? 0;
  const intervalMs = rate > 0 ? Math.max(settings.delayMs, 1000 / rate) : settings.delayMs;
  return { count: settings.count, intervalMs, maxInFlight: Infinity };
}

export function startTsunami(settings: TsunamiSettings, deps: LoadDeps): LoadRun {
  return new LoadRun(tsunamiPlan(settings), deps);
}
