import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, it } from 'node:test';
import fc from 'fast-check';
import { DataCatalog, dataFormatOf, DataUploadError, type DataCatalogOptions, type DataFormat, type DataSummary } from '../../src/orchestrator/data/dataCatalog.js';

let dir: string;
let opened: DataCatalog[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'stampede-data-'));
  opened = [];
});

afterEach(() => {
  for (const catalog of opened) catalog.close();
  rmSync(dir, { recursive: true, force: true });
});

function openCatalog(options?: DataCatalogOptions): DataCatalog {
  const catalog = DataCatalog.open(dir, options);
  opened.push(catalog);
  return catalog;
}

const sha256 = (bytes: string | Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The text in small pieces, as a request streams it: pieces split CR LF and multi-byte characters. */
async function* body(text: string | Buffer, pieceBytes = 7): AsyncGenerator<Buffer> {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; at += pieceBytes) yield bytes.subarray(at, at + pieceBytes);
}

function upload(catalog: DataCatalog, text: string, format: DataFormat, now?: Date): Promise<DataSummary> {
  return catalog.upload(body(text), format, now);
}

/** Uploads what must be refused: the error, after checking that the folder holds what it held before. */
async function refusal(text: string, format: DataFormat, options?: DataCatalogOptions): Promise<DataUploadError> {
  const catalog = openCatalog(options);
  const before = readdirSync(dir).sort();
  const error = await upload(catalog, text, format).then(
    (summary) => assert.fail(`expected a refusal, got ${JSON.stringify(summary)}`),
    (error: unknown) => error,
  );
  assert.ok(error instanceof DataUploadError, `expected a DataUploadError, got ${String(error)}`);
  assert.deepEqual(readdirSync(dir).sort(), before, 'a refused upload leaves no file behind');
  return error;
}

/** The three files a stored upload leaves: rows, index, summary. */
function filesOf(dataId: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.startsWith(dataId))
    .sort();
}

const CSV = 'id,name,city\n1,Ann,"Paris, FR"\n2,Bob,"say ""hi"""\n3,Cy,"two\nlines"\n4,Di,\n5,Ed,Rome\n';
const CSV_ROWS = [
  ['1', 'Ann', 'Paris, FR'],
  ['2', 'Bob', 'say "hi"'],
  ['3', 'Cy', 'two\nlines'],
  ['4', 'Di', ''],
  ['5', 'Ed', 'Rome'],
];

describe('dataFormatOf', () => {
  it('knows CSV, JSON and the JSON Lines types, parameters and case aside', () => {
    assert.equal(dataFormatOf('text/csv'), 'csv');
    assert.equal(dataFormatOf('Text/CSV; charset=utf-8'), 'csv');
    assert.equal(dataFormatOf('application/json'), 'json');
    for (const type of ['application/x-ndjson', 'application/jsonl', 'application/x-jsonlines; charset=utf-8']) assert.equal(dataFormatOf(type), 'jsonl');
  });

  it('is undefined for any other type or none', () => {
    assert.equal(dataFormatOf(undefined), undefined);
    assert.equal(dataFormatOf(''), undefined);
    assert.equal(dataFormatOf('text/plain'), undefined);
    assert.equal(dataFormatOf('application/octet-stream'), undefined);
  });
});

