import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { KeptHeaders, MAX_HEAD_BYTES, ResponseParser, type ResponseHeaders, type ResponseListener, type ResponseParseError } from '../../../src/driver/http1/responseParser.js';

/** How one response is awaited: what its request was and what the parser should hand on. */
type Awaited = { head?: boolean; keptHeaders?: KeptHeaders; deliverBody?: boolean };

type Parsed = { status: number; reason: string; headers: ResponseHeaders | undefined; body: Buffer; bytes: number; keepAlive: boolean };

type ParseResult = {
  responses: Parsed[];
  error: ResponseParseError | undefined;
  /** A response had begun and was not whole when the input ended. */
  cutShort: boolean;
};

/** Awaits each response of `awaited` in turn, as a connection does when it has that many requests in flight. */
class RecordingListener implements ResponseListener {
  readonly responses: Parsed[] = [];
  error: ResponseParseError | undefined;
  readonly parser = new ResponseParser(this);
  private current: Parsed | undefined;
  private chunks: Buffer[] = [];
  private next = 0;

  constructor(private readonly awaited: readonly Awaited[]) {
    this.awaitNext();
  }

  onResponseHead(status: number): void {
    this.current = { status, reason: this.parser.reasonPhrase(), headers: this.parser.headers, body: Buffer.alloc(0), bytes: 0, keepAlive: this.parser.keepAlive };
  }

  onResponseBody(chunk: Buffer, start: number, end: number): void {
    this.chunks.push(Buffer.from(chunk.subarray(start, end)));
  }

  onResponseComplete(): void {
    const response = this.current!;
    response.body = Buffer.concat(this.chunks);
    response.bytes = this.parser.bodyBytes;
    response.keepAlive = this.parser.keepAlive;
    this.responses.push(response);
    this.chunks = [];
    this.current = undefined;
    this.awaitNext();
  }

  onParseError(error: ResponseParseError): void {
    assert.equal(this.error, undefined, 'a second parse error was reported');
    this.error = error;
  }

  private awaitNext(): void {
    const awaited = this.awaited[this.next++];
    if (awaited) this.parser.expectResponse(awaited.head ?? false, awaited.keptHeaders, awaited.deliverBody ?? true);
  }
}

/** Feeds `pieces` as the socket's reads, each in a fresh buffer overwritten after the call (as the shared read buffer is). */
function parse(pieces: readonly Buffer[], awaited: readonly Awaited[] = [{}], { closeAtEnd = false } = {}): ParseResult {
  const listener = new RecordingListener(awaited);
  const { parser } = listener;
  for (const piece of pieces) {
    const reused = Buffer.from(piece);
    parser.feed(reused);
    reused.fill(0x7e);
  }
  if (closeAtEnd) parser.endOfInput();
  const cutShort = listener.error === undefined && listener.responses.length < awaited.length && parser.responseStarted;
  return { responses: listener.responses, error: listener.error, cutShort };
}

function text(...lines: string[]): Buffer {
  return Buffer.from(lines.join(''), 'latin1');
}

/** `bytes` cut at the given offsets (any order, repeats allowed). */
function splitAt(bytes: Buffer, cuts: readonly number[]): Buffer[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let from = 0;
  for (const point of [...points, bytes.length]) {
    pieces.push(bytes.subarray(from, point));
    from = point;
  }
  return pieces.filter((p) => p.length > 0);
}

