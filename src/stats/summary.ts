import { mergeHistograms, type LatencyHistogram } from './latencyHistogram.js';

/** Latencies in milliseconds rounded to 3 decimals (µs precision); null when nothing was recorded. */
export type LatencySummary = {
  count: number;
  min: number | null;
  max: number | null;
  mean: number | null;
  median: number | null;
  mode: number | null;
  p90: number | null;
  p95: number | null;
  p99: number | null;
};

/**
 * Mode: the most frequent latency after rounding every latency to the nearest MODE_RESOLUTION_MS, reported
 * as that rounded value; ties go to the smaller value. A histogram at 3 significant digits has 1 µs buckets
 * below 2 ms, so without this coarser grid the "mode" would be whichever single microsecond happened to
 * repeat most, which is noise.
 */
export const MODE_RESOLUTION_MS = 0.1;

const MICROS_PER_MS = 1000;
const MODE_RESOLUTION_MICROS = MODE_RESOLUTION_MS * MICROS_PER_MS;

/**
 * One pass over the bucket counts gives every figure: the library's own accessors walk the counts once
 * per percentile and once more for the mean, about 5 ms for a full histogram, which a driver pays every
 * report interval on the same event loop that paces its requests. Each figure is computed exactly as
 * the library computes it (bucket medians for the mean, its rounding of the count at a percentile).
 */
export function summarize(h: LatencyHistogram): LatencySummary {
  if (h.totalCount === 0) return emptySummary();
  const percentiles = [50, 90, 95, 99];
  const targets = percentiles.map((p) => countAtPercentile(p, h.totalCount));
  const values: number[] = [];
  const mode = new ModeTracker();
  let cumulative = 0;
  let weightedSum = 0;
  let minValue = 0;
  let maxValue = 0;
  for (let index = 0; index < h.countsArrayLength && cumulative < h.totalCount; index++) {
    const count = h.getCountAtIndex(index);
    if (count === 0) continue;
    const value = h.valueFromIndex(index);
    if (cumulative === 0) minValue = value;
    maxValue = value;
    cumulative += count;
    const median = h.medianEquivalentValue(value);
    weightedSum += median * count;
    mode.add(median, count);
    while (values.length < targets.length && cumulative >= targets[values.length]!) values.push(h.highestEquivalentValue(value));
  }
  // min and max are reported at bucket edges, as percentiles are: the library keeps the exact extremes of a
  // histogram it recorded itself but only bucket edges for a decoded one, and the summary must not depend
  // on whether a histogram travelled over Kafka.
  return {
    count: h.totalCount,
    min: toMillis(h.lowestEquivalentValue(minValue)),
    max: toMillis(h.highestEquivalentValue(maxValue)),
    mean: toMillis(weightedSum / h.totalCount),
    median: toMillis(values[0]!),
    mode: toMillis(mode.micros()),
    p90: toMillis(values[1]!),
    p95: toMillis(values[2]!),
    p99: toMillis(values[3]!),
  };
}

/** The library's rounding: up to the next whole count, forgiving one ulp of floating-point error, at least 1. */
export function countAtPercentile(percentile: number, totalCount: number): number {
  const fpCount = (percentile / 100) * totalCount;
  return Math.max(Math.ceil(fpCount - 2 ** (Math.floor(Math.log2(fpCount)) - 52)), 1);
}

/** Percentiles do not average: the summary of several histograms must come from their merge. */
export function summarizeMany(histograms: readonly LatencyHistogram[]): LatencySummary {
  return summarize(mergeHistograms(histograms));
}

/**
 * Each recorded bucket's count is attributed to the bucket's median-equivalent value (its midpoint), the
 * same representative the library uses for the mean. The highest-equivalent value would shift every bucket
 * up by its width (up to 32 ms near 60 s) and so bias the mode upwards. Buckets arrive in ascending order
 * and the rounded value never decreases, so each mode cell is a contiguous run of buckets.
 */
class ModeTracker {
  private bestCell = 0;
  private bestCount = 0;
  private cell = -1;
  private cellCount = 0;

  add(medianMicros: number, count: number): void {
    const cell = Math.round(medianMicros / MODE_RESOLUTION_MICROS);
    if (cell !== this.cell) {
      this.cell = cell;
      this.cellCount = 0;
    }
    this.cellCount += count;
    // Strictly greater: an equal count later in the scan is a larger value, and ties go to the smaller.
    if (this.cellCount > this.bestCount) {
      this.bestCount = this.cellCount;
      this.bestCell = cell;
    }
  }

  micros(): number {
    return this.bestCell * MODE_RESOLUTION_MICROS;
  }
}

function toMillis(micros: number): number {
  return Math.round(micros) / MICROS_PER_MS;
}

function emptySummary(): LatencySummary {
  return { count: 0, min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };
}
