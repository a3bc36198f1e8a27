import type { CapturedOutcome } from '../requestOutcome.js';

/** The most bytes a response's head (status line and headers), or a chunked body's trailers, may take. */
export const MAX_HEAD_BYTES = 64 * 1024;
/** A chunk-size line with its extensions may take at most this many bytes. */
const MAX_CHUNK_LINE_BYTES = 4 * 1024;
/** 2^48 bytes: a larger chunk is a broken or hostile size line, and its arithmetic would lose precision. */
const MAX_CHUNK_SIZE_DIGITS = 12;
/** Beyond this a Content-Length is no safe integer. */
const MAX_CONTENT_LENGTH_DIGITS = 15;

const HT = 0x09;
const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const COMMA = 0x2c;
const COLON = 0x3a;
const SEMICOLON = 0x3b;
const DIGIT_0 = 0x30;
const DIGIT_9 = 0x39;

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');
const LF_LF = Buffer.from('\n\n', 'latin1');
const LF_CRLF = Buffer.from('\n\r\n', 'latin1');
const HTTP_1 = Buffer.from('HTTP/1.', 'latin1');
const CONTENT_LENGTH = Buffer.from('content-length', 'latin1');
const CONNECTION = Buffer.from('connection', 'latin1');
const TRANSFER_ENCODING = Buffer.from('transfer-encoding', 'latin1');
const KEEP_ALIVE = Buffer.from('keep-alive', 'latin1');
const CLOSE = Buffer.from('close', 'latin1');
const CHUNKED = Buffer.from('chunked', 'latin1');
const TIMEOUT_PARAMETER = Buffer.from('timeout=', 'latin1');
const EMPTY = Buffer.alloc(0);

/** RFC 9110 token characters: what a header name may hold. */
const TOKEN = new Uint8Array(256);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ") TOKEN[c.charCodeAt(0)] = 1;

/** A byte lower-cased as ASCII: letters only (`| 0x20` would also turn `^` into `~`, both token characters). */
const ASCII_LOWER = new Uint8Array(256);
for (let i = 0; i < 256; i++) ASCII_LOWER[i] = i >= 0x41 && i <= 0x5a ? i | 0x20 : i;

/** A hex digit's value, -1 for any other byte. */
const HEX_VALUE = new Int8Array(256).fill(-1);
for (let i = 0; i < 16; i++) {
  HEX_VALUE['0123456789abcdef'.charCodeAt(i)] = i;
  HEX_VALUE['0123456789ABCDEF'.charCodeAt(i)] = i;
}

const enum State {
  /** No response awaited: any byte is an error. */
  Idle,
  Head,
  BodyByLength,
  BodyUntilClose,
  ChunkSize,
  ChunkExtension,
  ChunkSizeLf,
  ChunkData,
  ChunkDataCr,
  ChunkDataLf,
  TrailerLineStart,
  TrailerLine,
  TrailersEndLf,
  Failed,
}

export type ResponseHeaders = CapturedOutcome['headers'];

/** Why a response could not be read; the code follows llhttp's (undici's parser), so classifyError calls it 'other'. */
export class ResponseParseError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ResponseParseError';
  }
}

/**
 * The headers a response keeps: every one, or those of the given names (a flow step's set-cookie and
 * header captures). Names are matched on the head's bytes, so a header not kept costs no string.
 */
export class KeptHeaders {
  /** For callers that do not know which headers they will read. */
  static readonly ALL = new KeptHeaders(undefined);

  /** Lower-case names, and their latin1 bytes to match; undefined for every header. */
  private readonly names: readonly string[] | undefined;
  private readonly nameBytes: readonly Buffer[];

  private constructor(names: readonly string[] | undefined) {
    this.names = names;
    this.nameBytes = (names ?? []).map((name) => Buffer.from(name, 'latin1'));
  }

  /** Names in any case, as a header capture writes them; repeats are kept once. */
  static named(names: Iterable<string>): KeptHeaders {
    return new KeptHeaders([...new Set([...names].map((name) => name.toLowerCase()))]);
  }

