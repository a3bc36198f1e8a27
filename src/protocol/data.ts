import { z } from 'zod';
import { upperEnum, wireCount, wirePositiveInt } from './wireValues.js';

/**
 * Test data: files the orchestrator keeps (by the SHA-256 of their content), named in a test's `data`,
 * read by a scenario's `data` one row per iteration as `{{data.COLUMN}}`. Rows travel to drivers through
 * Kafka (data_requests / data_rows), never by a side channel: docs/protocol.md, "Test data".
 */

/** A column's name: what `{{data.COLUMN}}` can name (templates.ts's VARIABLE_NAME after `data.`). */
export const DATA_COLUMN_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** A data source's name in a test: `--data NAME=FILE`, `data: {NAME: …}`, a scenario's `data.source`. */
export const DATA_SOURCE_NAME = /^[A-Za-z_][A-Za-z0-9_-]{0,63}$/;
/** The hex SHA-256 of a file's content. */
export const DATA_ID = /^[0-9a-f]{64}$/;

export const DATA_LIMITS = {
  /** bytes of one uploaded file (the issue asks for at least 100 MB) */
  fileBytes: 256 * 1024 * 1024,
  rows: 10_000_000,
  columns: 100,
  /** one row as sent (a JSON array): a chunk of rows must fit in a Kafka message */
  rowBytes: 64 * 1024,
  /** data sources one test names */
  sources: 20,
  /** rows one data_rows message carries at most: a second's worth at 5,000 rows/s */
  rowsPerMessage: 5_000,
  /** bytes of rows one data_rows message carries at most (Kafka's default message limit is 1 MB) */
  bytesPerMessage: 512 * 1024,
} as const;

/**
 * unique: every row at most once across the fleet, handed out while the test runs; circular: each driver
 * walks every row from its own offset (driver k of n starts at k·rows/n); random: a uniformly drawn row.
 */
export const DATA_MODES = ['unique', 'circular', 'random'] as const;
export type DataMode = (typeof DATA_MODES)[number];
/** unique rows ran out: stop (the scenario ends) or cycle (hand every row out once more). */
export const ON_EXHAUSTED = ['stop', 'cycle'] as const;
export type OnExhausted = (typeof ON_EXHAUSTED)[number];

export const dataSourceName = z.string().regex(DATA_SOURCE_NAME, 'a data source name is a letter or _, then up to 63 letters, digits, _ or -');

/** A test's data: its sources by name, each the id of an uploaded file. */
export const testDataMap = z
  .record(dataSourceName, z.string().regex(DATA_ID, 'must be a data_id (the SHA-256 POST /api/data returned)'), {
    error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined),
  })
  .refine((sources) => Object.keys(sources).length <= DATA_LIMITS.sources, `at most ${DATA_LIMITS.sources} data sources`)
  .meta({ description: 'data sources by name: {NAME: data_id}; scenarios read them with data: {source: NAME}' });

export type TestData = Record<string, string>;

/** A scenario's `data`: where its rows come from and how they are dealt. */
export const scenarioData = z
  .strictObject({
    source: dataSourceName.meta({ description: "a name in the test's data" }),
    mode: z.enum(DATA_MODES).default('unique').meta({ description: 'unique (each row once across the fleet), circular (each driver walks all rows) or random' }),
    on_exhausted: z.enum(ON_EXHAUSTED).optional().meta({ description: 'unique only: stop (the scenario ends when the rows run out; the default) or cycle' }),
  })
  .superRefine((data, ctx) => {
    if (data.mode !== 'unique' && data.on_exhausted !== undefined) ctx.addIssue({ code: 'custom', path: ['on_exhausted'], message: `${data.mode} rows never run out: on_exhausted is for mode unique` });
  })
  .meta({ description: 'one row per iteration as {{data.COLUMN}}: {source, mode, on_exhausted}' });

export type ScenarioData = z.output<typeof scenarioData>;

/** Whether a unique source stops its scenarios when it runs out. */
export function stopsWhenExhausted(data: Pick<ScenarioData, 'mode' | 'on_exhausted'>): boolean {
  return data.mode === 'unique' && (data.on_exhausted ?? 'stop') === 'stop';
}

export const DATA_REQUEST_TYPES = ['TAKE_ROWS', 'READ_ROWS'] as const;

/**
 * A driver asks for rows (topic data_requests, key = its node id). TAKE_ROWS: the next unique rows, which
 * become this driver's for good; READ_ROWS: rows from `from_row` on, for circular and random sources.
 * `request_id` counts up per driver, test and source: asking again with the same id gets the same rows.
 */
export const dataRequestMessage = z.object({
  message_type: upperEnum(DATA_REQUEST_TYPES),
  test_id: z.string().trim().min(1).max(200),
  node_id: z.string().trim().min(1).max(200),
  source: dataSourceName,
  request_id: wirePositiveInt,
  rows: wirePositiveInt.pipe(z.number().max(DATA_LIMITS.rowsPerMessage, `must be at most ${DATA_LIMITS.rowsPerMessage}`)),
  from_row: wireCount.optional(),
  /** unique rows this driver has used so far: lets the orchestrator size grants to the fleet's pace */
  used: wireCount.optional(),
});

/** A row as sent: its values in the order of `columns`; null where the row lacks the column. */
const dataRow = z.array(z.string().nullable());

/**
 * The orchestrator's answer (topic data_rows, key = the driver's node id, signed like the other commands):
 * rows `first_row`… of the file (for unique, of `pass` through it), or why none.
 */
export const dataRowsMessage = z.object({
  test_id: z.string().trim().min(1).max(200),
  node_id: z.string().trim().min(1).max(200),
  source: dataSourceName,
  request_id: wirePositiveInt,
  columns: z.array(z.string().regex(DATA_COLUMN_NAME)).max(DATA_LIMITS.columns),
  first_row: wireCount,
  rows: z.array(dataRow).max(DATA_LIMITS.rowsPerMessage),
  /** the file's row count */
  total_rows: wireCount,
  /** unique: which pass through the file these rows belong to (1, 2… with on_exhausted cycle) */
  pass: wirePositiveInt.optional(),
  /** unique with on_exhausted stop: no row is left; none will come again */
  exhausted: z.boolean().optional(),
  /** the request cannot be answered (unknown test or source, a driver not in the test, the test has ended) */
  refused: z.string().max(1000).optional(),
});

export type DataRequestMessage = z.output<typeof dataRequestMessage>;
export type DataRowsMessage = z.output<typeof dataRowsMessage>;