describe('ResponseParser', () => {
  it('reads a Content-Length response: status, reason on demand, body bytes, keep-alive', () => {
    const { responses, error } = parse([text('HTTP/1.1 200 OK\r\nServer: nginx\r\nContent-Length: 5\r\n\r\nhello')]);
    assert.equal(error, undefined);
    assert.deepEqual(responses, [{ status: 200, reason: 'OK', headers: undefined, body: Buffer.from('hello'), bytes: 5, keepAlive: true }]);
  });

  it('builds headers only when asked: lower-cased names, repeated ones as arrays, values trimmed', () => {
    const head = text('HTTP/1.1 201 Created\r\nSet-Cookie: a=1; Path=/\r\nX-Id:  r-42 \t\r\nset-cookie: b=2\r\nContent-Length: 0\r\n__proto__: x\r\n\r\n');
    const captured = parse([head], [{ keptHeaders: KeptHeaders.ALL }]).responses[0]!;
    assert.deepEqual({ ...captured.headers }, { 'set-cookie': ['a=1; Path=/', 'b=2'], 'x-id': 'r-42', 'content-length': '0', ['__proto__']: 'x' });
    assert.equal(Object.getPrototypeOf(captured.headers), Object.prototype);
    assert.equal(parse([head]).responses[0]!.headers, undefined);
  });

  it('keeps only the named headers, in any case, repeated ones as arrays, and still frames by the others', () => {
    const head = text('HTTP/1.1 200 OK\r\nSET-COOKIE: a=1\r\nX-Request-Id: r-1\r\nContent-Length: 2\r\nset-Cookie: b=2\r\nX-Request-Ids: no\r\n\r\nok');
    const kept = KeptHeaders.named(['Set-Cookie', 'x-request-ID', 'x-missing']);
    const { responses, error } = parse([head, text('HTTP/1.1 204 No Content\r\nSet-Cookie: c=3\r\n\r\n')], [{ keptHeaders: kept }, { keptHeaders: KeptHeaders.named([]) }]);
    assert.equal(error, undefined);
    assert.deepEqual({ ...responses[0]!.headers }, { 'set-cookie': ['a=1', 'b=2'], 'x-request-id': 'r-1' });
    assert.equal(responses[0]!.body.toString(), 'ok');
    assert.deepEqual({ ...responses[1]!.headers }, {});
  });

  it('matches kept names as toLowerCase() would: ^ is not ~', () => {
    const head = text('HTTP/1.1 200 OK\r\nX^A: caret\r\nX~A: tilde\r\nContent-Length: 0\r\n\r\n');
    assert.deepEqual({ ...parse([head], [{ keptHeaders: KeptHeaders.named(['x~a']) }]).responses[0]!.headers }, { 'x~a': 'tilde' });
  });

  it('keeps of any head exactly what keeping every header and picking the named ones gives', () => {
    const names = fc.constantFrom('Set-Cookie', 'set-cookie', 'X-Id', 'x-ID', 'X-Ids', 'Etag', 'x^y', 'X~Y', 'Vary');
    const property = fc.property(fc.array(fc.tuple(names, fc.stringMatching(/^[a-z0-9=;]{0,8}$/)), { maxLength: 12 }), fc.array(names, { maxLength: 4 }), (lines, wanted) => {
      const head = text('HTTP/1.1 200 OK\r\n', ...lines.map(([name, value]) => `${name}: ${value}\r\n`), 'Content-Length: 0\r\n\r\n');
      const all = parse([head], [{ keptHeaders: KeptHeaders.ALL }]).responses[0]!.headers!;
      const lowerWanted = new Set(wanted.map((name) => name.toLowerCase()));
      const expected = Object.fromEntries(Object.entries(all).filter(([name]) => lowerWanted.has(name)));
      assert.deepEqual({ ...parse([head], [{ keptHeaders: KeptHeaders.named(wanted) }]).responses[0]!.headers }, expected);
    });
    fc.assert(property, { numRuns: 300 });
  });

  it('decodes a chunked body with extensions and trailers, counting the decoded bytes', () => {
    const response = text('HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, Chunked\r\n\r\n', '5;name=value;q="a b"\r\nhello\r\n', '1 ; ext\r\n,\r\n', 'A\r\n0123456789\r\n', '0;last\r\nExpires: never\r\nX-Trailer: 1\r\n\r\n');
    const { responses, error } = parse([response]);
    assert.equal(error, undefined);
    assert.equal(responses[0]!.body.toString(), 'hello,0123456789');
    assert.equal(responses[0]!.bytes, 16);
    assert.equal(responses[0]!.keepAlive, true);
  });

  it('reads no body for HEAD, 204 and 304, whatever their Content-Length says, and goes on to the next response', () => {
    const head = text('HTTP/1.1 200 OK\r\nContent-Length: 1234\r\n\r\n');
    const noContent = text('HTTP/1.1 204 No Content\r\nContent-Length: 10\r\n\r\n');
    const notModified = text('HTTP/1.1 304 Not Modified\r\nTransfer-Encoding: chunked\r\n\r\n');
    const last = text('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    const { responses, error } = parse([Buffer.concat([head, noContent, notModified, last])], [{ head: true }, {}, {}, {}]);
    assert.equal(error, undefined);
    assert.deepEqual(
      responses.map((r) => [r.status, r.bytes]),
      [
        [200, 0],
        [204, 0],
        [304, 0],
        [200, 2],
      ],
    );
  });

  it('skips interim 100 Continue and 103 Early Hints and reads the final response', () => {
    const bytes = text('HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\nHTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nno!');
    const { responses, error } = parse([bytes], [{ keptHeaders: KeptHeaders.ALL }]);
    assert.equal(error, undefined);
    assert.equal(responses.length, 1);
    assert.equal(responses[0]!.status, 404);
    assert.equal(responses[0]!.reason, 'Not Found');
    assert.equal(responses[0]!.headers!.link, undefined, 'the interim response headers leaked into the final one');
  });

  it('reads a body without framing until the connection closes, and never reuses that connection', () => {
    const bytes = text('HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end');
    const open = parse([bytes]);
    assert.equal(open.responses.length, 0);
    assert.equal(open.cutShort, true);
    const closed = parse([bytes], [{}], { closeAtEnd: true });
    assert.equal(closed.responses[0]!.body.toString(), 'until the end');
    assert.equal(closed.responses[0]!.keepAlive, false);
  });

  it('follows HTTP/1.0 and Connection: close and keep-alive', () => {
    const keepAlive = (head: string) => parse([text(`${head}\r\nContent-Length: 0\r\n\r\n`)]).responses[0]!.keepAlive;
    assert.equal(keepAlive('HTTP/1.0 200 OK'), false);
    assert.equal(keepAlive('HTTP/1.0 200 OK\r\nConnection: Keep-Alive'), true);
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\nConnection: close'), false);
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\nConnection: upgrade, CLOSE'), false);
    assert.equal(keepAlive('HTTP/1.1 200 OK\r\nConnection: keep-alive'), true);
    assert.equal(keepAlive('HTTP/1.1 200 OK'), true);
  });

  it('never reuses a connection whose response had both Transfer-Encoding and Content-Length; chunked wins', () => {
    const { responses } = parse([text('HTTP/1.1 200 OK\r\nContent-Length: 100\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nab\r\n0\r\n\r\n')]);
    assert.equal(responses[0]!.body.toString(), 'ab');
    assert.equal(responses[0]!.keepAlive, false);
  });

  it("reads the server's Keep-Alive timeout hint", () => {
    const listener = new RecordingListener([{}]);
    listener.parser.feed(text('HTTP/1.1 200 OK\r\nKeep-Alive: max=100, Timeout=5\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(listener.parser.keepAliveHintMs, 5000);
  });

  it('accepts bare LF line ends', () => {
    const { responses, error } = parse([text('HTTP/1.1 200 OK\nContent-Length: 3\nX-A: b\n\nabc', 'HTTP/1.1 202 Accepted\nContent-Length: 1\r\n\r\nz')], [{}, { keptHeaders: KeptHeaders.ALL }]);
    assert.equal(error, undefined);
    assert.deepEqual(
      responses.map((r) => [r.status, r.body.toString()]),
      [
        [200, 'abc'],
        [202, 'z'],
      ],
    );
  });

  it('gives an empty reason phrase when the status line has none', () => {
    assert.equal(parse([text('HTTP/1.1 503\r\nContent-Length: 0\r\n\r\n')]).responses[0]!.reason, '');
  });

  const malformed: [string, Buffer, string][] = [
    ['no HTTP/1.x', text('SSH-2.0-OpenSSH_9.6\r\n'), 'HPE_INVALID_CONSTANT'],
    ['HTTP/2 preface', text('HTTP/2 200\r\n\r\n'), 'HPE_INVALID_CONSTANT'],
    ['a 4-digit status', text('HTTP/1.1 2000 OK\r\n\r\n'), 'HPE_INVALID_CONSTANT'],
    ['a status below 100', text('HTTP/1.1 099 Odd\r\n\r\n'), 'HPE_INVALID_CONSTANT'],
    ['a header line without a colon', text('HTTP/1.1 200 OK\r\nContent-Length 5\r\n\r\nhello'), 'HPE_INVALID_HEADER_TOKEN'],
    ['a space before the colon', text('HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello'), 'HPE_INVALID_HEADER_TOKEN'],
    ['a folded header line', text('HTTP/1.1 200 OK\r\nX-A: 1\r\n  2\r\nContent-Length: 0\r\n\r\n'), 'HPE_INVALID_HEADER_TOKEN'],
    ['a negative Content-Length', text('HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'), 'HPE_INVALID_CONTENT_LENGTH'],
    ['two different Content-Lengths', text('HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab'), 'HPE_INVALID_CONTENT_LENGTH'],
    ['a Content-Length list', text('HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nab'), 'HPE_INVALID_CONTENT_LENGTH'],
    ['a non-hex chunk size', text('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'), 'HPE_INVALID_CHUNK_SIZE'],
    ['a chunk without its CRLF', text('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n'), 'HPE_INVALID_CHUNK_SIZE'],
    ['a chunk size of 13 hex digits', text('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1000000000000\r\n'), 'HPE_INVALID_CHUNK_SIZE'],
    ['an unasked 101', text('HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n'), 'HPE_UNEXPECTED_UPGRADE'],
    ['bytes after the response with nothing awaited', text('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\nHTTP/1.1 200 OK\r\n'), 'HPE_UNEXPECTED_DATA'],
  ];
  for (const [what, bytes, code] of malformed) {
    it(`refuses ${what} (${code})`, () => {
      const { error } = parse([bytes]);
      assert.equal(error?.code, code, `error: ${error?.message}`);
      assert.ok(error.message.length > 10);
    });
  }

  it('refuses a head over the limit, in one read or dribbled in small ones, without copying more than the limit', () => {
    const huge = text(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES)}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(parse([huge]).error?.code, 'HPE_HEADER_OVERFLOW');
    assert.equal(parse(splitAt(huge, Array.from({ length: 200 }, (_, i) => i * 700))).error?.code, 'HPE_HEADER_OVERFLOW');
    const justFits = text(`HTTP/1.1 200 OK\r\nX-Big: ${'a'.repeat(MAX_HEAD_BYTES - 100)}\r\nContent-Length: 0\r\n\r\n`);
    assert.equal(parse(splitAt(justFits, [10, 5000, 40000])).responses[0]?.status, 200);
  });

  it('refuses trailers over the limit and a chunk-size line over its own', () => {
    const trailers = text(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX-T: ${'t'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`);
    assert.equal(parse([trailers]).error?.code, 'HPE_HEADER_OVERFLOW');
    const extension = text(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1;${'e'.repeat(5000)}\r\na\r\n0\r\n\r\n`);
    assert.equal(parse([extension]).error?.code, 'HPE_HEADER_OVERFLOW');
  });
});

/** One response as generated, with what parsing it must give. */
type ResponseCase = { bytes: Buffer; awaited: Awaited; status: number; body: Buffer; keepAlive: boolean; closeDelimited: boolean };

const lineEnd = fc.constantFrom('\r\n', '\n');
const headerName = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) => !/^(content-length|transfer-encoding|connection|keep-alive)$/i.test(n));
const headerValue = fc.stringMatching(/^[!-~]([ -~]{0,30}[!-~])?$/);
const bodyBytes = fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b));

