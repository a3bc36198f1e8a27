import { finished, pipeline, Readable } from 'node:stream';
import { CsvError, parse as csvParser } from 'csv-parse';
import { getManyValues, none } from 'stream-chain/defs.js';
import Assembler from 'stream-json/assembler.js';
import { jsonParser, type Token } from 'stream-json/parser.js';
import { DATA_COLUMN_NAME, DATA_LIMITS } from '../../protocol/data.js';

/**
 * An uploaded file's rows, whatever its format: CSV, a JSON array of objects or JSON Lines, streamed so
 * that neither the file nor its rows are ever held whole; each row comes out as it is stored and sent
 * (a JSON array of its values in column order), checked against the limits on the way.
 */

export type DataFormat = 'csv' | 'json' | 'jsonl';

/** The limits an upload is held to: DATA_LIMITS, smaller in tests. */
export type DataLimits = { fileBytes: number; rows: number; columns: number; rowBytes: number };
export type DataLimit = keyof DataLimits;

export const DEFAULT_DATA_LIMITS: DataLimits = { fileBytes: DATA_LIMITS.fileBytes, rows: DATA_LIMITS.rows, columns: DATA_LIMITS.columns, rowBytes: DATA_LIMITS.rowBytes };

/** A column as the summary reports it when some rows lack it; first_row counts data rows from 1. */
export type MissingColumn = { rows: number; first_row: number };

const CONTENT_TYPES: Record<string, DataFormat> = {
  'text/csv': 'csv',
  'application/json': 'json',
  'application/x-ndjson': 'jsonl',
  'application/jsonl': 'jsonl',
  'application/x-jsonlines': 'jsonl',
};

/** From a Content-Type header, parameters ignored; undefined if none fits. */
export function dataFormatOf(contentType: string | undefined): DataFormat | undefined {
  const mediaType = contentType?.split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === undefined ? undefined : CONTENT_TYPES[mediaType];
}

/** Where an upload went wrong: the message says it whole; the fields let callers point at it. */
export type DataUploadProblem = { limit?: DataLimit; field?: string; line?: number; row?: number };

/** An upload refused: bad input or a limit. */
export class DataUploadError extends Error {
  readonly limit?: DataLimit;
  readonly field?: string;
  readonly line?: number;
  readonly row?: number;

  constructor(message: string, problem: DataUploadProblem = {}) {
    super(message);
    this.name = 'DataUploadError';
    Object.assign(this, problem);
  }
}

const COLUMN_NAME_RULE = 'templates use {{data.COLUMN}}, so a column name is a letter or _ followed by up to 63 letters, digits or _';

/**
 * A row's source text may be longer than its encoding (keys, spacing, \u escapes at up to 3 bytes per
 * encoded one) but not by more than this factor; past it a row is refused before more of it is held.
 */
const SOURCE_ROW_FACTOR = 4;

/** The rows' columns and what rows lack, built row by row; rows themselves pass through. */
export class DataTable {
  readonly columns: string[] = [];
  rows = 0;
  private readonly indexOf = new Map<string, number>();
  /** per column: rows that lack it, and the first of them */
  private readonly lacking: number[] = [];
  private readonly firstLacking: number[] = [];

  constructor(private readonly limits: DataLimits) {}

  /** A CSV's header: every row has these columns, in this order. */
  setHeader(names: string[]): void {
    const where = 'the header (line 1)';
    names.forEach((name, i) => {
      if (name === '') throw new DataUploadError(`${where} has no name for column ${i + 1}: a CSV file starts with a header line naming its columns`, { line: 1 });
      const earlier = this.indexOf.get(name);
      if (earlier !== undefined) throw new DataUploadError(`${where} names "${name}" twice (columns ${earlier + 1} and ${i + 1})`, { line: 1, field: name });
      this.addColumn(name, `${where}, column ${i + 1}`, { line: 1 });
    });
  }

  /** A CSV row: a value for every column. */
  fieldsRow(fields: string[]): string {
    const row = this.nextRow();
    return this.encode(fields, row);
  }

  /** A JSON object as a row: its keys are columns, added as they first appear. */
  objectRow(record: object, where: string, line?: number): string {
    const row = this.nextRow(line);
    const values: (string | null)[] = [];
    for (const [name, value] of Object.entries(record)) {
      const index = this.indexOf.get(name) ?? this.addColumn(name, `${where} (row ${row})`, { row, line }, row);
      values[index] = valueText(value);
    }
    this.countLacking(values, row);
    return this.encode(values, row, line);
  }