  /** The lower-case name under which header `head[start, end)` is kept; undefined when it is not. */
  nameOf(head: Buffer, start: number, end: number): string | undefined {
    const { names, nameBytes } = this;
    if (names === undefined) return head.toString('latin1', start, end).toLowerCase();
    for (let i = 0; i < nameBytes.length; i++) if (equalsAsciiLowerCase(head, start, end, nameBytes[i]!)) return names[i];
    return undefined;
  }
}

/**
 * What the parser reports, in order per response: head, body pieces, complete; or one parse error, after
 * which it reads nothing more.
 */
export interface ResponseListener {
  /** A final (non-1xx) head is in; `reasonPhrase()` may be called only during this call. */
  onResponseHead(status: number): void;
  /** Body bytes `chunk[start, end)` (decoded, for chunked): only when the response was awaited with `deliverBody`. The chunk is reused once this returns: copy what is kept. */
  onResponseBody(chunk: Buffer, start: number, end: number): void;
  /** The response is whole; the listener may await the next one (`expectResponse`) before this returns. */
  onResponseComplete(): void;
  onParseError(error: ResponseParseError): void;
}

/**
 * An incremental HTTP/1.1 response parser fed a connection's bytes in pieces of any size. It builds
 * nothing per response that was not asked for: no header object unless `keptHeaders`, no string of a
 * header it does not keep, no reason phrase unless the listener asks, no body copy (bytes are counted,
 * and handed on only with `deliverBody`).
 */
export class ResponseParser {
  /** The awaited response's status once its final head is in; 0 before. */
  status = 0;
  /** Body bytes of the awaited response so far (the decoded length of a chunked body). */
  bodyBytes = 0;
  /** Whether the connection may carry another request after this response; known once the final head is in. */
  keepAlive = true;
  /** The server's `Keep-Alive: timeout=N` in ms, -1 when it gave none. */
  keepAliveHintMs = -1;
  /** Some byte of the awaited response (an interim 1xx included) has arrived. */
  responseStarted = false;
  /** The final head's headers that `keptHeaders` names: lower-cased names, repeated ones as arrays; only when awaited with `keptHeaders`. */
  headers: ResponseHeaders | undefined;

  private state = State.Idle;
  private headRequest = false;
  private keptHeaders: KeptHeaders | undefined;
  private deliverBody = false;
  /** Body bytes left: of the Content-Length, or of the current chunk. */
  private remaining = 0;
  private chunkSizeDigits = 0;
  /** Bytes of the current chunk-size line, or of all trailers so far. */
  private lineBytes = 0;
  /** The start of a head split across reads, copied (the read buffer is reused). */
  private partialHead: Buffer | undefined;
  private partialHeadLength = 0;
  /** Where the status line's reason phrase lies, valid during onResponseHead only. */
  private headBuffer: Buffer = EMPTY;
  private reasonStart = 0;
  private reasonEnd = 0;
  /** What the final head's headers say of the body and the connection (fields, not an object per response). */
  private contentLength = -1;
  private transferEncoding = false;
  private chunked = false;
  private connectionClose = false;
  private connectionKeepAlive = false;

  constructor(private readonly listener: ResponseListener) {}

  /** Awaits the next response: of a HEAD request (no body), with the `keptHeaders` (none when undefined) and/or its body handed on or not. */
  expectResponse(headRequest: boolean, keptHeaders: KeptHeaders | undefined, deliverBody: boolean): void {
    if (this.state !== State.Idle) throw new Error(`expectResponse while a response is still being read (parser state ${this.state})`);
    this.state = State.Head;
    this.headRequest = headRequest;
    this.keptHeaders = keptHeaders;
    this.deliverBody = deliverBody;
    this.status = 0;
    this.bodyBytes = 0;
    this.responseStarted = false;
  }

  feed(chunk: Buffer): void {
    const end = chunk.length;
    let offset = 0;
    while (offset < end) {
      switch (this.state) {
        case State.Head:
          this.responseStarted = true;
          offset = this.readHead(chunk, offset);
          break;
        case State.BodyByLength:
        case State.ChunkData:
          offset = this.readCountedBody(chunk, offset);
          break;
        case State.BodyUntilClose:
          this.takeBody(chunk, offset, end);
          offset = end;
          break;
        case State.ChunkExtension:
        case State.TrailerLine:
          offset = this.skipLine(chunk, offset);
          break;
        case State.Idle:
          this.fail('HPE_UNEXPECTED_DATA', `${end - offset} bytes arrived with no request awaiting a response`);
          return;
        case State.Failed:
          return;
        default:
          this.readFramingByte(chunk[offset]!);
          offset++;
      }
    }
  }

