import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { deflateSync } from 'node:zlib';
import { Float64Histogram, encodeIntoCompressedBase64 } from 'hdr-histogram-js';
import { cumulativeBuckets, HTTP_LATENCY_BOUNDS_SECONDS } from '../../src/stats/cumulativeBuckets.js';
import {
  bucketsOf,
  createLatencyHistogram,
  decodeHistogram,
  encodeHistogram,
  HIGHEST_TRACKABLE_MICROS,
  mergeHistograms,
  recordMicros,
  type LatencyHistogram,
} from '../../src/stats/latencyHistogram.js';
import { MODE_RESOLUTION_MS, summarize, summarizeMany } from '../../src/stats/summary.js';
import { CountsAccumulator } from '../../src/stats/intervalCounts.js';

const HDR_RELATIVE_PRECISION = 0.001;

function histogramOf(micros: Iterable<number>): LatencyHistogram {
  const h = createLatencyHistogram();
  for (const value of micros) recordMicros(h, value);
  return h;
}

function range(from: number, to: number, step = 1): number[] {
  const values: number[] = [];
  for (let v = from; v <= to; v += step) values.push(v);
  return values;
}

function assertClose(actual: number | null, expected: number, what: string): void {
  assert.ok(actual !== null, `${what} is null`);
  const tolerance = Math.abs(expected) * HDR_RELATIVE_PRECISION;
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} is not within 0.1% of ${expected}`);
}

function assertSameCounts(actual: LatencyHistogram, expected: LatencyHistogram): void {
  assert.equal(actual.totalCount, expected.totalCount);
  for (let i = 0; i < expected.countsArrayLength; i++) {
    assert.equal(actual.getCountAtIndex(i), expected.getCountAtIndex(i), `count at index ${i}`);
  }
}

/** A V2 compressed histogram with our settings around an arbitrary (possibly hostile) payload. */
function craftedEncoding(payload: Buffer, declaredPayloadLength = payload.length): string {
  const header = Buffer.alloc(40);
  header.writeInt32BE(0x1c849313, 0);
  header.writeInt32BE(declaredPayloadLength, 4);
  header.writeInt32BE(3, 12);
  header.writeBigInt64BE(1n, 16);
  header.writeBigInt64BE(BigInt(HIGHEST_TRACKABLE_MICROS), 24);
  const compressed = deflateSync(Buffer.concat([header, payload]));
  const prefix = Buffer.alloc(8);
  prefix.writeInt32BE(0x1c849314, 0);
  prefix.writeInt32BE(compressed.length, 4);
  return Buffer.concat([prefix, compressed]).toString('base64');
}

describe('latency summary', () => {
  it('gives min, max, median and p99 of known samples within HdrHistogram precision', () => {
    const summary = summarize(histogramOf(range(1, 1000).map((ms) => ms * 1000)));
    assert.equal(summary.count, 1000);
    assertClose(summary.min, 1, 'min');
    assertClose(summary.max, 1000, 'max');
    assertClose(summary.median, 500, 'median');
    assertClose(summary.p90, 900, 'p90');
    assertClose(summary.p95, 950, 'p95');
    assertClose(summary.p99, 990, 'p99');
    assertClose(summary.mean, 500.5, 'mean');
  });

  it('reports latencies in milliseconds rounded to whole microseconds', () => {
    const summary = summarize(histogramOf([1234.4, 1234.6]));
    assert.equal(summary.min, 1.234);
    assert.equal(summary.max, 1.235);
  });

  it('finds the mode of a set with a clear peak, rounded to the mode resolution', () => {
    const background = range(5000, 50000, 100);
    const peak = Array.from({ length: 200 }, (_, i) => 12_260 + (i % 80));
    const summary = summarize(histogramOf([...background, ...peak]));
    assert.equal(MODE_RESOLUTION_MS, 0.1);
    assert.equal(summary.mode, 12.3);
  });

  it('counts the mode over 0.1 ms cells, not single microseconds', () => {
    const spreadAroundOneMs = range(950, 1049, 2);
    const repeatedThreeMs = Array.from({ length: 10 }, () => 3000);
    assert.equal(summarize(histogramOf([...spreadAroundOneMs, ...repeatedThreeMs])).mode, 1);
  });

  it('breaks a mode tie towards the smaller value', () => {
    const summary = summarize(histogramOf([...Array(5).fill(40_000), ...Array(5).fill(7_000), 90_000]));
    assert.equal(summary.mode, 7);
  });

  it("agrees exactly with the library's own percentile and mean accessors on random histograms", () => {
    for (const [seed, count] of [[1, 1], [2, 7], [3, 1_000], [4, 100_000]] as const) {
      let state = seed;
      const random = () => ((state = (state * 48271) % 2147483647) / 2147483647);
      const h = histogramOf(Array.from({ length: count }, () => 50 + random() ** 4 * 5_000_000));
      const summary = summarize(h);
      const libraryMillis = (micros: number) => Math.round(micros) / 1000;
      assert.equal(summary.mean, libraryMillis(h.mean), `mean of ${count}`);
      for (const [field, percentile] of [['median', 50], ['p90', 90], ['p95', 95], ['p99', 99]] as const) {
        assert.equal(summary[field], libraryMillis(h.getValueAtPercentile(percentile)), `${field} of ${count}`);
      }
      assert.equal(summary.max, libraryMillis(h.highestEquivalentValue(h.maxValue)), `max of ${count}`);
      assert.equal(summary.min, libraryMillis(h.lowestEquivalentValue(h.minNonZeroValue)), `min of ${count}`);
    }
  });

  it('summarizes an empty histogram to nulls', () => {
    assert.deepEqual(summarize(createLatencyHistogram()), {
      count: 0,
      min: null,
      max: null,
      mean: null,
      median: null,
      mode: null,
      p90: null,
      p95: null,
      p99: null,
    });
  });
});

describe('latency histogram', () => {
  it('clamps values above 60 s instead of throwing, and below 1 µs up to 1 µs', () => {
    const h = histogramOf([120_000_000, 120_000_000, 0, 0.2, -5]);
    assert.equal(h.totalCount, 5);
    const summary = summarize(h);
    assertClose(summary.max, 60_000, 'max');
    assert.equal(summary.min, 0.001);
    assertClose(summary.p90, 60_000, 'p90');
  });

  it('rejects NaN with a clear error', () => {
    assert.throws(() => recordMicros(createLatencyHistogram(), Number.NaN), /NaN/);
  });

  it('survives an encode and decode round trip with every count intact', () => {
    const original = histogramOf([...range(1, 3000, 7), ...range(10_000, 5_000_000, 9973), 59_999_999, 1, 1, 1]);
    const decoded = decodeHistogram(encodeHistogram(original));
    assertSameCounts(decoded, original);
    assert.deepEqual(summarize(decoded), summarize(original));
  });

  it('round-trips an empty histogram', () => {
    const decoded = decodeHistogram(encodeHistogram(createLatencyHistogram()));
    assert.equal(decoded.totalCount, 0);
  });

  it('merges into the histogram of all samples, which the mean of the medians is not', () => {
    const fast = range(1000, 10_000, 10);
    const slow = range(100_000, 200_000, 500);
    const fastHistogram = histogramOf(fast);
    const slowHistogram = histogramOf(slow);

    const merged = mergeHistograms([fastHistogram, slowHistogram]);
    const together = histogramOf([...fast, ...slow]);
    assertSameCounts(merged, together);

    const mergedSummary = summarize(merged);
    const togetherSummary = summarize(together);
    assert.equal(mergedSummary.median, togetherSummary.median);
    assert.equal(mergedSummary.p99, togetherSummary.p99);
    assert.deepEqual(summarizeMany([fastHistogram, slowHistogram]), togetherSummary);

    const fastMedian = summarize(fastHistogram).median ?? Number.NaN;
    const slowMedian = summarize(slowHistogram).median ?? Number.NaN;
    const meanOfMedians = (fastMedian + slowMedian) / 2;
    assertClose(mergedSummary.median, 6.5, 'merged median');
    assertClose(meanOfMedians, 77.75, 'mean of medians');
    assert.ok(Math.abs(meanOfMedians - (mergedSummary.median ?? 0)) > 70);
  });

  it('leaves the merged inputs untouched', () => {
    const a = histogramOf([1000, 2000]);
    const b = histogramOf([3000]);
    mergeHistograms([a, b]);
    assert.equal(a.totalCount, 2);
    assert.equal(b.totalCount, 1);
  });

  it('merges decoded histograms like the originals', () => {
    const a = histogramOf(range(1, 5000, 3));
    const b = histogramOf(range(20_000, 90_000, 11));
    const viaWire = mergeHistograms([decodeHistogram(encodeHistogram(a)), decodeHistogram(encodeHistogram(b))]);
    assert.deepEqual(summarize(viaWire), summarize(mergeHistograms([a, b])));
  });
});

describe('Prometheus buckets of a latency histogram', () => {
  it('count the values at or under each bound, cumulatively, and two parts count as their merge', () => {
    const a = createLatencyHistogram();
    const b = createLatencyHistogram();
    for (const micros of [500, 1_000, 1_001, 2_000, 4_999, 10_000, 9_000_000]) recordMicros(a, micros);
    for (const micros of [20_000_000, 300, 750_000]) recordMicros(b, micros);
    const buckets = cumulativeBuckets([bucketsOf(a), bucketsOf(b)]);
    assert.deepEqual(buckets.bounds, HTTP_LATENCY_BOUNDS_SECONDS);
    //                       1ms 2ms 5ms 10ms 25ms 50ms 100ms 250ms 500ms 1s 2.5s 5s 10s
    assert.deepEqual(buckets.counts, [3, 5, 6, 7, 7, 7, 7, 7, 7, 8, 8, 8, 9]);
    assert.equal(buckets.count, 10, 'the 20 s value is only in +Inf');
    const merged = mergeHistograms([a, b]);
    assert.deepEqual(cumulativeBuckets([bucketsOf(merged)]), buckets);
    assert.equal(Math.round((buckets.sumSeconds / buckets.count) * 1e6) / 1e3, summarize(merged).mean, '_sum / _count is the summary mean (ms)');
  });
});

describe('decodeHistogram on bad input', { timeout: 10_000 }, () => {
  const cases: [string, string][] = [
    ['text that is not base64', 'not base64!!'],
    ['base64 of random bytes', randomBytes(256).toString('base64')],
    ['an empty string', ''],
    ['a truncated histogram', encodeHistogram(histogramOf([1000, 2000])).slice(0, 24)],
    ['a valid cookie around random bytes', Buffer.concat([Buffer.from('1c84931400000100', 'hex'), randomBytes(256)]).toString('base64')],
    ['a payload that declares more bytes than it has', craftedEncoding(Buffer.from([2, 4]), 1_000_000)],
    ['a zero run far beyond the histogram', craftedEncoding(Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f]))],
    ['a count word that ends early', craftedEncoding(Buffer.from([2, 0x80]))],
  ];
  for (const [name, text] of cases) {
    it(`throws a clear Error for ${name}`, () => {
      assert.throws(() => decodeHistogram(text), (error: unknown) => {
        assert.ok(error instanceof Error);
        assert.match(error.message, /^cannot decode latency histogram \(\d+ chars: .*\): \S/);
        return true;
      });
    });
  }

  it('rejects a histogram recorded with other settings', () => {
    const foreign = new Float64Histogram(1, 3_600_000_000, 2);
    foreign.recordValue(5);
    assert.throws(() => decodeHistogram(encodeIntoCompressedBase64(foreign)), /differ from Stampede's/);
  });

  it('rejects a value that is not a string', () => {
    assert.throws(() => decodeHistogram(42 as unknown as string), /expected a string, got number/);
  });
});

describe('CountsAccumulator (the running merge of interval histograms)', () => {
  it('sums sparse bucket lists as they arrive, sorted by index, whatever their order', () => {
    const merged = new CountsAccumulator();
    merged.add({ indexes: [3, 10, 40], counts: [1, 2, 3], total: 6 });
    merged.add({ indexes: [1, 10], counts: [5, 7], total: 12 });
    assert.deepEqual(merged.counts(), { indexes: [1, 3, 10, 40], counts: [5, 1, 9, 3], total: 18 });
    merged.add({ indexes: [], counts: [], total: 0 });
    assert.equal(merged.counts().total, 18);
  });
});
