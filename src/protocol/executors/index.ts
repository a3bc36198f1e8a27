import { constantArrivalRate } from './constantArrivalRate.js';
import { constantVus } from './constantVus.js';
import type { Executor } from './executor.js';
import { perVuIterations } from './perVuIterations.js';
import { rampingArrivalRate } from './rampingArrivalRate.js';
import { rampingVus } from './rampingVus.js';
import { sharedIterations } from './sharedIterations.js';

export * from './executor.js';
export { vuChangesOf } from './rampingVus.js';

/** Every executor, by the name a scenario's `executor` gives (k6's names). */
export const EXECUTORS: readonly Executor[] = [constantArrivalRate, rampingArrivalRate, constantVus, rampingVus, perVuIterations, sharedIterations];

export const EXECUTOR_NAMES = EXECUTORS.map((executor) => executor.name);

export function executorNamed(name: string): Executor | undefined {
  return EXECUTORS.find((executor) => executor.name === name);
}
