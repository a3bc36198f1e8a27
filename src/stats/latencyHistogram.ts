import { inflateSync } from 'node:zlib';
// The classes are imported from their own files: the package's index also loads its WebAssembly build
// (a base64 blob, pako, a wasm loader), which we never use and which cost each thread ~5 MB RSS.
import float64HistogramModule from 'hdr-histogram-js/dist/Float64Histogram.js';
import type { JsHistogram } from 'hdr-histogram-js/dist/JsHistogram.js';
// Adds encodeIntoCompressedBase64 to JsHistogram's prototype.
import 'hdr-histogram-js/dist/JsHistogram.encoding.js';

const Float64Histogram = float64HistogramModule.default;

/**
 * A latency histogram in integer microseconds. The pure-JS implementation is used (not WASM) because the
 * summary code iterates buckets, which only the JS classes expose, and because it needs no async init.
 */
export type LatencyHistogram = JsHistogram;

export const LOWEST_TRACKABLE_MICROS = 1;
export const HIGHEST_TRACKABLE_MICROS = 60_000_000;
export const SIGNIFICANT_DIGITS = 3;

/** V2 cookies of HdrHistogram's encoding; the low nibble of the cookie's low byte carries flags. */
const COMPRESSED_COOKIE_BASE = 0x1c849304;
const UNCOMPRESSED_COOKIE_BASE = 0x1c849303;
const COOKIE_FLAG_MASK = ~0xf0;
const COMPRESSED_PREFIX_BYTES = 8;
const UNCOMPRESSED_HEADER_BYTES = 40;
/** A full histogram of our size is ~17k counts of at most 9 bytes each; anything bigger is not ours. */
const MAX_INFLATED_BYTES = 1 << 20;
const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

export function createLatencyHistogram(): LatencyHistogram {
  // 64-bit (float) counters: a merged histogram of a long test at hundreds of thousands of requests
  // a second would overflow the library's default 32-bit counters within hours.
  return new Float64Histogram(LOWEST_TRACKABLE_MICROS, HIGHEST_TRACKABLE_MICROS, SIGNIFICANT_DIGITS);
}

/** Hot path (once per request): no allocation, no throw for out-of-range values. */
export function recordMicros(h: LatencyHistogram, micros: number): void {
  if (micros >= HIGHEST_TRACKABLE_MICROS) {
    h.recordValue(HIGHEST_TRACKABLE_MICROS);
  } else if (micros >= LOWEST_TRACKABLE_MICROS) {
    h.recordValue(Math.round(micros));
  } else if (Number.isNaN(micros)) {
    throw new RangeError('recordMicros: latency is NaN');
  } else {
    h.recordValue(LOWEST_TRACKABLE_MICROS);
  }
}

/** Index-to-value conversions depend only on the histogram's settings: one instance serves every call. */
const BUCKETS = createLatencyHistogram();

/** The bucket a latency falls in, clamped as `recordMicros` clamps it: for sparse histograms (a map of buckets). */
export function bucketIndexOf(micros: number): number {
  return BUCKETS.countsArrayIndex(Math.min(HIGHEST_TRACKABLE_MICROS, Math.max(LOWEST_TRACKABLE_MICROS, Math.round(micros))));
}

/** Latencies as reports carry them, [µs, count] pairs, added into sparse buckets (or taken out: `sign` -1). */
export function addLatencyPairs(buckets: Map<number, number>, pairs: readonly (readonly [number, number])[], sign: 1 | -1): void {
  for (const [value, count] of pairs) {
    const bucket = bucketIndexOf(value);
    buckets.set(bucket, (buckets.get(bucket) ?? 0) + sign * count);
  }
}

/** A bucket as a value (its lowest), which `bucketIndexOf` maps back to the same bucket. */
export function bucketValue(index: number): number {
  return BUCKETS.valueFromIndex(index);
}

export function encodeHistogram(h: LatencyHistogram): string {
  return h.encodeIntoCompressedBase64();
}

/**
 * Decodes the compressed base64 form. The library's own decoder trusts the lengths in its input, so a
 * corrupt message can make it spin for minutes or allocate without bound; this decoder checks every
 * length and index against our fixed histogram size before using it.
 */
