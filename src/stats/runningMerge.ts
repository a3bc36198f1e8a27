import { addCounts, createLatencyHistogram, type BucketCounts } from './latencyHistogram.js';
import { summarize, type LatencySummary } from './summary.js';

/**
 * The merge of the latest cumulative histogram of each source (a driver), kept up to date one source at
 * a time: a new histogram replaces only its source's share, so a thousand drivers cost one bucket update
 * per report instead of a thousand merges per read. Counts are whole numbers below 2^53, so adding and
 * removing them is exact and the result equals merging from scratch.
 */
export class RunningMerge {
  private readonly merged = createLatencyHistogram();
  private readonly bySource = new Map<string, BucketCounts>();
  private summary: LatencySummary | undefined;

  /** Replaces the source's share with `buckets`, or removes it when undefined. */
  replace(source: string, buckets: BucketCounts | undefined): void {
    const previous = this.bySource.get(source);
    if (previous === buckets) return;
    if (previous) addCounts(this.merged, previous, -1);
    if (buckets) {
      addCounts(this.merged, buckets, 1);
      this.bySource.set(source, buckets);
    } else {
      this.bySource.delete(source);
    }
    this.summary = undefined;
  }

  get sources(): number {
    return this.bySource.size;
  }

  summarize(): LatencySummary {
    this.summary ??= summarize(this.merged);
    return this.summary;
  }
}
