import type { RateSegment } from '../../protocol/loadShape.js';

export { segmentsIntegral, type RateSegment } from '../../protocol/loadShape.js';

/**
 * When each request is intended to start, as vegeta's `Pacer`: request `index` (from 0) starts
 * `startOffsetMs(index)` milliseconds after the run's start, and `undefined` means the plan has no such
 * request. A pacer is a pure function of the index, so a late wake-up never shifts later starts.
 */
export interface Pacer {
  startOffsetMs(index: number): number | undefined;
  /** For logs: what the pacer does, e.g. `constant 200 req/s`. */
  readonly description: string;
  /** A steerable pacer's change: from `planMs` on (its own clock), a fixed `rate` (starts per second). */
  steer?(planMs: number, rate: number): void;
}

/** A fixed gap between starts: request i at i · interval (the old `t0 + i·interval`). */
export function constantPacer(intervalMs: number): Pacer {
  if (!(intervalMs > 0) || !Number.isFinite(intervalMs)) throw new RangeError(`constantPacer: interval must be a positive number of ms, got ${intervalMs}`);
  return {
    startOffsetMs: (index) => index * intervalMs,
    description: `constant ${round3(1000 / intervalMs)} req/s`,
  };
}


/**
 * Piecewise-linear rates (k6's ramping arrival rate). Request i starts at the first moment the integral
 * of the rate exceeds i, so request i starts exactly when i requests' worth of rate has passed: no drift,
 * whatever the shape. Within a segment the integral is quadratic and solved exactly. A segment from 0 to
 * 0 is a pause: no request starts inside it. Past the last segment there are no more requests.
 */
export function stagedPacer(segments: readonly RateSegment[]): Pacer {
  const bounds = segmentBounds(segments);
  const total = bounds.at(-1)?.endCount ?? 0;
  return {
    startOffsetMs(index) {
      if (index < 0 || index >= total) return undefined;
      const segment = bounds[findSegment(bounds, index)]!;
      return segment.startMs + offsetWithinSegment(segment, index - segment.startCount);
    },
    description: segments.map((s) => `${round3(s.fromRps)}→${round3(s.toRps)} req/s over ${round3(s.durationMs / 1000)} s`).join(', '),
  };
}

/** A linear ramp is a staged plan of one segment. */
export function linearRampPacer(fromRps: number, toRps: number, durationMs: number): Pacer {
  return stagedPacer([{ durationMs, fromRps, toRps }]);
}

type SegmentBound = RateSegment & { startMs: number; startCount: number; endCount: number };

function segmentCount(s: RateSegment): number {
  return ((s.fromRps + s.toRps) / 2) * (s.durationMs / 1000);
}

function segmentBounds(segments: readonly RateSegment[]): SegmentBound[] {
  const bounds: SegmentBound[] = [];
  let startMs = 0;
  let startCount = 0;
  for (const s of segments) {
    if (!(s.durationMs > 0) || s.fromRps < 0 || s.toRps < 0) throw new RangeError(`stagedPacer: bad segment ${JSON.stringify(s)}`);
    const endCount = startCount + segmentCount(s);
    bounds.push({ ...s, startMs, startCount, endCount });
    startMs += s.durationMs;
    startCount = endCount;
  }
  return bounds;
}

/** The segment in which the integral first exceeds `index`: the first whose end count is above it. */
function findSegment(bounds: readonly SegmentBound[], index: number): number {
  let low = 0;
  let high = bounds.length - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if (bounds[middle]!.endCount > index) high = middle;
    else low = middle + 1;
  }
  return low;
}

/**
 * Solves a·t + s·t²/2 = m for t in seconds (a: rate at the segment's start, s: its slope), in the form
 * 2m / (a + √(a² + 2sm)), which stays exact when s is 0 or negative. The discriminant is at least the
 * end rate squared, so it is never negative inside the segment.
 */
function offsetWithinSegment(segment: SegmentBound, m: number): number {
  if (m <= 0) return 0;
  const a = segment.fromRps;
  const slope = (segment.toRps - segment.fromRps) / (segment.durationMs / 1000);
  const seconds = (2 * m) / (a + Math.sqrt(Math.max(0, a * a + 2 * slope * m)));
  return Math.min(segment.durationMs, seconds * 1000);
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
