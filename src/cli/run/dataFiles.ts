import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { DATA_SOURCE_NAME } from '../../protocol/index.js';
import { UsageError } from '../usageError.js';
import { OrchestratorError, type OrchestratorClient } from './orchestratorClient.js';

/** A file of test data to upload: its id is the SHA-256 of its bytes, so it is known before the upload. */
export type DataUpload = { source: string; file: string; dataId: string; contentType: string; named: string };

/** The media type a file's name says; what the orchestrator parses it as. */
const CONTENT_TYPES: Record<string, string> = { '.csv': 'text/csv', '.json': 'application/json', '.jsonl': 'application/x-ndjson', '.ndjson': 'application/x-ndjson' };
const HASH_CHUNK_BYTES = 1 << 20;

/**
 * The `data` key with every file replaced by its data id, and the files to upload: `--data NAME=FILE`
 * (paths from the working folder) or a file's `data: {NAME: {file: PATH}}` (paths from `baseDir`, the
 * file's folder). A data id given as such stays. A name or file that cannot be used is exit 2, named. A
 * value of another shape is left as it is, for the key's schema to name (a plan file is judged after this).
 */
export function resolveDataFiles(value: unknown, baseDir: string): { data: Record<string, string> | undefined; uploads: DataUpload[] } {
  if (!isDataKey(value)) return { data: undefined, uploads: [] };
  const uploads: DataUpload[] = [];
  const data: Record<string, string> = {};
  const entries: [string, string | { file: string }, string][] = Array.isArray(value) ? value.map((text) => flagEntry(text)) : Object.entries(value).map(([source, entry]) => [source, entry, `data.${source}`]);
  for (const [source, entry, named] of entries) {
    if (source in data) throw new UsageError(`${named}: data source ${source} is named twice; give each source one file`);
    if (typeof entry === 'string') {
      data[source] = entry;
      continue;
    }
    // A flag's path is the working folder's; a file's, the file's folder's.
    const file = resolve(Array.isArray(value) ? '.' : baseDir, entry.file);
    const upload = { source, file, named, contentType: contentTypeOf(file, named), dataId: sha256Of(file, named) };
    uploads.push(upload);
    data[source] = upload.dataId;
  }
  return { data, uploads };
}

/** `--data` flags (a list of NAME=FILE) or a file's mapping of names to data ids or `{file}`. */
function isDataKey(value: unknown): value is string[] | Record<string, string | { file: string }> {
  if (Array.isArray(value)) return value.every((text) => typeof text === 'string');
  if (typeof value !== 'object' || value === null) return false;
  return Object.values(value).every((entry) => typeof entry === 'string' || (typeof entry === 'object' && entry !== null && typeof (entry as { file?: unknown }).file === 'string'));
}

function flagEntry(text: string): [string, { file: string }, string] {
  const named = `--data ${text}`;
  const at = text.indexOf('=');
  const source = at < 0 ? '' : text.slice(0, at);
  if (!DATA_SOURCE_NAME.test(source) || at === text.length - 1) throw new UsageError(`${named}: must be NAME=FILE, NAME a letter or _ then letters, digits, _ or - (e.g. --data users=users.csv)`);
  return [source, { file: text.slice(at + 1) }, named];
}

function contentTypeOf(file: string, named: string): string {
  const type = CONTENT_TYPES[extname(file).toLowerCase()];
  if (!type) throw new UsageError(`${named}: the file's kind is told by its name: ${Object.keys(CONTENT_TYPES).join(', ')}`);
  return type;
}

function sha256Of(file: string, named: string): string {
  let fd: number | undefined;
  try {
    fd = openSync(file, 'r');
    const hash = createHash('sha256');
    const chunk = Buffer.allocUnsafe(HASH_CHUNK_BYTES);
    for (let read = readSync(fd, chunk); read > 0; read = readSync(fd, chunk)) hash.update(chunk.subarray(0, read));
    return hash.digest('hex');
  } catch (error) {
    // A folder opens on Linux and fails at the first read (EISDIR): either way the file cannot be read.
    throw new UsageError(`${named}: ${file} cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Uploads the files the orchestrator does not keep yet (the same bytes are never sent twice). A file the
 * orchestrator refuses (a bad row, a column a template cannot name, too large) is exit 2, naming it.
 */
export async function uploadDataFiles(client: OrchestratorClient, uploads: readonly DataUpload[], say: (line: string) => void): Promise<void> {
  for (const upload of uploads) {
    if (await client.dataFile(upload.dataId)) continue;
    const stored = await client.uploadData(upload.file, upload.contentType).catch((error: unknown) => {
      if (error instanceof OrchestratorError && (error.status === 400 || error.status === 413)) throw new UsageError(`${upload.named}: ${error.message}`);
      throw error;
    });
    if (stored.data_id !== upload.dataId) throw new Error(`${upload.named}: the orchestrator stored ${upload.file} as ${stored.data_id}, not as its SHA-256 ${upload.dataId}: did the file change while it was sent?`);
    say(`data ${upload.source}: ${upload.file} uploaded, ${stored.rows} rows (${stored.columns.join(', ')})`);
  }
}
