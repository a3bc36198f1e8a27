import { createHash, randomUUID } from 'node:crypto';
import { closeSync, createReadStream, mkdirSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from 'node:fs';
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { DATA_ID } from '../../protocol/data.js';
import { DataTable, DataUploadError, DEFAULT_DATA_LIMITS, parseRows, type DataFormat, type DataLimits, type MissingColumn } from './dataParsers.js';

export { dataFormatOf, DataUploadError, type DataFormat, type DataLimit, type DataLimits, type MissingColumn } from './dataParsers.js';

/**
 * The orchestrator's uploaded test data, kept in one folder by data_id (the SHA-256 of the uploaded
 * bytes). Per file: `ID.rows` (one JSON array of values per line, in column order), `ID.index` (the byte
 * offset where each row starts, then the file's length: float64 little-endian, rows+1 of them) and
 * `ID.json` (the summary). The summary is written last, so a file without one is a leftover of an
 * upload that never finished; `tmp-*` files are uploads in progress.
 */

export type DataSummary = {
  data_id: string;
  format: DataFormat;
  rows: number;
  columns: string[];
  /** bytes of the uploaded file */
  bytes: number;
  uploaded_at: string;
  /** per column that some rows lack: how many rows lack it and the first such row (1-based data row number) */
  missing: Record<string, MissingColumn>;
};

export type DataCatalogOptions = {
  /** DATA_LIMITS unless given (tests use small ones) */
  limits?: Partial<DataLimits>;
};

const SUMMARY = '.json';
const ROWS = '.rows';
const INDEX = '.index';
const UPLOAD = '.upload';
const TEMP_PREFIX = 'tmp-';
const STORED_FILE = /^([0-9a-f]{64})\.(json|rows|index)$/;

const OFFSET_BYTES = 8;
/** rows and offsets are written a MiB or so at a time: few writes, little held */
const WRITE_BYTES = 1 << 20;
const READ_BYTES = 1 << 18;
const LINE_END = 0x0a;

const missingColumn = z.object({ rows: z.number().int().positive(), first_row: z.number().int().positive() });

const storedSummary = z.object({
  data_id: z.string().regex(DATA_ID),
  format: z.enum(['csv', 'json', 'jsonl']),
  rows: z.number().int().positive(),
  columns: z.array(z.string()).min(1),
  bytes: z.number().int().positive(),
  uploaded_at: z.iso.datetime(),
  // as entries, not a record: a column may be named __proto__, which a record would drop
  missing: z
    .preprocess((value) => (typeof value === 'object' && value !== null ? Object.entries(value) : value), z.array(z.tuple([z.string(), missingColumn])))
    .transform((entries) => Object.fromEntries(entries)),
});

type OpenFiles = { rows: number; index: number };

export class DataCatalog {
  private readonly summaries = new Map<string, DataSummary>();
  /** uploads being stored, by id: the same bytes uploaded meanwhile wait for them instead of storing twice */
  private readonly storing = new Map<string, Promise<DataSummary>>();
  private readonly files = new Map<string, OpenFiles>();

  private constructor(
    private readonly dir: string,
    private readonly limits: DataLimits,
  ) {}

  /** The catalog kept in `dir` (created if missing), with the files earlier runs stored there. */
  static open(dir: string, options: DataCatalogOptions = {}): DataCatalog {
    mkdirSync(dir, { recursive: true });
    const catalog = new DataCatalog(dir, { ...DEFAULT_DATA_LIMITS, ...options.limits });
    catalog.load();
    return catalog;
  }

  /**
   * Streams the body to a temp file while hashing it, then parses it into the row file and its index;
   * an id already stored returns its summary. Rejects with DataUploadError on bad input or a limit,
   * leaving no file behind.
   */
  async upload(body: NodeJS.ReadableStream | AsyncIterable<Buffer>, format: DataFormat, now = new Date()): Promise<DataSummary> {
    const temp = join(this.dir, `${TEMP_PREFIX}${randomUUID()}`);
    try {
      const { dataId, bytes } = await this.receive(body, temp + UPLOAD);
      return await (this.summaries.get(dataId) ?? this.storing.get(dataId) ?? this.storeOnce({ dataId, bytes, format, temp, now }));
    } finally {
      await Promise.all([UPLOAD, ROWS, INDEX, SUMMARY].map((ext) => rm(temp + ext, { force: true })));
    }
  }

  /** Newest first. */
  list(): DataSummary[] {
    return [...this.summaries.values()].sort((a, b) => b.uploaded_at.localeCompare(a.uploaded_at) || a.data_id.localeCompare(b.data_id));
  }

  get(dataId: string): DataSummary | undefined {
    return this.summaries.get(dataId);
  }

  delete(dataId: string): boolean {
    if (!this.summaries.delete(dataId)) return false;
    this.closeFiles(dataId);
    // the summary first: should the rest stay behind, open() removes it as a leftover
    for (const ext of [SUMMARY, ROWS, INDEX]) rmSync(this.path(dataId, ext), { force: true });
    return true;
  }

  /**
   * Rows [from, from+count) (0-based) clipped to the file, each as its values in `columns` order, null
   * where the row lacks the column. Reads only the index entries and row bytes it needs.
   */
  readRows(dataId: string, from: number, count: number): (string | null)[][] {
    const end = this.clippedEnd(dataId, from, count);
    if (end <= from) return [];
    const columns = this.summaries.get(dataId)!.columns.length;
    const files = this.filesOf(dataId);
    const offsets = readAt(files.index, (end - from + 1) * OFFSET_BYTES, from * OFFSET_BYTES);
    const start = offsets.readDoubleLE(0);
    const bytes = readAt(files.rows, offsets.readDoubleLE((end - from) * OFFSET_BYTES) - start, start);
    const rows: (string | null)[][] = [];
    for (let i = 0; i < end - from; i++) {
      // each row ends with \n, which its JSON never holds unescaped
      const text = bytes.toString('utf8', offsets.readDoubleLE(i * OFFSET_BYTES) - start, offsets.readDoubleLE((i + 1) * OFFSET_BYTES) - start - 1);
      rows.push(padded(JSON.parse(text) as (string | null)[], columns));
    }
    return rows;
  }

  /**
   * How many of rows [from, from+count), clipped to the file, fit in `maxBytes` as stored (each with one
   * separator byte); at least one if there is one, so a caller always moves on (DATA_LIMITS.rowBytes keeps
   * a row well within a message). Rows that readRows pads (a column first seen after them) are longer as
   * sent by 5 bytes per such column. Reads only the index.
   */
  rowsFitting(dataId: string, from: number, count: number, maxBytes: number): number {
    const end = this.clippedEnd(dataId, from, count);
    if (end <= from) return 0;
    const offsets = readAt(this.filesOf(dataId).index, (end - from + 1) * OFFSET_BYTES, from * OFFSET_BYTES);
    const start = offsets.readDoubleLE(0);
    let fitting = 1;
    while (fitting < end - from && offsets.readDoubleLE((fitting + 1) * OFFSET_BYTES) - start <= maxBytes) fitting++;
    return fitting;
  }

  close(): void {
    for (const dataId of [...this.files.keys()]) this.closeFiles(dataId);
  }

  /** The end of rows [from, from+count) clipped to the file; throws for an unknown id or a bad range. */
  private clippedEnd(dataId: string, from: number, count: number): number {
    const summary = this.summaries.get(dataId);
    if (!summary) throw new Error(`no data file has data_id ${dataId}`);
    if (!Number.isSafeInteger(from) || from < 0 || !Number.isSafeInteger(count) || count < 0) throw new RangeError(`rows from ${from}, count ${count}: both must be whole numbers, at least 0`);
    return Math.min(from + count, summary.rows);
  }

  /** Keeps what earlier runs stored whole; removes temp files and leftovers without a valid summary. */
  private load(): void {
    const ids = new Set<string>();
    for (const name of readdirSync(this.dir)) {
      if (name.startsWith(TEMP_PREFIX)) rmSync(join(this.dir, name), { force: true });
      const id = STORED_FILE.exec(name)?.[1];
      if (id !== undefined) ids.add(id);
    }
    for (const id of ids) {
      const summary = this.readStored(id);
      if (summary) this.summaries.set(id, summary);
      else for (const ext of [SUMMARY, ROWS, INDEX]) rmSync(this.path(id, ext), { force: true });
    }
  }

  /** An id's summary if its files are whole: the index has rows+1 offsets, the last one the row file's length. */
  private readStored(id: string): DataSummary | undefined {
    const parsed = storedSummary.safeParse(readJson(this.path(id, SUMMARY)));
    if (!parsed.success || parsed.data.data_id !== id) return undefined;
    const indexBytes = (parsed.data.rows + 1) * OFFSET_BYTES;
    if (fileSize(this.path(id, INDEX)) !== indexBytes) return undefined;
    const fd = openSync(this.path(id, INDEX), 'r');
    try {
      return readAt(fd, OFFSET_BYTES, indexBytes - OFFSET_BYTES).readDoubleLE(0) === fileSize(this.path(id, ROWS)) ? parsed.data : undefined;
    } finally {
      closeSync(fd);
    }
  }

  private async receive(body: NodeJS.ReadableStream | AsyncIterable<Buffer>, path: string): Promise<{ dataId: string; bytes: number }> {
    const hash = createHash('sha256');
    let bytes = 0;
    const file = await open(path, 'wx');
    try {
      for await (const chunk of body as AsyncIterable<Buffer | string>) {
        const data = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
        bytes += data.length;
        // thrown inside the loop: the body is closed, not read to its end
        if (bytes > this.limits.fileBytes) throw new DataUploadError(`the file is larger than ${this.limits.fileBytes} bytes (the limit)`, { limit: 'fileBytes' });
        hash.update(data);
        await writeAll(file, data);
      }
    } finally {
      await file.close();
    }
    if (bytes === 0) throw new DataUploadError('the file is empty');
    return { dataId: hash.digest('hex'), bytes };
  }

  private storeOnce(upload: Upload): Promise<DataSummary> {
    const storing = this.store(upload).finally(() => this.storing.delete(upload.dataId));
    this.storing.set(upload.dataId, storing);
    return storing;
  }

  private async store({ dataId, bytes, format, temp, now }: Upload): Promise<DataSummary> {
    const table = new DataTable(this.limits);
    const writer = await RowWriter.create(temp + ROWS, temp + INDEX, this.limits.rowBytes);
    let missing: DataSummary['missing'];
    try {
      for await (const rows of parseRows(createReadStream(temp + UPLOAD, { highWaterMark: READ_BYTES }), format, table, this.limits)) await writer.add(rows);
      missing = table.finish();
      await writer.finish();
    } finally {
      await writer.close();
    }
    const summary: DataSummary = { data_id: dataId, format, rows: table.rows, columns: table.columns, bytes, uploaded_at: now.toISOString(), missing };
    await rename(temp + ROWS, this.path(dataId, ROWS));
    await rename(temp + INDEX, this.path(dataId, INDEX));
    await writeDurably(temp + SUMMARY, JSON.stringify(summary));
    await rename(temp + SUMMARY, this.path(dataId, SUMMARY));
    this.summaries.set(dataId, summary);
    return summary;
  }

  private filesOf(dataId: string): OpenFiles {
    let files = this.files.get(dataId);
    if (!files) {
      const rows = openSync(this.path(dataId, ROWS), 'r');
      try {
        files = { rows, index: openSync(this.path(dataId, INDEX), 'r') };
      } catch (error) {
        closeSync(rows);
        throw error;
      }
      this.files.set(dataId, files);
    }
    return files;
  }

  private closeFiles(dataId: string): void {
    const files = this.files.get(dataId);
    if (!files) return;
    this.files.delete(dataId);
    closeSync(files.rows);
    closeSync(files.index);
  }

  private path(dataId: string, ext: string): string {
    return join(this.dir, dataId + ext);
  }
}

type Upload = { dataId: string; bytes: number; format: DataFormat; temp: string; now: Date };

/**
 * Appends rows to the row file and their start offsets to the index, a batch at a time. Rows go into
 * bytes at once, so their strings die young instead of waiting for a batch in the old generation.
 */
class RowWriter {
  private batchBytes = 0;
  private readonly offsets = Buffer.alloc(WRITE_BYTES);
  private offsetCount = 0;
  private position = 0;

  private constructor(
    private readonly rows: FileHandle,
    private readonly index: FileHandle,
    /** room for a batch and for any one row (rowBytes UTF-16 units at most, each 3 bytes at most) */
    private readonly batch: Buffer,
  ) {}

  static async create(rowsPath: string, indexPath: string, rowBytes: number): Promise<RowWriter> {
    const rows = await open(rowsPath, 'wx');
    try {
      return new RowWriter(rows, await open(indexPath, 'wx'), Buffer.alloc(Math.max(WRITE_BYTES, 3 * rowBytes + 1)));
    } catch (error) {
      await rows.close();
      throw error;
    }
  }

  /** Rows within the rowBytes the writer was made for. */
  async add(rows: string[]): Promise<void> {
    for (const row of rows) {
      this.offsets.writeDoubleLE(this.position, this.offsetCount++ * OFFSET_BYTES);
      if (this.offsetCount * OFFSET_BYTES === this.offsets.length) await this.flushOffsets();
      // a row that might not fit waits for the next batch: Buffer.write would cut it short
      if (this.batchBytes + 3 * row.length + 1 > this.batch.length) await this.flushRows();
      const bytes = this.batch.write(row, this.batchBytes);
      this.batch[this.batchBytes + bytes] = LINE_END;
      this.batchBytes += bytes + 1;
      this.position += bytes + 1;
    }
  }

  /** Ends the index with the row file's length and makes both durable before a summary names them. */
  async finish(): Promise<void> {
    this.offsets.writeDoubleLE(this.position, this.offsetCount++ * OFFSET_BYTES);
    await this.flushRows();
    await this.flushOffsets();
    await Promise.all([this.rows.datasync(), this.index.datasync()]);
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.rows.close(), this.index.close()]);
  }

  private async flushRows(): Promise<void> {
    await writeAll(this.rows, this.batch.subarray(0, this.batchBytes));
    this.batchBytes = 0;
  }

  private async flushOffsets(): Promise<void> {
    await writeAll(this.index, this.offsets.subarray(0, this.offsetCount * OFFSET_BYTES));
    this.offsetCount = 0;
  }
}