  /** The peer closed the connection: that ends a body delimited by the close. Returns whether a response completed so. */
  endOfInput(): boolean {
    if (this.state !== State.BodyUntilClose) return false;
    this.complete();
    return true;
  }

  /** The final status line's reason phrase ("Not Found"); only during onResponseHead. */
  reasonPhrase(): string {
    return this.headBuffer.toString('latin1', this.reasonStart, this.reasonEnd);
  }

  private readHead(chunk: Buffer, offset: number): number {
    if (this.partialHead !== undefined) return this.readSplitHead(chunk, offset);
    const headEnd = findHeadEnd(chunk, offset, offset);
    if (headEnd === -1) {
      if (!startsLikeStatusLine(chunk, offset)) return this.notAStatusLine(chunk, offset, chunk.length);
      this.keepPartialHead(chunk, offset);
      return chunk.length;
    }
    if (headEnd - offset > MAX_HEAD_BYTES) return this.headTooLarge(chunk.length);
    this.parseHead(chunk, offset, headEnd);
    return headEnd;
  }

  private keepPartialHead(chunk: Buffer, offset: number): void {
    const length = chunk.length - offset;
    if (length >= MAX_HEAD_BYTES) {
      this.headTooLarge(0);
      return;
    }
    this.partialHead = Buffer.allocUnsafe(Math.min(MAX_HEAD_BYTES, Math.max(1024, 2 * length)));
    chunk.copy(this.partialHead, 0, offset);
    this.partialHeadLength = length;
  }

  /** Appends the next read to the kept head, copying no more than the head may still take, and searches only the new part. */
  private readSplitHead(chunk: Buffer, offset: number): number {
    const before = this.partialHeadLength;
    const taken = Math.min(chunk.length - offset, MAX_HEAD_BYTES - before);
    const length = before + taken;
    let partial = this.partialHead!;
    if (partial.length < length) {
      const grown = Buffer.allocUnsafe(Math.min(MAX_HEAD_BYTES, Math.max(length, 2 * partial.length)));
      partial.copy(grown, 0, 0, before);
      partial = this.partialHead = grown;
    }
    chunk.copy(partial, before, offset, offset + taken);
    this.partialHeadLength = length;
    const joined = partial.subarray(0, length);
    const headEnd = findHeadEnd(joined, 0, Math.max(0, before - 3));
    if (headEnd === -1) {
      if (!startsLikeStatusLine(joined, 0)) return this.notAStatusLine(joined, 0, chunk.length);
      return length >= MAX_HEAD_BYTES ? this.headTooLarge(chunk.length) : offset + taken;
    }
    this.partialHead = undefined;
    this.parseHead(joined, 0, headEnd);
    return offset + (headEnd - before);
  }

  private notAStatusLine(bytes: Buffer, start: number, resumeAt: number): number {
    this.fail('HPE_INVALID_CONSTANT', `the response does not start with HTTP/1.x: ${excerpt(bytes, start, bytes.length)}`);
    return resumeAt;
  }

  private headTooLarge(resumeAt: number): number {
    this.fail('HPE_HEADER_OVERFLOW', `the response head is longer than ${MAX_HEAD_BYTES} bytes`);
    return resumeAt;
  }

  /** `head[start, headEnd)` holds the status line and headers up to and with the empty line. */
  private parseHead(head: Buffer, start: number, headEnd: number): void {
    const statusLineEnd = this.parseStatusLine(head, start);
    if (statusLineEnd === -1) return;
    const status = parseStatus(head, start);
    if (status < 200) {
      // An interim response (100 Continue, 103 Early Hints): skipped, the final one follows.
      if (status === 101) this.fail('HPE_UNEXPECTED_UPGRADE', 'the server switched protocols (101) though no upgrade was asked for');
      return;
    }
    if (!this.parseHeaderLines(head, statusLineEnd + 1, headEnd)) return;
    this.status = status;
    this.headBuffer = head;
    this.listener.onResponseHead(status);
    this.headBuffer = EMPTY;
    this.headers = undefined;
    this.startBody(status);
  }