describe('DataCatalog: CSV', () => {
  it('summarises the file: rows, header columns, the SHA-256 of its bytes, nothing missing', async () => {
    const now = new Date('2026-03-01T10:00:00.000Z');
    const summary = await upload(openCatalog(), CSV, 'csv', now);
    assert.deepEqual(summary, { data_id: sha256(CSV), format: 'csv', rows: 5, columns: ['id', 'name', 'city'], bytes: Buffer.byteLength(CSV), uploaded_at: now.toISOString(), missing: {} });
  });

  it('reads row ranges: start, middle, end, clipped past the end, none', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, CSV, 'csv');
    assert.deepEqual(catalog.readRows(data_id, 0, 2), CSV_ROWS.slice(0, 2));
    assert.deepEqual(catalog.readRows(data_id, 1, 3), CSV_ROWS.slice(1, 4));
    assert.deepEqual(catalog.readRows(data_id, 4, 1), CSV_ROWS.slice(4));
    assert.deepEqual(catalog.readRows(data_id, 3, 100), CSV_ROWS.slice(3));
    assert.deepEqual(catalog.readRows(data_id, 5, 10), []);
    assert.deepEqual(catalog.readRows(data_id, 99, 10), []);
    assert.deepEqual(catalog.readRows(data_id, 2, 0), []);
  });

  it('ignores a UTF-8 BOM and blank lines, takes CR LF line ends and trims header names', async () => {
    const catalog = openCatalog();
    const text = '\uFEFFid, name \r\n1,Zoë\r\n\r\n2,"a\r\nb"\r\n';
    const summary = await upload(catalog, text, 'csv');
    assert.deepEqual(summary.columns, ['id', 'name']);
    assert.equal(summary.data_id, sha256(text));
    assert.deepEqual(catalog.readRows(summary.data_id, 0, 5), [
      ['1', 'Zoë'],
      ['2', 'a\r\nb'],
    ]);
  });

  it('tells how many rows from a point fit in a byte budget, by the index alone', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, CSV, 'csv');
    const stored = CSV_ROWS.map((row) => Buffer.byteLength(JSON.stringify(row)) + 1);
    assert.equal(catalog.rowsFitting(data_id, 0, 5, stored[0]! + stored[1]!), 2);
    assert.equal(catalog.rowsFitting(data_id, 0, 5, 1_000), 5);
    assert.equal(catalog.rowsFitting(data_id, 3, 5, 1_000), 2);
    assert.equal(catalog.rowsFitting(data_id, 1, 5, 1), 1, 'one row at least, so a reader moves on');
    assert.equal(catalog.rowsFitting(data_id, 5, 5, 1_000), 0);
  });
});

describe('DataCatalog: JSON array', () => {
  const JSON_TEXT = '[\n {"id": 1, "name": "Ann", "tags": ["a"]},\n {"id": 2.50, "extra": true, "name": null},\n {"name": "Cy", "nested": {"x": 1e3}, "on": false}\n]\n';

  it('takes columns in order of first appearance and counts the rows that lack each', async () => {
    const summary = await upload(openCatalog(), JSON_TEXT, 'json');
    assert.equal(summary.data_id, sha256(JSON_TEXT));
    assert.equal(summary.format, 'json');
    assert.equal(summary.rows, 3);
    assert.deepEqual(summary.columns, ['id', 'name', 'tags', 'extra', 'nested', 'on']);
    assert.deepEqual(summary.missing, {
      id: { rows: 1, first_row: 3 },
      name: { rows: 1, first_row: 2 },
      tags: { rows: 2, first_row: 2 },
      extra: { rows: 2, first_row: 1 },
      nested: { rows: 2, first_row: 1 },
      on: { rows: 2, first_row: 1 },
    });
  });

  it('reads values as text (numbers and booleans as String, objects as JSON), null where a row lacks one', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, JSON_TEXT, 'json');
    const rows = [
      ['1', 'Ann', '["a"]', null, null, null],
      ['2.5', null, null, 'true', null, null],
      [null, 'Cy', null, null, '{"x":1000}', 'false'],
    ];
    assert.deepEqual(catalog.readRows(data_id, 0, 3), rows);
    assert.deepEqual(catalog.readRows(data_id, 1, 1), rows.slice(1, 2));
    assert.deepEqual(catalog.readRows(data_id, 2, 9), rows.slice(2));
    assert.deepEqual(catalog.readRows(data_id, 3, 9), []);
    assert.deepEqual(catalog.readRows(data_id, 0, 0), []);
  });

  it('ignores a UTF-8 BOM', async () => {
    const catalog = openCatalog();
    const { data_id, columns } = await upload(catalog, '\uFEFF[{"a":"é"}]', 'json');
    assert.deepEqual(columns, ['a']);
    assert.deepEqual(catalog.readRows(data_id, 0, 1), [['é']]);
  });
});