export function decodeHistogram(text: string): LatencyHistogram {
  return histogramFromCounts(decodeHistogramCounts(text));
}

/**
 * The non-empty buckets of a histogram: what travels, without the 200 KB array of a whole histogram.
 * Counts at equal positions of `indexes` and `counts`; `total` is their sum.
 */
export type BucketCounts = { indexes: number[]; counts: number[]; total: number };

/** Decodes the compressed base64 form into its non-empty buckets, with the checks of `decodeHistogram`. */
export function decodeHistogramCounts(text: string): BucketCounts {
  try {
    const inflated = inflateCompressedForm(base64Bytes(text));
    return countsFromUncompressedForm(inflated);
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    throw new Error(`cannot decode latency histogram (${describeInput(text)}): ${reason}`, { cause: error });
  }
}

export function histogramFromCounts(buckets: BucketCounts): LatencyHistogram {
  const histogram = createLatencyHistogram();
  addCounts(histogram, buckets, 1);
  histogram.establishInternalTackingValues();
  return histogram;
}

/** Adds (sign 1) or removes (sign -1) buckets; the caller keeps min and max up to date if it needs them. */
export function addCounts(histogram: LatencyHistogram, buckets: BucketCounts, sign: 1 | -1): void {
  const { indexes, counts } = buckets;
  for (let i = 0; i < indexes.length; i++) histogram.addToCountAtIndex(indexes[i]!, sign * counts[i]!);
  histogram.setTotalCount(histogram.totalCount + sign * buckets.total);
}

/** The non-empty buckets: a few hundred entries of a 17k-bucket histogram. */
export function bucketsOf(histogram: LatencyHistogram): BucketCounts {
  const buckets: BucketCounts = { indexes: [], counts: [], total: histogram.totalCount };
  for (let index = 0; index < histogram.countsArrayLength; index++) {
    const count = histogram.getCountAtIndex(index);
    if (count > 0) {
      buckets.indexes.push(index);
      buckets.counts.push(count);
    }
  }
  return buckets;
}

export function mergeHistograms(list: readonly LatencyHistogram[]): LatencyHistogram {
  const merged = createLatencyHistogram();
  for (const h of list) merged.add(h);
  return merged;
}

function base64Bytes(text: string): Buffer {
  // Callers pass fields of parsed JSON messages, so the declared type is not a guarantee.
  if (typeof text !== 'string') throw new Error(`expected a string, got ${typeof text}`);
  const trimmed = text.trim();
  if (trimmed.length === 0) throw new Error('input is empty');
  // Buffer.from silently skips invalid characters, so validate first to reject non-base64 text outright.
  if (!STRICT_BASE64.test(trimmed)) throw new Error('input is not base64');
  return Buffer.from(trimmed, 'base64');
}

function inflateCompressedForm(bytes: Buffer): Buffer {
  if (bytes.length < COMPRESSED_PREFIX_BYTES) throw new Error(`only ${bytes.length} bytes, too short for a histogram`);
  const cookie = bytes.readInt32BE(0);
  if ((cookie & COOKIE_FLAG_MASK) !== COMPRESSED_COOKIE_BASE) {
    throw new Error(`not a compressed HdrHistogram (cookie 0x${hex(cookie)})`);
  }
  const compressedLength = bytes.readInt32BE(4);
  const available = bytes.length - COMPRESSED_PREFIX_BYTES;
  if (compressedLength <= 0 || compressedLength > available) {
    throw new Error(`compressed length ${compressedLength} does not fit the ${available} bytes present`);
  }
  const compressed = bytes.subarray(COMPRESSED_PREFIX_BYTES, COMPRESSED_PREFIX_BYTES + compressedLength);
  return inflateSync(compressed, { maxOutputLength: MAX_INFLATED_BYTES });
}