  /** Checks `HTTP/1.x NNN` and notes the reason phrase; returns the index of the line's LF, -1 when malformed. */
  private parseStatusLine(head: Buffer, start: number): number {
    let lineEnd = start;
    while (head[lineEnd] !== LF) lineEnd++;
    const valid =
      lineEnd - start >= 12 &&
      matchesAt(head, start, HTTP_1) &&
      isDigit(head[start + 7]!) &&
      head[start + 8] === SP &&
      head[start + 9]! > DIGIT_0 &&
      isDigit(head[start + 9]!) &&
      isDigit(head[start + 10]!) &&
      isDigit(head[start + 11]!) &&
      (head[start + 12] === SP || start + 12 >= lineEnd - 1);
    if (!valid) {
      this.fail('HPE_INVALID_CONSTANT', `invalid status line ${excerpt(head, start, lineEnd)}`);
      return -1;
    }
    this.reasonStart = Math.min(start + 13, lineEnd);
    this.reasonEnd = Math.max(this.reasonStart, head[lineEnd - 1] === CR ? lineEnd - 1 : lineEnd);
    this.keepAlive = head[start + 7] !== DIGIT_0;
    return lineEnd;
  }

  /**
   * Reads only the headers that frame the body and the connection (and those kept, when some are).
   * Returns false after reporting a malformed line.
   */
  private parseHeaderLines(head: Buffer, start: number, headEnd: number): boolean {
    this.contentLength = -1;
    this.transferEncoding = false;
    this.chunked = false;
    this.connectionClose = false;
    this.connectionKeepAlive = false;
    this.keepAliveHintMs = -1;
    const kept = this.keptHeaders;
    this.headers = kept === undefined ? undefined : {};
    let lineStart = start;
    while (lineStart < headEnd && !isEmptyLine(head, lineStart)) {
      let nameEnd = lineStart;
      while (TOKEN[head[nameEnd]!] === 1) nameEnd++;
      let lineEnd = nameEnd;
      while (head[lineEnd] !== LF) lineEnd++;
      if (nameEnd === lineStart || head[nameEnd] !== COLON) {
        this.fail('HPE_INVALID_HEADER_TOKEN', `invalid header line ${excerpt(head, lineStart, lineEnd)}`);
        return false;
      }
      let valueStart = nameEnd + 1;
      while (head[valueStart] === SP || head[valueStart] === HT) valueStart++;
      let valueEnd = lineEnd;
      while (valueEnd > valueStart && isWhitespace(head[valueEnd - 1]!)) valueEnd--;
      if (!this.readFramingHeader(head, lineStart, nameEnd, valueStart, valueEnd)) return false;
      if (kept !== undefined) keepHeader(this.headers!, kept, head, lineStart, nameEnd, valueStart, valueEnd);
      lineStart = lineEnd + 1;
    }
    return true;
  }

  /** Notes Content-Length, Transfer-Encoding, Connection and Keep-Alive; false after reporting a bad Content-Length. */
  private readFramingHeader(head: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): boolean {
    const nameLength = nameEnd - nameStart;
    if (nameLength === CONTENT_LENGTH.length && equalsLowerCase(head, nameStart, nameEnd, CONTENT_LENGTH)) {
      const length = parseDigits(head, valueStart, valueEnd);
      if (length === -1 || (this.contentLength !== -1 && this.contentLength !== length)) {
        this.fail('HPE_INVALID_CONTENT_LENGTH', `invalid Content-Length ${excerpt(head, valueStart, valueEnd)}`);
        return false;
      }
      this.contentLength = length;
    } else if (nameLength === CONNECTION.length && equalsLowerCase(head, nameStart, nameEnd, CONNECTION)) {
      this.connectionClose ||= hasListElement(head, valueStart, valueEnd, CLOSE);
      this.connectionKeepAlive ||= hasListElement(head, valueStart, valueEnd, KEEP_ALIVE);
    } else if (nameLength === TRANSFER_ENCODING.length && equalsLowerCase(head, nameStart, nameEnd, TRANSFER_ENCODING)) {
      this.transferEncoding = true;
      // The last coding decides: chunked frames the body, any other leaves it to the close.
      this.chunked = lastListElementIs(head, valueStart, valueEnd, CHUNKED);
    } else if (nameLength === KEEP_ALIVE.length && equalsLowerCase(head, nameStart, nameEnd, KEEP_ALIVE)) {
      this.keepAliveHintMs = keepAliveTimeoutMs(head, valueStart, valueEnd);
    }
    return true;
  }

