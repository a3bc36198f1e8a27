import type { TestConfigMessage } from '../../protocol/index.js';
import type { Pacer } from './pacers.js';

/** What a load model decides: how many requests at most, when each starts, how many may be in flight. */
export type LoadPlan = {
  count: number;
  /** Absent = unpaced: a request starts whenever a slot is free, and latency is measured from the actual send. */
  pacer: Pacer | undefined;
  maxInFlight: number;
  /** No start intended this many ms or more after the load's start (duration_s, warmup_s). */
  startWindowMs?: number | undefined;
};

/** A driver-side load model: turns a test's config into a plan. `concurrency` is the config's or the driver's default. */
export type LoadModel = {
  plan(config: TestConfigMessage, concurrency: number): LoadPlan;
};
