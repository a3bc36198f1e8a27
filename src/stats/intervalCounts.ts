import { createLatencyHistogram, type BucketCounts } from './latencyHistogram.js';
import { countAtPercentile } from './summary.js';

/**
 * Figures per report interval, from cumulative histograms: the latencies recorded between two reports
 * are the later histogram minus the earlier one (HdrHistogram subtraction, bucket by bucket). All work
 * is on the sparse non-empty buckets, so an interval costs its buckets, not a 200 KB histogram.
 */

/** `later − earlier`, bucket by bucket; a bucket that went down (a reset or a foreign histogram) counts 0. */
export function subtractCounts(later: BucketCounts, earlier: BucketCounts | undefined): BucketCounts {
  if (!earlier || earlier.total === 0) return later;
  const result: BucketCounts = { indexes: [], counts: [], total: 0 };
  let j = 0;
  for (let i = 0; i < later.indexes.length; i++) {
    const index = later.indexes[i]!;
    while (j < earlier.indexes.length && earlier.indexes[j]! < index) j++;
    const before = j < earlier.indexes.length && earlier.indexes[j] === index ? earlier.counts[j]! : 0;
    const count = later.counts[i]! - before;
    if (count > 0) {
      result.indexes.push(index);
      result.counts.push(count);
      result.total += count;
    }
  }
  return result;
}

/**
 * A running sum of sparse bucket lists: each list is added as it arrives, so what is kept is one merged
 * histogram, not every list (at 1,000 drivers a second of reports is 2,000 lists).
 */
export class CountsAccumulator {
  readonly #byIndex = new Map<number, number>();
  #total = 0;

  add(buckets: BucketCounts): void {
    for (let i = 0; i < buckets.indexes.length; i++) this.#byIndex.set(buckets.indexes[i]!, (this.#byIndex.get(buckets.indexes[i]!) ?? 0) + buckets.counts[i]!);
    this.#total += buckets.total;
  }

  /** The sum so far, sorted by index. */
  counts(): BucketCounts {
    const indexes = [...this.#byIndex.keys()].sort((a, b) => a - b);
    return { indexes, counts: indexes.map((index) => this.#byIndex.get(index)!), total: this.#total };
  }
}

export type IntervalPercentiles = { p50: number | null; p95: number | null; p99: number | null };

/** Index-to-value conversions depend only on the histogram's settings: one instance serves every call. */
const SETTINGS = createLatencyHistogram();

/**
 * p50, p95 and p99 in ms (3 decimals), as the full summary computes them (the library's count rounding,
 * the bucket's highest equivalent value); null when the buckets are empty.
 */
export function intervalPercentiles(buckets: BucketCounts): IntervalPercentiles {
  if (buckets.total === 0) return { p50: null, p95: null, p99: null };
  const [p50, p95, p99] = [50, 95, 99].map((percentile) => valueAtPercentile(buckets, percentile));
  return { p50: p50!, p95: p95!, p99: p99! };
}

function valueAtPercentile(buckets: BucketCounts, percentile: number): number {
  const target = countAtPercentile(percentile, buckets.total);
  let cumulative = 0;
  for (let i = 0; i < buckets.indexes.length; i++) {
    cumulative += buckets.counts[i]!;
    if (cumulative >= target) return toMillis(SETTINGS.highestEquivalentValue(SETTINGS.valueFromIndex(buckets.indexes[i]!)));
  }
  return toMillis(SETTINGS.highestEquivalentValue(SETTINGS.valueFromIndex(buckets.indexes.at(-1)!)));
}

function toMillis(micros: number): number {
  return Math.round(micros) / 1000;
}