  /** RFC 9112 section 6.3, as a client reads it. */
  private startBody(status: number): void {
    // HTTP/1.0 keeps the connection only when asked to; 1.1 unless told to close.
    this.keepAlive = !this.connectionClose && (this.keepAlive || this.connectionKeepAlive);
    if (this.headRequest || status === 204 || status === 304) return this.complete();
    if (this.transferEncoding) {
      // With both framings a middlebox may have read it the other way: never reuse the connection.
      if (this.contentLength !== -1) this.keepAlive = false;
      if (this.chunked) return this.startChunkSize();
      this.keepAlive = false;
      this.state = State.BodyUntilClose;
      return;
    }
    if (this.contentLength === 0) return this.complete();
    if (this.contentLength > 0) {
      this.remaining = this.contentLength;
      this.state = State.BodyByLength;
      return;
    }
    this.keepAlive = false;
    this.state = State.BodyUntilClose;
  }

  private readCountedBody(chunk: Buffer, offset: number): number {
    const end = Math.min(chunk.length, offset + this.remaining);
    this.takeBody(chunk, offset, end);
    this.remaining -= end - offset;
    if (this.remaining === 0) {
      if (this.state === State.ChunkData) this.state = State.ChunkDataCr;
      else this.complete();
    }
    return end;
  }

  private takeBody(chunk: Buffer, start: number, end: number): void {
    this.bodyBytes += end - start;
    if (this.deliverBody) this.listener.onResponseBody(chunk, start, end);
  }

  /** Chunk extensions and trailer lines are skipped, not parsed: only their length is checked. */
  private skipLine(chunk: Buffer, offset: number): number {
    const lf = chunk.indexOf(LF, offset);
    const lineEnd = lf === -1 ? chunk.length : lf;
    this.lineBytes += lineEnd - offset;
    const inExtension = this.state === State.ChunkExtension;
    if (this.lineBytes > (inExtension ? MAX_CHUNK_LINE_BYTES : MAX_HEAD_BYTES)) {
      this.fail('HPE_HEADER_OVERFLOW', inExtension ? `a chunk-size line is longer than ${MAX_CHUNK_LINE_BYTES} bytes` : `the trailers are longer than ${MAX_HEAD_BYTES} bytes`);
      return chunk.length;
    }
    if (lf === -1) return chunk.length;
    if (inExtension) this.endChunkSizeLine();
    else this.state = State.TrailerLineStart;
    return lf + 1;
  }

  /** The bytes of chunked framing between data: sizes, their line ends, and the trailers' line starts. */
  private readFramingByte(byte: number): void {
    switch (this.state) {
      case State.ChunkSize:
        return this.readChunkSizeByte(byte);
      case State.ChunkSizeLf:
        return byte === LF ? this.endChunkSizeLine() : this.failChunk(byte, 'after a chunk size');
      case State.ChunkDataCr:
        if (byte === CR) this.state = State.ChunkDataLf;
        else if (byte === LF) this.startChunkSize();
        else this.failChunk(byte, 'after chunk data');
        return;
      case State.ChunkDataLf:
        return byte === LF ? this.startChunkSize() : this.failChunk(byte, 'after chunk data');
      case State.TrailerLineStart:
        if (byte === CR) this.state = State.TrailersEndLf;
        else if (byte === LF) this.complete();
        else {
          this.lineBytes++;
          this.state = State.TrailerLine;
        }
        return;
      case State.TrailersEndLf:
        return byte === LF ? this.complete() : this.failChunk(byte, 'ending the trailers');
    }
  }

