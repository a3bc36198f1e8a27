import { createLatencyHistogram, recordMicros, type LatencyHistogram } from '../stats/latencyHistogram.js';
import { ERROR_SAMPLE_LIMITS } from '../protocol/index.js';
import type { ErrorKind } from './httpClient.js';

export type RecorderCounts = {
  sent: number;
  completed: number;
  errors: Record<string, number>;
  in_flight: number;
  late_starts: number;
};

/** Per error kind, its first few distinct messages. */
export type ErrorSamples = Record<string, string[]>;

/**
 * Histograms and counters of one test. Called once or twice per request, so every method is a few
 * field updates. Once frozen (the final report is taken) later results are ignored, so the final
 * report stays the last word even if a straggler settles afterwards.
 */
export class Recorder {
  /** Latency from the intended start (corrected for coordinated omission), µs. */
  readonly latency: LatencyHistogram = createLatencyHistogram();
  /** Service time from the actual send, µs. */
  readonly service: LatencyHistogram = createLatencyHistogram();
  private sent = 0;
  private completed = 0;
  private lateStarts = 0;
  private readonly errorCounts = new Map<ErrorKind, number>();
  private readonly errorSamples = new Map<ErrorKind, string[]>();
  private frozen = false;

  recordSent(): void {
    if (!this.frozen) this.sent += 1;
  }

  recordSuccess(latencyMicros: number, serviceMicros: number): void {
    if (this.frozen) return;
    this.completed += 1;
    recordMicros(this.latency, latencyMicros);
    recordMicros(this.service, serviceMicros);
  }

  recordError(kind: ErrorKind, message?: string): void {
    if (this.frozen) return;
    this.completed += 1;
    this.errorCounts.set(kind, (this.errorCounts.get(kind) ?? 0) + 1);
    if (message !== undefined) this.sampleError(kind, message);
  }

  /** Only errors reach here, and a kind's list is full after five: the cost stays off the success path. */
  private sampleError(kind: ErrorKind, message: string): void {
    const samples = this.errorSamples.get(kind);
    if (!samples) this.errorSamples.set(kind, [message]);
    else if (samples.length < ERROR_SAMPLE_LIMITS.perKind && !samples.includes(message)) samples.push(message);
  }

  /** A copy: reports are built from it while requests keep failing. */
  samples(): ErrorSamples {
    return Object.fromEntries([...this.errorSamples].map(([kind, messages]) => [kind, [...messages]]));
  }

  recordLateStart(): void {
    if (!this.frozen) this.lateStarts += 1;
  }

  freeze(): void {
    this.frozen = true;
  }

  get errorTotal(): number {
    let total = 0;
    for (const count of this.errorCounts.values()) total += count;
    return total;
  }

  counts(): RecorderCounts {
    return {
      sent: this.sent,
      completed: this.completed,
      errors: Object.fromEntries(this.errorCounts),
      in_flight: this.sent - this.completed,
      late_starts: this.lateStarts,
    };
  }
}
