import { addCounts, bucketsOf, createLatencyHistogram, recordMicros, type BucketCounts, type LatencyHistogram } from '../stats/latencyHistogram.js';
import { ERROR_SAMPLE_LIMITS } from '../protocol/errorSampleLimits.js';
import type { ErrorKind } from './requestOutcome.js';
import { StartSeconds } from './startSeconds.js';
import type { StartSecond } from '../protocol/index.js';

export type RecorderCounts = {
  sent: number;
  completed: number;
  errors: Record<string, number>;
  in_flight: number;
  late_starts: number;
};

/** Per error kind, its first few distinct messages. */
export type ErrorSamples = Record<string, string[]>;

/** What one request name (or the whole test) has received. */
export type ResponseCounts = { sent: number; completed: number; errors: Record<string, number>; status_counts: Record<string, number>; bytes_received: number };

/** One scope's figures as plain data: what a load worker posts to the driver's main thread. */
export type TallySnapshot = { sent: number; completed: number; bytes: number; errors: [ErrorKind, number][]; statuses: Float64Array; latency: BucketCounts };

/** A recorder's figures so far, structured-clone friendly; `Recorder.add` sums several of them. */
export type RecorderSnapshot = {
  overall: TallySnapshot;
  service: BucketCounts;
  perRequest: TallySnapshot[] | undefined;
  lateStarts: number;
  errorSamples: [ErrorKind, string[]][];
  /** the seconds changed since the snapshot before (StartSeconds.takeChanged) */
  seconds: StartSecond[];
};

/** Statuses are 100..599: an array indexed by status counts them without hashing. */
const STATUS_SLOTS = 600;

/** Counters of one scope (the test, or one request name): a few field updates per request. */
class ResponseTally {
  sent = 0;
  completed = 0;
  bytes = 0;
  readonly errors = new Map<ErrorKind, number>();
  private readonly statuses = new Float64Array(STATUS_SLOTS);

  constructor(readonly latency: LatencyHistogram) {}

  answered(status: number, bytes: number): void {
    this.completed += 1;
    this.bytes += bytes;
    if (status > 0 && status < STATUS_SLOTS) this.statuses[status]! += 1;
  }

  failed(kind: ErrorKind): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  snapshot(): TallySnapshot {
    return { sent: this.sent, completed: this.completed, bytes: this.bytes, errors: [...this.errors], statuses: this.statuses.slice(), latency: bucketsOf(this.latency) };
  }

  add(other: TallySnapshot): void {
    this.sent += other.sent;
    this.completed += other.completed;
    this.bytes += other.bytes;
    for (const [kind, count] of other.errors) this.errors.set(kind, (this.errors.get(kind) ?? 0) + count);
    for (let status = 0; status < STATUS_SLOTS; status++) this.statuses[status]! += other.statuses[status] ?? 0;
    addBuckets(this.latency, other.latency);
  }

  counts(): ResponseCounts {
    const status_counts: Record<string, number> = {};
    this.statuses.forEach((count, status) => {
      if (count > 0) status_counts[String(status)] = count;
    });
    return { sent: this.sent, completed: this.completed, errors: Object.fromEntries(this.errors), status_counts, bytes_received: this.bytes };
  }
}

/** One request name's figures, for the report's `requests_stats`. */
export type RequestTallyView = ResponseCounts & { name: string; latency: LatencyHistogram };

/**
 * Histograms and counters of one test, overall and per request name. Called once or twice per request, so
 * every method is a few field updates. With one request the overall figures are that request's and
 * nothing is recorded twice. Once frozen (the final report is taken) later results are ignored, so the
 * final report stays the last word even if a straggler settles afterwards.
 */
export class Recorder {
  /** Latency from the intended start (corrected for coordinated omission), µs. */
  readonly latency: LatencyHistogram = createLatencyHistogram();
  /** Service time from the actual send, µs. */
  readonly service: LatencyHistogram = createLatencyHistogram();
  private readonly overall = new ResponseTally(this.latency);
  /** Per request index; undefined with a single request. */
  private readonly perRequest: ResponseTally[] | undefined;
  private lateStarts = 0;
  private readonly errorSamples = new Map<ErrorKind, string[]>();
  private frozen = false;

