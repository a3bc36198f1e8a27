import { classifyError, describeError, type CapturedOutcome, type RequestOutcome } from '../requestOutcome.js';
import type { PreparedRequest } from '../requests/requestIterator.js';
import type { KeptHeaders, ResponseHeaders, ResponseParser } from './responseParser.js';

/** Methods that may be sent again after a stale keep-alive connection dropped them (RFC 9110 section 9.2.2). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);
const NOT_ENCODED = Buffer.alloc(0);

/**
 * One request from its send until its outcome: its bytes, its deadline, and the verdict on its response.
 * The connection reading its response calls onHead, onBody, then complete; or fail or timeOut, once.
 */
export class PendingRequest {
  /** The request's bytes, one write; set by the pool's encoder. */
  wire: Buffer = NOT_ENCODED;
  /**
   * Written on a connection that had sat open: the server may have closed it unseen. A request sent
   * again goes first on a fresh connection, in its connect's turn, so it is never sent a third time.
   */
  sentOnReusedConnection = false;
  /** Whether the parser hands this request its body (flow steps) or only counts it. */
  readonly captures: boolean = false;
  /** The response headers the parser builds for this request: none unless it captures. */
  readonly keptHeaders: KeptHeaders | undefined = undefined;
  private status = 0;
  private ok = false;
  private reason = '';

  constructor(
    readonly request: PreparedRequest,
    /** performance.now() by which the whole response must be in. */
    readonly deadline: number,
    private readonly timedOut: RequestOutcome,
    private readonly resolve: (outcome: RequestOutcome) => void,
  ) {}

  get headRequest(): boolean {
    return this.request.method === 'HEAD';
  }

  get idempotent(): boolean {
    return IDEMPOTENT_METHODS.has(this.request.method);
  }

  /** The verdict is known from the status: the reason phrase is read only for a failure's message. */
  onHead(status: number, parser: ResponseParser): void {
    const { expect } = this.request;
    this.status = status;
    this.ok = expect ? expect.has(status) : status < 400;
    if (!this.ok) this.reason = parser.reasonPhrase();
  }

  onBody(_chunk: Buffer, _start: number, _end: number): void {}

  complete(bytes: number): void {
    const { status } = this;
    this.settle(this.ok ? { ok: true, status, bytes } : { ok: false, status, bytes, errorKind: `http_${status}`, errorMessage: `${status} ${this.reason}`.trim() });
  }

  /** `status` and `bytes`: what of the response had come (0 when none). */
  fail(error: Error, status: number, bytes: number): void {
    this.settle({ ok: false, status, bytes, errorKind: classifyError(error), errorMessage: describeError(error) });
  }

  timeOut(): void {
    this.settle(this.timedOut);
  }

  protected settle(outcome: RequestOutcome): void {
    this.resolve(outcome);
  }
}

const NO_HEADERS: ResponseHeaders = Object.freeze({});

/** A flow step's request: keeps the response's `keptHeaders` and the first `bodyLimit` bytes of its body. */
export class CapturingRequest extends PendingRequest {
  override readonly captures = true;
  private headers: ResponseHeaders | undefined;
  /** Made at the first kept piece: most flow steps keep no body (bodyLimit 0). */
  private chunks: Buffer[] | undefined;
  private kept = 0;
  private received = 0;

  constructor(
    request: PreparedRequest,
    deadline: number,
    timedOut: RequestOutcome,
    resolve: (outcome: CapturedOutcome) => void,
    private readonly bodyLimit: number,
    override readonly keptHeaders: KeptHeaders,
  ) {
    // Every outcome reaches `resolve` through `settle`, which this class overrides to add the capture.
    super(request, deadline, timedOut, resolve as (outcome: RequestOutcome) => void);
  }

  override onHead(status: number, parser: ResponseParser): void {
    super.onHead(status, parser);
    this.headers = parser.headers;
  }

  /** The parser's chunk is its read buffer, reused after this call: the kept part is copied. */
  override onBody(chunk: Buffer, start: number, end: number): void {
    this.received += end - start;
    const taken = Math.min(end - start, this.bodyLimit - this.kept);
    if (taken <= 0) return;
    (this.chunks ??= []).push(Buffer.copyBytesFrom(chunk, start, taken));
    this.kept += taken;
  }

  protected override settle(outcome: RequestOutcome): void {
    const { chunks } = this;
    const body = chunks === undefined ? '' : chunks.length === 1 ? chunks[0]!.toString('utf8') : Buffer.concat(chunks, this.kept).toString('utf8');
    this.chunks = undefined;
    // Written out rather than spread: a spread outcome cost 7 % of a one-step flow's CPU in a profile of HttpClient.
    const captured: CapturedOutcome = { ok: outcome.ok, status: outcome.status, bytes: outcome.bytes, errorKind: outcome.errorKind, errorMessage: outcome.errorMessage, headers: this.headers ?? NO_HEADERS, body, bodyTruncated: this.received > this.kept };
    super.settle(captured);
  }
}