describe('DataCatalog: JSON Lines', () => {
  const JSONL = '{"user":"ann","pin":1234}\r\n\r\n{"pin":"0000","user":"bob","note":{"a":[1]}}\n{"user":"cy","__proto__":"p"}\n';

  it('summarises and reads the rows, blank lines and CR LF aside, a column named __proto__ too', async () => {
    const catalog = openCatalog();
    const summary = await upload(catalog, `\uFEFF${JSONL}`, 'jsonl');
    assert.equal(summary.data_id, sha256(`\uFEFF${JSONL}`));
    assert.equal(summary.rows, 3);
    assert.deepEqual(summary.columns, ['user', 'pin', 'note', '__proto__']);
    assert.deepEqual(Object.entries(summary.missing), [
      ['pin', { rows: 1, first_row: 3 }],
      ['note', { rows: 2, first_row: 1 }],
      ['__proto__', { rows: 2, first_row: 1 }],
    ]);
    const rows = [
      ['ann', '1234', null, null],
      ['bob', '0000', '{"a":[1]}', null],
      ['cy', null, null, 'p'],
    ];
    assert.deepEqual(catalog.readRows(summary.data_id, 0, 3), rows);
    assert.deepEqual(catalog.readRows(summary.data_id, 1, 1), rows.slice(1, 2));
    assert.deepEqual(catalog.readRows(summary.data_id, 2, 5), rows.slice(2));
    assert.deepEqual(catalog.readRows(summary.data_id, 3, 5), []);
    assert.deepEqual(catalog.readRows(summary.data_id, 1, 0), []);
  });

  it('takes a last line without a line end', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, '{"a":"1"}\n{"a":"2"}', 'jsonl');
    assert.deepEqual(catalog.readRows(data_id, 0, 5), [['1'], ['2']]);
  });
});