/** A valid response in one of the framings, with random headers, chunk sizes, extensions and trailers. */
function responseCase(lastOnConnection: boolean): fc.Arbitrary<ResponseCase> {
  const framings = lastOnConnection ? (['length', 'chunked', 'close', 'head', 'bodiless'] as const) : (['length', 'chunked', 'head', 'bodiless'] as const);
  return fc
    .record({
      framing: fc.constantFrom(...framings),
      status: fc.integer({ min: 200, max: 599 }).filter((s) => s !== 204 && s !== 304),
      bodilessStatus: fc.constantFrom(204, 304),
      minor: fc.constantFrom(0, 1),
      interim: fc.boolean(),
      headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 6 }),
      body: bodyBytes,
      chunkSizes: fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 8 }),
      extension: fc.option(fc.stringMatching(/^;[a-z]{1,8}(=[a-z0-9]{1,8})?$/)),
      trailers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 2 }),
      eol: lineEnd,
      upperHex: fc.boolean(),
    })
    .map((r) => {
      const status = r.framing === 'bodiless' ? r.bodilessStatus : r.status;
      const lines = [`HTTP/1.${r.minor} ${status} Reason ${status}`, ...r.headers.map(([n, v]) => `${n}: ${v}`)];
      // HTTP/1.0 keeps a connection only when asked; a response that is not last must keep it.
      const keepAlive = r.framing !== 'close' && (r.minor === 1 || !lastOnConnection);
      if (r.minor === 0 && keepAlive) lines.push('Connection: keep-alive');
      let payload: Buffer = Buffer.alloc(0);
      if (r.framing === 'length' || r.framing === 'head') lines.push(`Content-Length: ${r.body.length}`);
      if (r.framing === 'length') payload = r.body;
      if (r.framing === 'close') payload = r.body;
      if (r.framing === 'chunked') {
        lines.push('Transfer-Encoding: chunked');
        payload = chunked(r.body, r.chunkSizes, r.extension ?? '', r.trailers, r.upperHex);
      }
      const interim = r.interim ? `HTTP/1.1 100 Continue${r.eol}${r.eol}` : '';
      const head = interim + lines.join(r.eol) + r.eol + r.eol;
      const body = r.framing === 'length' || r.framing === 'chunked' || r.framing === 'close' ? r.body : Buffer.alloc(0);
      return { bytes: Buffer.concat([Buffer.from(head, 'latin1'), payload]), awaited: { head: r.framing === 'head' }, status, body, keepAlive, closeDelimited: r.framing === 'close' };
    });
}

