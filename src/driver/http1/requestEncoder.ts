import type { PreparedRequest } from '../requests/requestIterator.js';

/** Methods defined to carry a body: without one they send `content-length: 0`, as undici does. */
const METHODS_EXPECTING_BODY: ReadonlySet<string> = new Set(['POST', 'PUT', 'PATCH']);
/** What undici refuses in a path: controls, spaces, anything beyond latin1. */
const INVALID_PATH = /[^\u0021-\u00ff]/;
/** What undici refuses in a header value: controls (CR and LF above all) and anything beyond latin1. */
const INVALID_HEADER_VALUE = /[^\t\u0020-\u007e\u0080-\u00ff]/;

/** A request this encoder cannot put on the wire (a rendered value HTTP/1.1 cannot carry); it has no code, so classifyError calls it 'other'. */
export class RequestEncodingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RequestEncodingError';
  }
}

/**
 * Encodes requests to one origin as the bytes of one socket write each: request line, `host`,
 * `connection: keep-alive` (or the request's own), the request's headers, `content-length` for a body,
 * then the body. A request without templates is one PreparedRequest object reused for every send
 * (RequestTemplate.fixed): its bytes are made once and kept as long as that object lives.
 */
export class RequestEncoder {
  private readonly encoded = new WeakMap<PreparedRequest, Buffer>();
  private readonly hostLine: string;

  /** `host`: the origin's host as the Host header carries it (`127.0.0.1:8080`, `example.com`). */
  constructor(host: string) {
    this.hostLine = `host: ${host}\r\n`;
  }

  /** Throws RequestEncodingError for a path or header value HTTP/1.1 cannot carry. */
  encode(request: PreparedRequest): Buffer {
    let bytes = this.encoded.get(request);
    if (bytes === undefined) {
      bytes = this.build(request);
      this.encoded.set(request, bytes);
    }
    return bytes;
  }

  private build(request: PreparedRequest): Buffer {
    const { method, path, body } = request;
    if (INVALID_PATH.test(path)) throw new RequestEncodingError(`cannot send ${method} ${quoted(path)}: the path holds a space, a control character or one beyond latin1`);
    const bodyLength = body === undefined ? 0 : typeof body === 'string' ? Buffer.byteLength(body) : body.length;
    const head = `${method} ${path} HTTP/1.1\r\n${this.headerLines(request)}${contentLengthLine(method, bodyLength)}\r\n`;
    if (body === undefined || bodyLength === 0) return Buffer.from(head, 'latin1');
    // Every character of `head` is latin1 (checked above), so its byte length is its length.
    const bytes = Buffer.allocUnsafe(head.length + bodyLength);
    bytes.write(head, 0, 'latin1');
    if (typeof body === 'string') bytes.write(body, head.length, 'utf8');
    else body.copy(bytes, head.length);
    return bytes;
  }

  /** The request's own `host` and `connection` replace the defaults; its `content-length` gives way to the body's real length. */
  private headerLines(request: PreparedRequest): string {
    let host = this.hostLine;
    let connection = 'connection: keep-alive\r\n';
    let others = '';
    const headers = request.headers ?? [];
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      const value = headers[i + 1]!;
      if (INVALID_HEADER_VALUE.test(value)) throw new RequestEncodingError(`cannot send header ${name}: its value ${quoted(value)} holds a control character or one beyond latin1`);
      const line = `${name}: ${value}\r\n`;
      switch (framingHeaderName(name)) {
        case 'host':
          host = line;
          break;
        case 'connection':
          connection = line;
          break;
        case 'content-length':
          break;
        case 'transfer-encoding':
        case 'upgrade':
          throw new RequestEncodingError(`cannot send header ${name}: the client frames the body itself and does not switch protocols`);
        default:
          others += line;
      }
    }
    return host + connection + others;
  }
}

/** A header name that frames the request or the connection, lower-cased; undefined for any other (most: compared by length first). */
function framingHeaderName(name: string): string | undefined {
  switch (name.length) {
    case 4:
    case 7:
    case 10:
    case 14:
    case 17: {
      const lower = name.toLowerCase();
      return lower === 'host' || lower === 'upgrade' || lower === 'connection' || lower === 'content-length' || lower === 'transfer-encoding' ? lower : undefined;
    }
    default:
      return undefined;
  }
}

function contentLengthLine(method: string, length: number): string {
  return length > 0 || METHODS_EXPECTING_BODY.has(method) ? `content-length: ${length}\r\n` : '';
}

function quoted(text: string): string {
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}