describe('DataCatalog: keeping files', () => {
  it('keeps the same bytes once: a second upload, even a concurrent one, returns the first summary', async () => {
    const catalog = openCatalog();
    const first = await upload(catalog, CSV, 'csv', new Date('2026-03-01T10:00:00Z'));
    const again = await upload(catalog, CSV, 'csv', new Date('2026-03-02T10:00:00Z'));
    assert.deepEqual(again, first);
    const text = '{"a":"x"}\n';
    const [one, other] = await Promise.all([upload(catalog, text, 'jsonl'), upload(catalog, text, 'jsonl')]);
    assert.equal(one.data_id, other.data_id);
    assert.deepEqual(readdirSync(dir).sort(), [...filesOf(first.data_id), ...filesOf(one.data_id)].sort());
    assert.equal(readdirSync(dir).length, 6);
    assert.equal(catalog.list().length, 2);
  });

  it('lists newest first and gets by id', async () => {
    const catalog = openCatalog();
    const older = await upload(catalog, CSV, 'csv', new Date('2026-03-01T10:00:00Z'));
    const newer = await upload(catalog, '[{"a":"1"}]', 'json', new Date('2026-03-02T10:00:00Z'));
    assert.deepEqual(
      catalog.list().map((summary) => summary.data_id),
      [newer.data_id, older.data_id],
    );
    assert.deepEqual(catalog.get(older.data_id), older);
    assert.equal(catalog.get('0'.repeat(64)), undefined);
  });

  it('finds what an earlier run stored, and reads it', async () => {
    const csv = await upload(openCatalog(), CSV, 'csv');
    const jsonl = await upload(openCatalog(), '{"a":"1"}\n{"b":"2"}\n', 'jsonl');
    const restarted = openCatalog();
    assert.deepEqual(new Set(restarted.list()), new Set([csv, jsonl].map((summary) => restarted.get(summary.data_id))));
    assert.deepEqual(restarted.get(csv.data_id), csv);
    assert.deepEqual(restarted.get(jsonl.data_id), jsonl);
    assert.deepEqual(restarted.readRows(csv.data_id, 2, 2), CSV_ROWS.slice(2, 4));
    assert.deepEqual(restarted.readRows(jsonl.data_id, 0, 2), [
      ['1', null],
      [null, '2'],
    ]);
  });

  it('removes what an unfinished upload left, keeping whole entries and foreign files', async () => {
    const kept = await upload(openCatalog(), CSV, 'csv');
    const unfinished = 'a'.repeat(64);
    const corrupt = 'b'.repeat(64);
    for (const name of ['tmp-1234.upload', 'tmp-1234.rows', `${unfinished}.rows`, `${unfinished}.index`, `${corrupt}.rows`, `${corrupt}.index`, 'notes.txt']) writeFileSync(join(dir, name), 'x');
    writeFileSync(join(dir, `${corrupt}.json`), '{"data_id":');
    const restarted = openCatalog();
    assert.deepEqual(
      restarted.list().map((summary) => summary.data_id),
      [kept.data_id],
    );
    assert.deepEqual(readdirSync(dir).sort(), [...filesOf(kept.data_id), 'notes.txt'].sort());
  });

  it('deletes an entry with its files; an unknown id is no entry', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, CSV, 'csv');
    catalog.readRows(data_id, 0, 1);
    assert.equal(catalog.delete(data_id), true);
    assert.deepEqual(readdirSync(dir), []);
    assert.equal(catalog.get(data_id), undefined);
    assert.deepEqual(catalog.list(), []);
    assert.throws(() => catalog.readRows(data_id, 0, 1), /no data file has data_id/);
    assert.equal(catalog.delete(data_id), false);
    assert.deepEqual(openCatalog().list(), []);
  });

  it('refuses a negative or fractional row range', async () => {
    const catalog = openCatalog();
    const { data_id } = await upload(catalog, CSV, 'csv');
    assert.throws(() => catalog.readRows(data_id, -1, 2), RangeError);
    assert.throws(() => catalog.readRows(data_id, 0, 1.5), RangeError);
  });
});

