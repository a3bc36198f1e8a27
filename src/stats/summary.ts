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

export function summarize(h: LatencyHistogram): LatencySummary {
  if (h.totalCount === 0) return emptySummary();
  // min and max are reported at bucket edges, as percentiles are: the library keeps the exact extremes of a
  // histogram it recorded itself but only bucket edges for a decoded one, and the summary must not depend
  // on whether a histogram travelled over Kafka.
  return {
    count: h.totalCount,
    min: toMillis(h.lowestEquivalentValue(h.minNonZeroValue)),
    max: toMillis(h.highestEquivalentValue(h.maxValue)),
    mean: toMillis(h.mean),
    median: toMillis(h.getValueAtPercentile(50)),
    mode: toMillis(modeMicros(h)),
    p90: toMillis(h.getValueAtPercentile(90)),
    p95: toMillis(h.getValueAtPercentile(95)),
    p99: toMillis(h.getValueAtPercentile(99)),
  };
}

/** Percentiles do not average: the summary of several histograms must come from their merge. */
export function summarizeMany(histograms: readonly LatencyHistogram[]): LatencySummary {
  return summarize(mergeHistograms(histograms));
}

/**
 * Each recorded bucket's count is attributed to the bucket's median-equivalent value (its midpoint), the
 * same representative the library uses for the mean. The highest-equivalent value would shift every bucket
 * up by its width (up to 32 ms near 60 s) and so bias the mode upwards. Buckets are visited in ascending
 * order and the rounded value never decreases, so each mode cell is a contiguous run of buckets.
 */
function modeMicros(h: LatencyHistogram): number {
  let bestCell = 0;
  let bestCount = 0;
  let cell = -1;
  let cellCount = 0;
  const iterator = h.recordedValuesIterator;
  iterator.reset();
  while (iterator.hasNext()) {
    const step = iterator.next();
    const stepCell = Math.round(h.medianEquivalentValue(step.valueIteratedTo) / MODE_RESOLUTION_MICROS);
    if (stepCell !== cell) {
      cell = stepCell;
      cellCount = 0;
    }
    cellCount += step.countAtValueIteratedTo;
    // Strictly greater: an equal count later in the scan is a larger value, and ties go to the smaller.
    if (cellCount > bestCount) {
      bestCount = cellCount;
      bestCell = cell;
    }
  }
  return bestCell * MODE_RESOLUTION_MICROS;
}

function toMillis(micros: number): number {
  return Math.round(micros) / MICROS_PER_MS;
}

function emptySummary(): LatencySummary {
  return { count: 0, min: null, max: null, mean: null, median: null, mode: null, p90: null, p95: null, p99: null };
}
