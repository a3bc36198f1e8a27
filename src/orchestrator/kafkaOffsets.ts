import type { ResumeOffsets } from '../bus/index.js';
import type { MetricsStore } from '../store/metricsStore.js';

const OFFSET_KEY_PREFIX = 'kafka_offset:';
/** More partitions than any of our topics is created with. */
const MAX_PARTITIONS = 1024;

/**
 * Where the orchestrator's reading of a topic resumes after a restart: the next offset of each
 * partition, saved in the store as each message is handled, so what drivers sent meanwhile still counts.
 */
export function savedOffsets(store: MetricsStore, topic: string): ResumeOffsets {
  const offsets: ResumeOffsets = new Map();
  for (let partition = 0; partition < MAX_PARTITIONS; partition++) {
    const value = store.getValue(`${OFFSET_KEY_PREFIX}${topic}:${partition}`);
    if (value === undefined) break;
    offsets.set(`${topic}:${partition}`, BigInt(value));
  }
  return offsets;
}

/** Records that a message was handled: a restart reads on from the one after it. */
export function saveHandledOffset(store: MetricsStore, delivery: { topic: string; partition: number; offset: bigint }): void {
  store.setValue(`${OFFSET_KEY_PREFIX}${delivery.topic}:${delivery.partition}`, (delivery.offset + 1n).toString());
}