describe('DataCatalog: refusals', () => {
  it('refuses an empty file or one without data rows', async () => {
    for (const format of ['csv', 'json', 'jsonl'] as const) assert.match((await refusal('', format)).message, /the file is empty/);
    assert.match((await refusal('id,name\n', 'csv')).message, /no data rows/);
    assert.match((await refusal('\n\n', 'csv')).message, /no header line/);
    assert.match((await refusal('[]', 'json')).message, /no data rows/);
    assert.match((await refusal('\n\r\n\n', 'jsonl')).message, /no data rows/);
    assert.match((await refusal('[{}, {}]', 'json')).message, /no columns/);
  });

  it('refuses a CSV without a header, with an empty or a repeated name', async () => {
    const headerless = await refusal('1,2\n3,4\n', 'csv');
    assert.match(headerless.message, /^the header \(line 1\), column 1: the column name "1" cannot be used: templates use \{\{data\.COLUMN\}\}, so a column name is a letter or _ followed by up to 63 letters, digits or _/);
    assert.equal(headerless.field, '1');
    assert.match((await refusal('id,,name\n1,2,3\n', 'csv')).message, /^the header \(line 1\) has no name for column 2/);
    const repeated = await refusal('id,name,id\n1,2,3\n', 'csv');
    assert.match(repeated.message, /^the header \(line 1\) names "id" twice \(columns 1 and 3\)/);
    assert.equal(repeated.field, 'id');
  });

  it('refuses a CSV row with more or fewer fields than the header, naming its line', async () => {
    const fewer = await refusal('a,b\n1,2\n"x\ny",2\n3\n', 'csv');
    assert.equal(fewer.message, 'line 5 has 1 fields, but the header (line 1) has 2');
    assert.equal(fewer.line, 5);
    assert.match((await refusal('a,b\r\n1,2,3\r\n', 'csv')).message, /^line 2 has 3 fields, but the header \(line 1\) has 2$/);
  });

  it('refuses a CSV that cannot be parsed, naming the line', async () => {
    assert.match((await refusal('a,b\n1,2\n3,"open\n', 'csv')).message, /^the CSV cannot be read at line \d: Quote Not Closed/);
  });

  it('refuses JSON that is not an array of objects, naming the element', async () => {
    assert.match((await refusal('{"a":1}', 'json')).message, /^the JSON must be an array of objects, but it is an object$/);
    assert.match((await refusal('"a"', 'json')).message, /but it is a string/);
    const element = await refusal('[{"a":1}, {"a":2}, [3]]', 'json');
    assert.equal(element.message, "the JSON array's element at index 2 (row 3) is an array, not an object");
    assert.equal(element.row, 3);
    assert.match((await refusal('[{"a":1}, null]', 'json')).message, /index 1 \(row 2\) is null, not an object/);
  });

  it('refuses malformed JSON, naming where', async () => {
    assert.match((await refusal('[{"a":1},\n{"a":2},\n{"a" 3}]', 'json')).message, /^the JSON cannot be read on line 3 \(after 2 complete elements\): Parser cannot parse input: expected ':'$/);
    assert.match((await refusal('[{"a":1}', 'json')).message, /^the JSON cannot be read on line 1 \(after 1 complete element\): /);
    assert.match((await refusal('[{"a":1}]\n\n[', 'json')).message, /^the JSON cannot be read on line 3/);
  });

  it('refuses a JSON Lines line that is no JSON object, naming the line', async () => {
    const array = await refusal('{"a":1}\n\n[1]\n', 'jsonl');
    assert.equal(array.message, 'line 3 is an array, not a JSON object');
    assert.equal(array.line, 3);
    assert.match((await refusal('{"a":1}\r\n{"a":\r\n', 'jsonl')).message, /^line 2 is not JSON: /);
    assert.match((await refusal('"a"\n', 'jsonl')).message, /^line 1 is a string, not a JSON object$/);
  });

  it('refuses a column name templates cannot use, telling the rule', async () => {
    const json = await refusal('[{"a":1}, {"a":2, "first name":3}]', 'json');
    assert.match(json.message, /^the element at index 1 \(row 2\): the column name "first name" cannot be used: templates use \{\{data\.COLUMN\}\}, so a column name is a letter or _ followed by up to 63 letters, digits or _$/);
    assert.equal(json.field, 'first name');
    const jsonl = await refusal(`{"a":1}\n{"${'x'.repeat(65)}":2}\n`, 'jsonl');
    assert.match(jsonl.message, /^line 2 \(row 2\): the column name "x{65}" cannot be used: templates use \{\{data\.COLUMN\}\}/);
    assert.match((await refusal('id,e-mail\n1,2\n', 'csv')).message, /column 2: the column name "e-mail" cannot be used/);
  });

  it('refuses more columns than the limit, naming the column', async () => {
    const limits = { columns: 3 };
    const csv = await refusal('a,b,c,d\n1,2,3,4\n', 'csv', { limits });
    assert.match(csv.message, /column 4: column "d" is one more than the 3 columns a file may have/);
    assert.equal(csv.limit, 'columns');
    const jsonl = await refusal('{"a":1,"b":2}\n{"a":1,"c":3}\n{"d":4}\n', 'jsonl', { limits });
    assert.match(jsonl.message, /^line 3 \(row 3\): column "d" is one more than the 3 columns/);
    assert.equal(jsonl.field, 'd');
  });

  it('refuses more rows than the limit', async () => {
    const limits = { rows: 2 };
    assert.equal((await upload(openCatalog({ limits }), 'a\n1\n2\n', 'csv')).rows, 2);
    const csv = await refusal('a\n1\n2\n3\n', 'csv', { limits });
    assert.match(csv.message, /^more than 2 rows \(the limit\)/);
    assert.equal(csv.limit, 'rows');
    assert.match((await refusal('{"a":1}\n{"a":2}\n\n{"a":3}\n', 'jsonl', { limits })).message, /^more than 2 rows \(the limit\): line 4 is row 3$/);
    assert.match((await refusal('[{"a":1},{"a":2},{"a":3}]', 'json', { limits })).message, /^more than 2 rows/);
  });

  it('refuses a file over the byte limit, reading no further than the limit', async () => {
    let pieces = 0;
    async function* endless(): AsyncGenerator<Buffer> {
      yield Buffer.from('a,b\n');
      for (;;) {
        pieces++;
        yield Buffer.from('1,2\n'.repeat(25));
      }
    }
    const catalog = openCatalog({ limits: { fileBytes: 1_000 } });
    const error = await catalog.upload(endless(), 'csv').then(
      () => assert.fail('expected a refusal'),
      (error: unknown) => error,
    );
    assert.ok(error instanceof DataUploadError);
    assert.equal(error.message, 'the file is larger than 1000 bytes (the limit)');
    assert.equal(error.limit, 'fileBytes');
    assert.equal(pieces, 10, 'the tenth piece of 100 bytes passes the limit');
    assert.deepEqual(readdirSync(dir), []);
    assert.equal((await upload(catalog, `a\n${'1\n'.repeat(498)}`, 'csv')).bytes, 998);
  });

  it('refuses a row longer than the limit as stored, naming it; a row at the limit passes', async () => {
    const limits = { rowBytes: 20 };
    // ["1","éééééé"] is 20 bytes: é takes two
    assert.equal((await upload(openCatalog({ limits }), 'a,b\n1,éééééé\n', 'csv')).rows, 1);
    const csv = await refusal('a,b\n1,éééééé\n2,ééééééé\n', 'csv', { limits });
    assert.equal(csv.message, 'row 2 is longer than 20 bytes (the limit for one row)');
    assert.equal(csv.limit, 'rowBytes');
    assert.equal(csv.row, 2);
    assert.match((await refusal(`a,b\n1,2\n3,${'x'.repeat(50)}\n`, 'csv', { limits })).message, /^row 2 \(line 3\) is longer than 20 bytes/);
    assert.match((await refusal('{"a":"1"}\n{"a":"123456789012345678"}\n', 'jsonl', { limits })).message, /^row 2 \(line 2\) is longer than 20 bytes/);
    assert.match((await refusal(`{"a":"1"}\n{"a":"${'x'.repeat(200)}"}\n`, 'jsonl', { limits })).message, /^row 2 \(line 2\) is longer than 20 bytes/);
    assert.match((await refusal('[{"a":"1"},{"a":"123456789012345678"}]', 'json', { limits })).message, /^row 2 is longer than 20 bytes/);
    assert.match((await refusal(`[{"a":"1"},{"a":[${'1,'.repeat(100)}1]}]`, 'json', { limits })).message, /^row 2 is longer than 20 bytes/);
    assert.match((await refusal(`[{"a":"1"},\n{"a":"${'x'.repeat(10_000)}"}]`, 'json', { limits })).message, /^row 2 \(line 2\) is longer than 20 bytes/);
  });
});

