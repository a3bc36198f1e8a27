import type { LoadModel } from './loadModel.js';
import { constantPacer } from './pacers.js';

export const DEFAULT_CONCURRENCY = 64;

/**
 * AVALANCHE: first come first served, each freed slot starts the next request at once. With a rate cap
 * starts follow a fixed arrival schedule (as wrk2 and k6's constant-arrival-rate do); a start that waits
 * for a free slot keeps its intended time, so the wait counts as latency.
 */
export const avalanche: LoadModel = {
  plan(config, concurrency) {
    const rate = config.throughput_per_driver ?? 0;
    return { count: config.message_count_per_driver, pacer: rate > 0 ? constantPacer(1000 / rate) : undefined, maxInFlight: concurrency };
  },
};