function countsFromUncompressedForm(bytes: Buffer): BucketCounts {
  if (bytes.length < UNCOMPRESSED_HEADER_BYTES) throw new Error(`header truncated (${bytes.length} bytes)`);
  const cookie = bytes.readInt32BE(0);
  if ((cookie & COOKIE_FLAG_MASK) !== UNCOMPRESSED_COOKIE_BASE) {
    throw new Error(`inner cookie 0x${hex(cookie)} is not an HdrHistogram V2 cookie`);
  }
  const payloadLength = bytes.readInt32BE(4);
  const available = bytes.length - UNCOMPRESSED_HEADER_BYTES;
  if (payloadLength < 0 || payloadLength > available) {
    throw new Error(`payload length ${payloadLength} does not fit the ${available} bytes present`);
  }
  assertOurSettings(bytes.readInt32BE(12), Number(bytes.readBigInt64BE(16)), Number(bytes.readBigInt64BE(24)));
  return readCounts(bytes, UNCOMPRESSED_HEADER_BYTES, UNCOMPRESSED_HEADER_BYTES + payloadLength);
}

function assertOurSettings(digits: number, lowest: number, highest: number): void {
  if (digits !== SIGNIFICANT_DIGITS || lowest !== LOWEST_TRACKABLE_MICROS || highest !== HIGHEST_TRACKABLE_MICROS) {
    throw new Error(
      `histogram settings (lowest ${lowest}, highest ${highest}, ${digits} digits) differ from Stampede's ` +
        `(lowest ${LOWEST_TRACKABLE_MICROS}, highest ${HIGHEST_TRACKABLE_MICROS}, ${SIGNIFICANT_DIGITS} digits)`,
    );
  }
}

/** How many buckets a histogram of our settings has. */
const BUCKET_CAPACITY = createLatencyHistogram().countsArrayLength;

/**
 * The payload is a run of ZigZag LEB128 words: a positive word is the count at the next index, a negative
 * word -n skips n empty indexes.
 */
function readCounts(bytes: Buffer, start: number, end: number): BucketCounts {
  const reader = new ZigZagReader(bytes, start, end);
  const buckets: BucketCounts = { indexes: [], counts: [], total: 0 };
  let index = 0;
  while (reader.hasMore()) {
    const word = reader.next();
    if (!Number.isSafeInteger(word)) throw new Error(`count word ${word} at index ${index} is out of range`);
    index += word < 0 ? -word : 1;
    if (index > BUCKET_CAPACITY) throw new Error(`counts extend to index ${index}, beyond the ${BUCKET_CAPACITY} buckets`);
    if (word > 0) {
      buckets.indexes.push(index - 1);
      buckets.counts.push(word);
      buckets.total += word;
    }
  }
  if (!Number.isSafeInteger(buckets.total)) throw new Error(`total count ${buckets.total} is out of range`);
  return buckets;
}

const LEB128_MAX_BYTES = 9;

class ZigZagReader {
  private position: number;

  constructor(
    private readonly bytes: Buffer,
    start: number,
    private readonly end: number,
  ) {
    this.position = start;
  }

  hasMore(): boolean {
    return this.position < this.end;
  }

  /** LEB128-64b9B: up to 8 bytes of 7 bits, then a 9th byte with all 8 bits. */
  next(): number {
    let unsigned = 0;
    let scale = 1;
    for (let i = 0; i < LEB128_MAX_BYTES - 1; i++) {
      const byte = this.readByte();
      unsigned += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return unZigZag(unsigned);
      scale *= 0x80;
    }
    return unZigZag(unsigned + this.readByte() * scale);
  }

  private readByte(): number {
    const byte = this.bytes[this.position];
    if (byte === undefined || this.position >= this.end) throw new Error('payload ends inside a count');
    this.position++;
    return byte;
  }
}

function unZigZag(unsigned: number): number {
  return unsigned % 2 === 0 ? unsigned / 2 : -(unsigned + 1) / 2;
}

function hex(n: number): string {
  return (n >>> 0).toString(16);
}

function describeInput(text: string): string {
  if (typeof text !== 'string') return typeof text;
  const preview = text.length > 24 ? `${text.slice(0, 24)}…` : text;
  return `${text.length} chars: ${JSON.stringify(preview)}`;
}