  /** What some rows lack, by column; refuses a file without rows or columns. */
  finish(): Record<string, MissingColumn> {
    if (this.rows === 0) throw new DataUploadError('the file has no data rows');
    if (this.columns.length === 0) throw new DataUploadError('no row has a value: the file has no columns');
    const missing = this.columns.flatMap((name, i) => (this.lacking[i]! > 0 ? [[name, { rows: this.lacking[i]!, first_row: this.firstLacking[i]! }] as const] : []));
    // fromEntries, not assignment: a column may be named __proto__
    return Object.fromEntries(missing);
  }

  private nextRow(line?: number): number {
    if (this.rows >= this.limits.rows) throw new DataUploadError(`more than ${this.limits.rows} rows (the limit)${line === undefined ? '' : `: line ${line} is row ${this.rows + 1}`}`, { limit: 'rows', row: this.rows + 1, line });
    return ++this.rows;
  }

  /** Adds a column first seen at `row` (the rows before it lack it); refuses a name templates cannot use. */
  private addColumn(name: string, where: string, problem: DataUploadProblem, row = 1): number {
    if (!DATA_COLUMN_NAME.test(name)) throw new DataUploadError(`${where}: the column name ${JSON.stringify(name)} cannot be used: ${COLUMN_NAME_RULE}`, { ...problem, field: name });
    if (this.columns.length >= this.limits.columns) throw new DataUploadError(`${where}: column "${name}" is one more than the ${this.limits.columns} columns a file may have`, { ...problem, field: name, limit: 'columns' });
    this.indexOf.set(name, this.columns.length);
    this.columns.push(name);
    this.lacking.push(row - 1);
    this.firstLacking.push(1);
    return this.columns.length - 1;
  }

  /** Fills the row's holes with null, counting them; a column added later than the row is no hole. */
  private countLacking(values: (string | null)[], row: number): void {
    for (let i = 0; i < this.columns.length; i++) {
      if (values[i] !== undefined && values[i] !== null) continue;
      values[i] = null;
      if (this.lacking[i]! === 0) this.firstLacking[i] = row;
      this.lacking[i]!++;
    }
  }

  private encode(values: (string | null)[], row: number, line?: number): string {
    const text = JSON.stringify(values);
    // bytes are at least UTF-16 units: only a long text needs counting
    if (text.length > this.limits.rowBytes / 3 && Buffer.byteLength(text) > this.limits.rowBytes) throw rowTooLong(row, this.limits, line);
    return text;
  }
}

function rowTooLong(row: number, limits: DataLimits, line?: number): DataUploadError {
  return new DataUploadError(`row ${row}${line === undefined ? '' : ` (line ${line})`} is longer than ${limits.rowBytes} bytes (the limit for one row)`, { limit: 'rowBytes', row, line });
}

/** A JSON value as a row holds it: text, or null for a missing one. */
function valueText(value: unknown): string | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value;
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

/**
 * The file's rows, encoded, in order, a batch at a time (one await per batch, not per row: a million
 * promises cost more than the parsing, and more still where async hooks watch them); `table` gathers
 * their columns as they pass.
 */
export function parseRows(source: AsyncIterable<Buffer>, format: DataFormat, table: DataTable, limits: DataLimits): AsyncGenerator<string[]> {
  if (format === 'csv') return csvRows(source, table, limits);
  if (format === 'json') return jsonArrayRows(source, table, limits);
  return jsonLinesRows(source, table, limits);
}

async function* csvRows(source: AsyncIterable<Buffer>, table: DataTable, limits: DataLimits): AsyncGenerator<string[]> {
  // csv-parse's error would destroy the records it parsed but this loop has not taken yet (the header
  // among them): it is kept instead, with the count of records before it, and thrown in its turn
  let failure: CsvError | undefined;
  const parser = csvParser({
    bom: true,
    skip_empty_lines: true,
    // a record longer than a row's limit in source characters is longer encoded: refused before it is held whole
    max_record_size: limits.rowBytes,
    skip_records_with_error: true,
    on_skip: (error) => void (failure ??= error),
  });
  // other errors reach the loop below through the parser, which pipeline destroys with them
  const records = pipeline(Readable.from(source), parser, () => undefined);
  let taken = 0;
  try {
    for await (const batch of buffered<string[]>(records)) {
      const rows: string[] = [];
      for (const record of batch) {
        if (failure !== undefined && taken === failure.records) throw csvProblem(failure, table, limits);
        if (taken++ === 0) table.setHeader(record.map((name) => name.trim()));
        else rows.push(table.fieldsRow(record));
      }
      yield rows;
    }
  } catch (error) {
    throw error instanceof CsvError ? csvProblem(error, table, limits) : error;
  }
  if (failure !== undefined) throw csvProblem(failure, table, limits);
  if (taken === 0) throw new DataUploadError('the file has no header line: a CSV file starts with a header line naming its columns');
}