  /** `seconds`: where the figures by intended start go; load workers' merged recorders share one (WorkerLoad). */
  constructor(
    private readonly requestNames: readonly string[] = [],
    readonly seconds = new StartSeconds(),
  ) {
    this.perRequest = requestNames.length > 1 ? requestNames.map(() => new ResponseTally(createLatencyHistogram())) : undefined;
  }

  /** `second`: the second of the schedule the request was due to start in; -1 when it has none. */
  recordSent(request = 0, second = -1): void {
    if (this.frozen) return;
    this.overall.sent += 1;
    if (second >= 0) this.seconds.started(second);
    if (this.perRequest) this.perRequest[request]!.sent += 1;
  }

  recordSuccess(latencyMicros: number, serviceMicros: number, status = 200, bytes = 0, request = 0, second = -1): void {
    if (this.frozen) return;
    this.overall.answered(status, bytes);
    if (second >= 0) this.seconds.answered(second, latencyMicros);
    recordMicros(this.latency, latencyMicros);
    recordMicros(this.service, serviceMicros);
    const own = this.perRequest?.[request];
    if (own) {
      own.answered(status, bytes);
      recordMicros(own.latency, latencyMicros);
    }
  }

  /** `status` 0: no response came. */
  recordError(kind: ErrorKind, message?: string, status = 0, bytes = 0, request = 0, second = -1): void {
    if (this.frozen) return;
    this.overall.answered(status, bytes);
    if (second >= 0) this.seconds.failed(second);
    this.overall.failed(kind);
    const own = this.perRequest?.[request];
    if (own) {
      own.answered(status, bytes);
      own.failed(kind);
    }
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

  /** The figures so far as plain data, to be summed into another recorder (`add`). */
  snapshot(): RecorderSnapshot {
    return {
      overall: this.overall.snapshot(),
      service: bucketsOf(this.service),
      perRequest: this.perRequest?.map((tally) => tally.snapshot()),
      lateStarts: this.lateStarts,
      errorSamples: [...this.errorSamples].map(([kind, messages]) => [kind, [...messages]]),
      seconds: this.seconds.takeChanged(),
    };
  }

  /** Sums a load worker's figures into these: same request names, so the same per-request layout. Its seconds are WorkerLoad's to merge. */
  add(other: RecorderSnapshot): void {
    if (this.frozen) return;
    this.overall.add(other.overall);
    addBuckets(this.service, other.service);
    other.perRequest?.forEach((tally, index) => this.perRequest?.[index]?.add(tally));
    this.lateStarts += other.lateStarts;
    for (const [kind, messages] of other.errorSamples) for (const message of messages) this.sampleError(kind, message);
  }

  recordLateStart(): void {
    if (!this.frozen) this.lateStarts += 1;
  }

  freeze(): void {
    this.frozen = true;
  }

  get errorTotal(): number {
    let total = 0;
    for (const count of this.overall.errors.values()) total += count;
    return total;
  }

  counts(): RecorderCounts {
    const { sent, completed } = this.overall;
    return { sent, completed, errors: Object.fromEntries(this.overall.errors), in_flight: sent - completed, late_starts: this.lateStarts };
  }

  /** Status counts and bytes of the whole test. */
  responses(): Pick<ResponseCounts, 'status_counts' | 'bytes_received'> {
    const { status_counts, bytes_received } = this.overall.counts();
    return { status_counts, bytes_received };
  }

  /** Per request name; empty when the test named no requests. */
  perRequestFigures(): RequestTallyView[] {
    if (!this.perRequest) return this.requestNames.map((name) => ({ name, ...this.overall.counts(), latency: this.latency }));
    return this.perRequest.map((tally, index) => ({ name: this.requestNames[index]!, ...tally.counts(), latency: tally.latency }));
  }
}

function addBuckets(histogram: LatencyHistogram, buckets: BucketCounts): void {
  if (buckets.total === 0) return;
  addCounts(histogram, buckets, 1);
  histogram.establishInternalTackingValues();
}