function chunked(body: Buffer, sizes: number[], extension: string, trailers: [string, string][], upperHex: boolean): Buffer {
  const parts: Buffer[] = [];
  let from = 0;
  for (let i = 0; from < body.length; i++) {
    const size = Math.min(sizes[i % sizes.length]!, body.length - from);
    const hex = upperHex ? size.toString(16).toUpperCase() : size.toString(16);
    parts.push(Buffer.from(`${hex}${extension}\r\n`), body.subarray(from, from + size), Buffer.from('\r\n'));
    from += size;
  }
  parts.push(Buffer.from(`0${extension}\r\n${trailers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}\r\n`));
  return Buffer.concat(parts);
}

/** Several responses back to back on one connection (pipelined); only the last may run until the close. */
const connectionCase = fc.tuple(fc.array(responseCase(false), { maxLength: 3 }), responseCase(true)).map(([first, last]) => [...first, last]);
const cuts = fc.array(fc.nat(), { maxLength: 12 });

describe('ResponseParser properties', () => {
  it('parses responses split anywhere as it parses them whole: status, body, bytes, keep-alive', () => {
    fc.assert(
      fc.property(connectionCase, cuts, (cases, cutsAt) => {
        const bytes = Buffer.concat(cases.map((c) => c.bytes));
        const awaited = cases.map((c) => c.awaited);
        const closeAtEnd = cases.at(-1)!.closeDelimited;
        const whole = parse([bytes], awaited, { closeAtEnd });
        const split = parse(splitAt(bytes, cutsAt), awaited, { closeAtEnd });
        assert.equal(whole.error, undefined, whole.error?.message);
        assert.deepEqual(split, whole);
        assert.deepEqual(
          whole.responses.map((r) => ({ status: r.status, body: r.body, bytes: r.bytes, keepAlive: r.keepAlive })),
          cases.map((c) => ({ status: c.status, body: c.body, bytes: c.body.length, keepAlive: c.keepAlive })),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('hands on nothing of the body without deliverBody, yet counts it', () => {
    fc.assert(
      fc.property(responseCase(false), cuts, (c, cutsAt) => {
        const { responses } = parse(splitAt(c.bytes, cutsAt), [{ ...c.awaited, deliverBody: false }]);
        assert.equal(responses[0]!.body.length, 0);
        assert.equal(responses[0]!.bytes, c.body.length);
      }),
    );
  });

  it('reports a response cut short, never a completed one, when its bytes stop early', () => {
    fc.assert(
      fc.property(responseCase(false).filter((c) => !c.awaited.head && c.body.length > 0), fc.nat(), cuts, (c, cut, cutsAt) => {
        const truncated = c.bytes.subarray(0, cut % c.bytes.length);
        const { responses, error, cutShort } = parse(splitAt(truncated, cutsAt), [c.awaited], { closeAtEnd: true });
        assert.equal(responses.length, 0);
        assert.equal(error, undefined);
        assert.equal(cutShort, truncated.length > 0);
      }),
    );
  });

  it('reports an error, never throws, on random bytes', () => {
    const garbage = fc.uint8Array({ minLength: 1, maxLength: 400 }).filter((b) => !Buffer.from(b).subarray(0, 7).equals(Buffer.from('HTTP/1.').subarray(0, Math.min(7, b.length))));
    fc.assert(
      fc.property(garbage, cuts, (bytes, cutsAt) => {
        const { responses, error } = parse(splitAt(Buffer.from(bytes), cutsAt), [{}], { closeAtEnd: true });
        assert.equal(responses.length, 0);
        assert.ok(error, 'random bytes gave no parse error');
      }),
    );
  });

  it('never throws on a valid response with one byte changed', () => {
    fc.assert(
      fc.property(connectionCase, fc.nat(), fc.integer({ min: 0, max: 255 }), cuts, (cases, at, byte, cutsAt) => {
        const bytes = Buffer.concat(cases.map((c) => c.bytes));
        bytes[at % bytes.length] = byte;
        parse(splitAt(bytes, cutsAt), cases.map((c) => c.awaited), { closeAtEnd: true });
      }),
      { numRuns: 500 },
    );
  });

  it('refuses any head over the limit, however it is split', () => {
    fc.assert(
      fc.property(fc.integer({ min: MAX_HEAD_BYTES, max: 2 * MAX_HEAD_BYTES }), cuts, (size, cutsAt) => {
        const head = text(`HTTP/1.1 200 OK\r\nX-Big: ${'b'.repeat(size)}\r\n\r\n`);
        assert.equal(parse(splitAt(head, cutsAt.map((c) => c * 997))).error?.code, 'HPE_HEADER_OVERFLOW');
      }),
      { numRuns: 30 },
    );
  });
});