async function writeAll(file: FileHandle, data: Buffer): Promise<void> {
  for (let written = 0; written < data.length; ) written += (await file.write(data, written)).bytesWritten;
}

async function writeDurably(path: string, text: string): Promise<void> {
  const file = await open(path, 'wx');
  try {
    await file.writeFile(text);
    await file.datasync();
  } finally {
    await file.close();
  }
}

function readAt(fd: number, length: number, position: number): Buffer {
  const buffer = Buffer.alloc(length);
  for (let read = 0; read < length; ) {
    const got = readSync(fd, buffer, read, length - read, position + read);
    if (got === 0) throw new Error(`a data file ends at byte ${position + read}, before the ${length} bytes from ${position} its index promises`);
    read += got;
  }
  return buffer;
}

function padded(row: (string | null)[], columns: number): (string | null)[] {
  while (row.length < columns) row.push(null);
  return row;
}

function isMissingFile(error: unknown): boolean {
  return (error as NodeJS.ErrnoException).code === 'ENOENT';
}

/** A file's JSON; undefined if it is absent or no JSON (a leftover), other errors thrown. */
function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    if (isMissingFile(error) || error instanceof SyntaxError) return undefined;
    throw error;
  }
}

function fileSize(path: string): number | undefined {
  try {
    return statSync(path).size;
  } catch (error) {
    if (isMissingFile(error)) return undefined;
    throw error;
  }
}