/**
 * An object stream's items, as many at a time as it holds: Readable's own async iterator, but one
 * await per batch. Ends the stream when the caller stops early.
 */
async function* buffered<T>(stream: Readable): AsyncGenerator<T[]> {
  let wake = () => {};
  let ended: Error | null | undefined;
  const onReadable = () => wake();
  stream.on('readable', onReadable);
  finished(stream, (error) => {
    ended = error ?? null;
    wake();
  });
  try {
    for (;;) {
      const batch: T[] = [];
      for (let item: T | null = stream.destroyed ? null : stream.read(); item !== null; item = stream.read()) batch.push(item);
      if (batch.length > 0) yield batch;
      else if (ended !== undefined) {
        if (ended) throw ended;
        return;
      } else await new Promise<void>((resolve) => (wake = resolve));
    }
  } finally {
    stream.off('readable', onReadable);
    stream.destroy();
  }
}

function csvProblem(error: CsvError, table: DataTable, limits: DataLimits): DataUploadError {
  const line = typeof error.lines === 'number' ? error.lines : undefined;
  if (error.code === 'CSV_RECORD_INCONSISTENT_FIELDS_LENGTH') {
    const fields = Array.isArray(error.record) ? error.record.length : '?';
    return new DataUploadError(`line ${line} has ${fields} fields, but the header (line 1) has ${table.columns.length}`, { line, row: table.rows + 1 });
  }
  if (error.code === 'CSV_MAX_RECORD_SIZE') return rowTooLong(table.rows + 1, limits, line);
  return new DataUploadError(`the CSV cannot be read at line ${line}: ${error.message}`, { line });
}

/** The most JSON text handed to the parser at a time: an error is placed within a line and so many elements. */
const JSON_PIECE = 4096;

async function* jsonArrayRows(source: AsyncIterable<Buffer>, table: DataTable, limits: DataLimits): AsyncGenerator<string[]> {
  // packed values only: a row's values come whole, and none is held past a row's limit
  const parser = jsonParser({ streamValues: false, maxPackedLength: SOURCE_ROW_FACTOR * limits.rowBytes });
  const elements = new JsonArrayElements(limits);
  const decoder = new TextDecoder();
  let line = 1;
  // the parser says what is wrong but not where: text goes in a line (or JSON_PIECE) at a time, so the line is known
  const feed = (text: string | typeof none, rows: string[]): string[] => {
    try {
      const tokens = parser(text as string);
      if (tokens !== none) for (const element of elements.take(getManyValues(tokens))) rows.push(table.objectRow(element.value, `the element at index ${element.index}`));
      return rows;
    } catch (error) {
      if (error instanceof DataUploadError) throw error;
      // a string or number still growing past what a row may hold
      if (error instanceof RangeError && error.message.includes('maxPackedLength')) throw rowTooLong(elements.count + 1, limits, line);
      throw jsonProblem(error, elements.count, line);
    }
  };
  for await (const chunk of source) {
    const text = decoder.decode(chunk, { stream: true });
    const rows: string[] = [];
    for (let at = 0; at < text.length; ) {
      const lineEnd = text.indexOf('\n', at);
      const end = Math.min(lineEnd === -1 ? text.length : lineEnd + 1, at + JSON_PIECE);
      feed(text.slice(at, end), rows);
      if (end === lineEnd + 1) line++;
      at = end;
    }
    yield rows;
  }
  yield feed(none, feed(decoder.decode(), []));
  if (!elements.ended) throw new DataUploadError('the JSON ends before its array does');
}

function jsonProblem(error: unknown, elements: number, line: number): DataUploadError {
  const message = error instanceof Error ? error.message : String(error);
  const after = elements === 0 ? '' : ` (after ${elements} complete element${elements === 1 ? '' : 's'})`;
  return new DataUploadError(`the JSON cannot be read on line ${line}${after}: ${message}`, { line });
}

type JsonElement = { index: number; value: object };

/** The objects of one top-level JSON array, out of the parser's tokens. */
class JsonArrayElements {
  count = 0;
  ended = false;
  private state: 'start' | 'array' | 'element' | 'end' = 'start';
  private readonly assembler = new Assembler();
  /** source characters of the element being assembled, roughly */
  private size = 0;