  private readChunkSizeByte(byte: number): void {
    const digit = HEX_VALUE[byte]!;
    if (digit !== -1) {
      if (++this.chunkSizeDigits > MAX_CHUNK_SIZE_DIGITS) return this.fail('HPE_INVALID_CHUNK_SIZE', `a chunk size has more than ${MAX_CHUNK_SIZE_DIGITS} hex digits`);
      this.remaining = this.remaining * 16 + digit;
      return;
    }
    if (this.chunkSizeDigits === 0) return this.failChunk(byte, 'where a chunk size was due');
    if (byte === CR) this.state = State.ChunkSizeLf;
    else if (byte === LF) this.endChunkSizeLine();
    else if (byte === SEMICOLON || byte === SP || byte === HT) this.state = State.ChunkExtension;
    else this.failChunk(byte, 'in a chunk size');
  }

  private startChunkSize(): void {
    this.state = State.ChunkSize;
    this.remaining = 0;
    this.chunkSizeDigits = 0;
    this.lineBytes = 0;
  }

  /** A zero size is the last chunk: trailers (usually none) follow. */
  private endChunkSizeLine(): void {
    this.lineBytes = 0;
    this.state = this.remaining === 0 ? State.TrailerLineStart : State.ChunkData;
  }

  private failChunk(byte: number, where: string): void {
    this.fail('HPE_INVALID_CHUNK_SIZE', `unexpected byte 0x${byte.toString(16).padStart(2, '0')} ${where} in a chunked body`);
  }

  private complete(): void {
    this.state = State.Idle;
    this.listener.onResponseComplete();
  }

  private fail(code: string, message: string): void {
    this.state = State.Failed;
    this.partialHead = undefined;
    this.headers = undefined;
    this.listener.onParseError(new ResponseParseError(code, message));
  }
}

/**
 * The index just past the empty line that ends a head starting at `start`, or -1 when it has not all
 * arrived. One native search: for `\r\n\r\n`, or when the status line ends in a bare LF, for `\n\n` and `\n\r\n`.
 * `searchFrom` skips what an earlier call already searched.
 */
export function findHeadEnd(buffer: Buffer, start: number, searchFrom: number): number {
  const statusLineEnd = buffer.indexOf(LF, start);
  if (statusLineEnd === -1) return -1;
  if (statusLineEnd > start && buffer[statusLineEnd - 1] === CR) {
    const at = buffer.indexOf(CRLF_CRLF, Math.max(searchFrom, statusLineEnd - 1));
    return at === -1 ? -1 : at + CRLF_CRLF.length;
  }
  const from = Math.max(searchFrom, statusLineEnd);
  const bare = buffer.indexOf(LF_LF, from);
  const mixed = buffer.indexOf(LF_CRLF, from);
  if (mixed !== -1 && (bare === -1 || mixed < bare)) return mixed + LF_CRLF.length;
  return bare === -1 ? -1 : bare + LF_LF.length;
}

/** Junk is refused at once rather than waited on until the head limit: the bytes so far must begin `HTTP/1.`. */
function startsLikeStatusLine(buffer: Buffer, start: number): boolean {
  const length = Math.min(HTTP_1.length, buffer.length - start);
  for (let i = 0; i < length; i++) if (buffer[start + i] !== HTTP_1[i]) return false;
  return true;
}

function parseStatus(head: Buffer, start: number): number {
  return (head[start + 9]! - DIGIT_0) * 100 + (head[start + 10]! - DIGIT_0) * 10 + (head[start + 11]! - DIGIT_0);
}

function isDigit(byte: number): boolean {
  return byte >= DIGIT_0 && byte <= DIGIT_9;
}

function isWhitespace(byte: number): boolean {
  return byte === SP || byte === HT || byte === CR;
}

function isEmptyLine(head: Buffer, lineStart: number): boolean {
  return head[lineStart] === LF || (head[lineStart] === CR && head[lineStart + 1] === LF);
}

function matchesAt(buffer: Buffer, at: number, bytes: Buffer): boolean {
  for (let i = 0; i < bytes.length; i++) if (buffer[at + i] !== bytes[i]) return false;
  return true;
}

/** Case-insensitive against a lower-case name: `| 0x20` lowers letters and leaves `-` and digits as they are. */
function equalsLowerCase(buffer: Buffer, start: number, end: number, lower: Buffer): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if ((buffer[start + i]! | 0x20) !== lower[i]) return false;
  return true;
}

