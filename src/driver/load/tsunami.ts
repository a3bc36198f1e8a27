import type { LoadModel } from './loadModel.js';
import { constantPacer } from './pacers.js';

/**
 * TSUNAMI: starts spaced by exactly the delay, or wider when the throughput cap needs it. An open model:
 * a start never waits for an earlier response, so a slow target shows up as latency, not as a slower rate.
 */
export const tsunami: LoadModel = {
  plan(config) {
    const rate = config.throughput_per_driver ?? 0;
    const intervalMs = rate > 0 ? Math.max(config.test_message_delay, 1000 / rate) : config.test_message_delay;
    // A spec peer may send TSUNAMI with a delay of "0": then every request starts at once.
    return { count: config.message_count_per_driver, pacer: intervalMs > 0 ? constantPacer(intervalMs) : undefined, maxInFlight: Infinity };
  },
};