  constructor(private readonly limits: DataLimits) {}

  take(tokens: Token[]): JsonElement[] {
    const taken: JsonElement[] = [];
    for (const token of tokens) {
      if (this.state === 'element') {
        const element = this.assemble(token);
        if (element) taken.push(element);
      } else if (this.state === 'array') this.between(token);
      else if (this.state === 'start') this.start(token);
    }
    return taken;
  }

  private start(token: Token): void {
    if (token.name !== 'startArray') throw new DataUploadError(`the JSON must be an array of objects, but it is ${tokenKind(token)}`, { line: 1 });
    this.state = 'array';
  }

  private between(token: Token): void {
    if (token.name === 'endArray') {
      this.state = 'end';
      this.ended = true;
    } else if (token.name === 'startObject') {
      this.state = 'element';
      this.size = 0;
      this.assembler.consume(token);
    } else throw new DataUploadError(`the JSON array's element at index ${this.count} (row ${this.count + 1}) is ${tokenKind(token)}, not an object`, { row: this.count + 1 });
  }

  private assemble(token: Token): JsonElement | undefined {
    this.size += 1 + ('value' in token && typeof token.value === 'string' ? token.value.length : 0);
    if (this.size > SOURCE_ROW_FACTOR * this.limits.rowBytes) throw rowTooLong(this.count + 1, this.limits);
    this.assembler.consume(token);
    if (!this.assembler.done) return undefined;
    this.state = 'array';
    return { index: this.count++, value: this.assembler.current as object };
  }
}

function tokenKind(token: Token): string {
  switch (token.name) {
    case 'startArray':
      return 'an array';
    case 'startObject':
      return 'an object';
    case 'stringValue':
      return 'a string';
    case 'numberValue':
      return 'a number';
    case 'nullValue':
      return 'null';
    default:
      return 'a boolean';
  }
}

async function* jsonLinesRows(source: AsyncIterable<Buffer>, table: DataTable, limits: DataLimits): AsyncGenerator<string[]> {
  for await (const batch of lines(source, SOURCE_ROW_FACTOR * limits.rowBytes, table, limits)) {
    const rows: string[] = [];
    for (const { text, line } of batch) if (text.trim() !== '') rows.push(table.objectRow(jsonLineObject(text, line), `line ${line}`, line));
    yield rows;
  }
}

function jsonLineObject(text: string, line: number): object {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new DataUploadError(`line ${line} is not JSON: ${(error as Error).message}`, { line });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new DataUploadError(`line ${line} is ${jsonKind(value)}, not a JSON object`, { line });
  return value;
}

function jsonKind(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return `a ${typeof value}`;
}

type Line = { text: string; line: number };

/**
 * The lines of a byte stream, without their CR LF or LF, a chunk's worth at a time; a line longer than
 * `maxBytes` is refused before more of it is held. LF bytes never occur inside a multi-byte UTF-8
 * character, so each line decodes alone.
 */
async function* lines(source: AsyncIterable<Buffer>, maxBytes: number, table: DataTable, limits: DataLimits): AsyncGenerator<Line[]> {
  let held: Buffer[] = [];
  let heldBytes = 0;
  let line = 0;
  for await (const chunk of source) {
    const batch: Line[] = [];
    // the lines before a long one go first: the row it would be is known once they are rows
    const tooLong = async function* () {
      yield batch;
      throw rowTooLong(table.rows + 1, limits, line + 1);
    };
    let start = 0;
    for (let end = chunk.indexOf(LF); end !== -1; end = chunk.indexOf(LF, start)) {
      if (heldBytes + end - start > maxBytes) return yield* tooLong();
      const bytes = heldBytes === 0 ? chunk.subarray(start, end) : Buffer.concat([...held, chunk.subarray(start, end)]);
      batch.push({ text: lineText(bytes, ++line), line });
      held = [];
      heldBytes = 0;
      start = end + 1;
    }
    if (start < chunk.length) {
      held.push(chunk.subarray(start));
      heldBytes += chunk.length - start;
      if (heldBytes > maxBytes) return yield* tooLong();
    }
    yield batch;
  }
  if (heldBytes > 0) yield [{ text: lineText(Buffer.concat(held), ++line), line }];
}

const LF = 0x0a;

function lineText(bytes: Buffer, line: number): string {
  let text = bytes.toString('utf8');
  if (text.endsWith('\r')) text = text.slice(0, -1);
  if (line === 1 && text.startsWith('\uFEFF')) text = text.slice(1);
  return text;
}