/** Text a CSV writer would quote: separators, quotes, line ends, spaces, more than ASCII. */
const field = fc.string({ unit: fc.oneof(fc.constantFrom(',', '"', '\n', '\r\n', '\r', ' ', 'é', '😀', '\u2028'), fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 1 })), maxLength: 12 });

function csvField(value: string): string {
  return value === '' || /[",\r\n]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value;
}

describe('DataCatalog: round trips', () => {
  it('reads back any rows of text written as CSV', async () => {
    const catalog = openCatalog();
    const table = fc.integer({ min: 1, max: 4 }).chain((columns) => fc.array(fc.array(field, { minLength: columns, maxLength: columns }), { minLength: 1, maxLength: 6 }).map((rows) => ({ columns, rows })));
    await fc.assert(
      fc.asyncProperty(table, fc.boolean(), async ({ columns, rows }, crlf) => {
        const header = Array.from({ length: columns }, (_, i) => `c${i}`);
        const end = crlf ? '\r\n' : '\n';
        const text = [header, ...rows].map((row) => row.map(csvField).join(',') + end).join('');
        const summary = await upload(catalog, text, 'csv');
        assert.deepEqual(summary.columns, header);
        assert.equal(summary.rows, rows.length);
        assert.deepEqual(catalog.readRows(summary.data_id, 0, rows.length), rows);
      }),
      { numRuns: 40 },
    );
  });

  it('reads back any objects written as JSON Lines, with the columns and missing counts they imply', async () => {
    const catalog = openCatalog();
    const record = fc.dictionary(fc.constantFrom('a', 'b', 'c', 'd'), fc.option(field, { nil: null }), { minKeys: 1 });
    await fc.assert(
      fc.asyncProperty(fc.array(record, { minLength: 1, maxLength: 6 }), async (records) => {
        const text = records.map((values) => JSON.stringify(values)).join('\n');
        const columns = [...new Set(records.flatMap((values) => Object.keys(values)))];
        const summary = await upload(catalog, text, 'jsonl');
        assert.deepEqual(summary.columns, columns);
        assert.deepEqual(
          catalog.readRows(summary.data_id, 0, records.length),
          records.map((values) => columns.map((name) => values[name] ?? null)),
        );
        for (const name of columns) {
          const lacking = records.flatMap((values, i) => (values[name] == null ? [i + 1] : []));
          assert.deepEqual(summary.missing[name], lacking.length ? { rows: lacking.length, first_row: lacking[0] } : undefined);
        }
      }),
      { numRuns: 40 },
    );
  });
});

describe('DataCatalog: memory', () => {
  /** A CSV generated piece by piece, never whole: ~100 bytes a row. */
  async function* generatedCsv(rows: number): AsyncGenerator<Buffer> {
    yield Buffer.from('id,name,email,city,token\n');
    const perPiece = 2_000;
    for (let first = 0; first < rows; first += perPiece) {
      let piece = '';
      for (let i = first; i < Math.min(rows, first + perPiece); i++) piece += `${i},user-${i}-name,user${i}@example.com,"Paris, FR",${(i * 2654435761).toString(16).padStart(12, '0')}${'0'.repeat(24)}\n`;
      yield Buffer.from(piece);
    }
  }

  it('streams a 20 MB upload with memory growth well below the file size', async () => {
    const catalog = openCatalog();
    // a small upload first: the heap grows to its working size, which is not what this measures
    await catalog.upload(generatedCsv(100_000), 'csv');
    const rows = 210_000;
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 10);
    try {
      const summary = await catalog.upload(generatedCsv(rows), 'csv');
      peak = Math.max(peak, process.memoryUsage().rss);
      assert.equal(summary.rows, rows);
      assert.ok(summary.bytes > 19_000_000, `the file has ${summary.bytes} bytes`);
      assert.ok(peak - before < summary.bytes / 2, `RSS grew by ${peak - before} bytes for a file of ${summary.bytes}`);
      assert.deepEqual(catalog.readRows(summary.data_id, rows - 1, 5)[0]?.slice(0, 2), [`${rows - 1}`, `user-${rows - 1}-name`]);
    } finally {
      clearInterval(sampler);
    }
  });
});