/** As equalsLowerCase, for any token: exactly what `toLowerCase()` of the name would compare. */
function equalsAsciiLowerCase(buffer: Buffer, start: number, end: number, lower: Buffer): boolean {
  if (end - start !== lower.length) return false;
  for (let i = 0; i < lower.length; i++) if (ASCII_LOWER[buffer[start + i]!] !== lower[i]) return false;
  return true;
}

/** Digits only (a Content-Length has no sign, and "5, 5" is refused as llhttp does); -1 when invalid. */
function parseDigits(buffer: Buffer, start: number, end: number): number {
  if (end === start || end - start > MAX_CONTENT_LENGTH_DIGITS) return -1;
  let value = 0;
  for (let i = start; i < end; i++) {
    const byte = buffer[i]!;
    if (!isDigit(byte)) return -1;
    value = value * 10 + byte - DIGIT_0;
  }
  return value;
}

/** Where the comma-separated list element starting at `from` ends: at its comma or at `end`. */
function listElementEnd(buffer: Buffer, from: number, end: number): number {
  let i = from;
  while (i < end && buffer[i] !== COMMA) i++;
  return i;
}

function skipWhitespace(buffer: Buffer, from: number, end: number): number {
  while (from < end && isWhitespace(buffer[from]!)) from++;
  return from;
}

function trimWhitespace(buffer: Buffer, start: number, end: number): number {
  while (end > start && isWhitespace(buffer[end - 1]!)) end--;
  return end;
}

/** Whether a header value's comma-separated list holds `lower` (case-insensitively). */
function hasListElement(buffer: Buffer, start: number, end: number, lower: Buffer): boolean {
  for (let from = start; from < end; ) {
    const elementEnd = listElementEnd(buffer, from, end);
    const a = skipWhitespace(buffer, from, elementEnd);
    if (equalsLowerCase(buffer, a, trimWhitespace(buffer, a, elementEnd), lower)) return true;
    from = elementEnd + 1;
  }
  return false;
}

function lastListElementIs(buffer: Buffer, start: number, end: number, lower: Buffer): boolean {
  let from = end;
  while (from > start && buffer[from - 1] !== COMMA) from--;
  const a = skipWhitespace(buffer, from, end);
  return equalsLowerCase(buffer, a, trimWhitespace(buffer, a, end), lower);
}

/** `Keep-Alive: timeout=5, max=100` → 5000; -1 without a timeout. */
function keepAliveTimeoutMs(buffer: Buffer, start: number, end: number): number {
  for (let from = start; from < end; ) {
    const elementEnd = listElementEnd(buffer, from, end);
    const a = skipWhitespace(buffer, from, elementEnd);
    const digitsStart = a + TIMEOUT_PARAMETER.length;
    if (digitsStart < elementEnd && equalsLowerCase(buffer, a, digitsStart, TIMEOUT_PARAMETER)) {
      const seconds = parseDigits(buffer, digitsStart, trimWhitespace(buffer, digitsStart, elementEnd));
      if (seconds !== -1) return seconds * 1000;
    }
    from = elementEnd + 1;
  }
  return -1;
}

/** As undici builds them: latin1 values, a repeated name becomes an array, `__proto__` an own property. */
function keepHeader(headers: ResponseHeaders, kept: KeptHeaders, head: Buffer, nameStart: number, nameEnd: number, valueStart: number, valueEnd: number): void {
  const name = kept.nameOf(head, nameStart, nameEnd);
  if (name === undefined) return;
  const value = head.toString('latin1', valueStart, valueEnd);
  if (!Object.hasOwn(headers, name)) {
    Object.defineProperty(headers, name, { value, enumerable: true, writable: true, configurable: true });
    return;
  }
  const existing = headers[name];
  if (Array.isArray(existing)) existing.push(value);
  else headers[name] = [existing!, value];
}

/** A line quoted for an error message, cut short. */
function excerpt(buffer: Buffer, start: number, end: number): string {
  const text = buffer.toString('latin1', start, Math.min(end, start + 60)).replace(/\r$/, '');
  return JSON.stringify(end - start > 60 ? `${text}…` : text);
}
