import { z } from 'zod';
import { durationSeconds, hasDurationUnit, LOAD_MODEL_SPECS, parseStageText, TEST_TYPES } from '../protocol/index.js';

/**
 * A test as a person writes it: the keys of a scenario or plan file (`count: 500`), each also a `stampede
 * run` flag (`--count 500`). This table is the one declaration of a key: its flag, its help, the shape of
 * its value in a file, how a flag's text becomes that value, and which create-test body fields it sets. The
 * file schema, the translation to the REST body, the CLI's options and --help, and the names a body's
 * problems are reported under all derive from it (scenario.ts, cli/commands/run.ts).
 */

/** A problem found in a key's value: `path` starts at the key. */
export type KeyIssue = { path: (string | number)[]; message: string };

/**
 * How a flag's text is checked before it becomes the key's value (the CLI holds each kind's rule, whose
 * message names the flag): numbers become numbers, the others stay text for the key's own translation.
 */
export type FlagKind = 'text' | 'positive-int' | 'non-negative-number' | 'switch' | 'test-type' | 'url' | 'duration' | 'stage' | 'warmup' | 'drivers';

export type TestKey = {
  /** The `stampede run` flag; null: only in files. */
  flag: string | null;
  kind: FlagKind;
  /** The flag may be given again: each value adds to the key's list. */
  repeatable?: boolean;
  /** What --help calls the flag's value. */
  valueName?: string;
  /** --help's lines for the flag (the first is the file key's description too). */
  help: readonly string[];
  /** The key's value in a file. */
  schema: z.ZodType;
  /** The create-test body fields it sets, so a body's problem is named at this key. */
  fields: readonly string[];
  /** Its body fields; absent: the value, as is, in its one field. */
  toBody?: (value: never, issues: KeyIssue[]) => Record<string, unknown>;
};

const durationText = z.union([z.number(), z.string()], { error: 'must be a duration such as 30s, 1m30s or 500ms (a bare number is seconds)' });
const number = z.number({ error: 'must be a number' });
const TYPES = TEST_TYPES.map((t) => t.toLowerCase()).join(', ');

export const TEST_KEYS = {
  type: {
    flag: 'type',
    kind: 'test-type',
    valueName: 'TYPE',
    help: ['the load model (required without scenarios):', ...TEST_TYPES.map((t) => `  ${t.toLowerCase()}: ${LOAD_MODEL_SPECS[t].description}`)],
    schema: z.string({ error: `must be one of ${TYPES}` }),
    fields: ['test_type'],
    toBody: (value: string) => ({ test_type: TEST_TYPES.find((t) => t === value.toUpperCase()) ?? value }),
  },
  count: {
    flag: 'count',
    kind: 'positive-int',
    valueName: 'N',
    help: ['requests per driver (required unless --duration or --stage sets it)'],
    schema: number,
    fields: ['message_count_per_driver'],
  },
  duration: {
    flag: 'duration',
    kind: 'duration',
    valueName: 'D',
    help: ['start requests for D (30s, 1m30s): with --rate or --delay-ms the count', 'is rate × duration; an AVALANCHE without a rate runs for D (--count caps it)'],
    schema: durationText,
    fields: ['duration_s'],
    toBody: (value: number | string, issues: KeyIssue[]) => ({ duration_s: seconds(value, ['duration'], issues) }),
  },
  stages: {
    flag: 'stage',
    kind: 'stage',
    repeatable: true,
    valueName: 'D:R',
    help: [
      "a stage of a ramping arrival rate per driver (k6's duration:target):",
      'over D the rate moves linearly to R req/s; repeatable, e.g.',
      '--stage 30s:500 --stage 1m:500 --stage 10s:0 (ramp up, hold, ramp down);',
      'a stage to 0 after 0 is a pause; the count is the plan\'s integral',
    ],
    schema: z.array(z.union([z.string(), z.looseObject({})], { error: 'must be "DURATION:TARGET_RPS" such as "30s:500", or {duration_s, target_rps}' }), { error: 'must be a list of stages' }),
    fields: ['stages'],
    toBody: (value: (string | object)[], issues: KeyIssue[]) => ({ stages: value.map((stage, i) => (typeof stage === 'string' ? stageOf(stage, i, issues) : stage)) }),
  },
  start_rate: {
    flag: 'start-rate',
    kind: 'non-negative-number',
    valueName: 'R',
    help: ['the rate the first --stage ramps from (default 0)'],
    schema: number,
    fields: ['start_rps'],
  },
  delay_ms: {
    flag: 'delay-ms',
    kind: 'non-negative-number',
    valueName: 'D',
    help: ['TSUNAMI: milliseconds between request starts on each driver'],
    schema: number,
    fields: ['test_message_delay'],
  },
  rate: {
    flag: 'rate',
    kind: 'non-negative-number',
    valueName: 'R',
    help: ['requests per second per driver (default: no cap)'],
    schema: number,
    fields: ['throughput_per_driver'],
  },
  target: {
    flag: 'target',
    kind: 'url',
    valueName: 'URL',
    help: ['the URL every request goes to (required, e.g. http://127.0.0.1:8080/ping)'],
    schema: z.string({ error: 'must be an http(s) URL' }),
    fields: ['target_url'],
  },
  drivers: {
    flag: 'drivers',
    kind: 'drivers',
    valueName: 'K|ID,…',
    help: ['how many of the live drivers take part, or which ones (default: all)'],
    schema: z.union([z.number(), z.string(), z.array(z.string())], { error: 'must be a count, or driver ids (a list or comma-separated)' }),
    fields: ['drivers'],
    toBody: (value: number | string | string[]) => ({ drivers: typeof value === 'string' ? driverList(value) : value }),
  },
  concurrency: {
    flag: 'concurrency',
    kind: 'positive-int',
    valueName: 'C',
    help: ['AVALANCHE: most requests in flight per driver'],
    schema: number,
    fields: ['concurrency'],
  },
  pipelining: {
    flag: 'pipelining',
    kind: 'positive-int',
    valueName: 'P',
    help: ['requests written on one connection before the first is answered (default 1: none)'],
    schema: number,
    fields: ['pipelining'],
  },
  timeout_ms: {
    flag: 'timeout-ms',
    kind: 'positive-int',
    valueName: 'T',
    help: ['per-request timeout'],
    schema: number,
    fields: ['timeout_ms'],
  },
  max_duration: {
    flag: 'max-duration',
    kind: 'duration',
    valueName: 'D',
    help: ['the test fails and every driver stops once D (10m) has passed since the trigger'],
    schema: durationText,
    fields: ['max_duration_s'],
    toBody: (value: number | string, issues: KeyIssue[]) => ({ max_duration_s: seconds(value, ['max_duration'], issues) }),
  },
  warmup: {
    flag: 'warmup',
    kind: 'warmup',
    valueName: 'N|D',
    help: ['requests (N) or seconds (D, e.g. 10s) per driver sent first, the same', 'way, and kept out of every figure'],
    schema: z.union([z.number(), z.string()], { error: 'must be a count of requests (200) or a duration (10s)' }),
    fields: ['warmup_count_per_driver', 'warmup_s'],
    toBody: (value: number | string, issues: KeyIssue[]) => warmupFields(value, issues),
  },
  tls_insecure: {
    flag: 'tls-insecure',
    kind: 'switch',
    help: ['accept any TLS certificate of the target (self-signed)'],
    schema: z.boolean({ error: 'must be true or false' }),
    fields: ['tls_insecure'],
  },
  thresholds: {
    flag: 'threshold',
    kind: 'text',
    repeatable: true,
    valueName: 'EXPR',
    help: [
      'pass/fail criterion on the figures; repeatable:',
      '  p95<200  p99<=500  median<50  mean<…  max<…  min>…  mode<…  p90<…  (ms)',
      '  errors<1%  (error rate)   errors<=5  (count)   rps>=900  (completed/s)',
      '  per step: p99[login]<300  errors[create]<1%;  checks>99%  iteration_p95<2000',
      '  dropped_iterations==0;   operators: < <= > >= ==',
    ],
    schema: z.array(z.string({ error: 'must be a threshold such as p95<200' }), { error: 'must be a list of thresholds such as ["p95<200", "errors<1%"]' }),
    // Judged by the CLI or the plan, not sent with the test.
    fields: [],
    toBody: () => ({}),
  },
  find_capacity: {
    flag: null,
    kind: 'text',
    help: ['a capacity search: {slo: ["p99<50", "errors<1%"], from: 100, to: 20000, step_s: 5}, as in the REST body'],
    schema: z.record(z.string(), z.unknown(), { error: 'must be a capacity search: {slo: [p99<50], from, to, step_s}' }),
    fields: ['find_capacity'],
  },
  requests: {
    flag: null,
    kind: 'text',
    help: ['a weighted mix of requests, as in the REST body'],
    schema: z.array(z.unknown(), { error: 'must be a list of requests' }),
    fields: ['requests'],
  },
  data: {
    flag: 'data',
    kind: 'text',
    repeatable: true,
    valueName: 'NAME=FILE',
    help: [
      "test data for scenarios: FILE (CSV with a header row, a JSON array, JSON Lines)",
      "uploaded as data source NAME, read by a scenario's data: {source: NAME, mode};",
      'repeatable. In a file: data: {NAME: {file: PATH}} (PATH from the file\'s folder)',
    ],
    schema: z.union([z.array(z.string()), z.record(z.string(), z.union([z.string(), z.strictObject({ file: z.string() })]))], {
      error: 'must map data source names to files ({users: {file: users.csv}}) or to data ids, or be a list of NAME=FILE',
    }),
    fields: ['data'],
    toBody: (value: string[] | Record<string, string | { file: string }>, issues: KeyIssue[]) => ({ data: uploadedDataIds(value, issues) }),
  },
  scenarios: {
    flag: null,
    kind: 'text',
    help: ['user journeys: named scenarios, each with an executor and a flow, as in the REST body'],
    schema: z.record(z.string(), z.unknown(), { error: 'must be a mapping of scenario names to scenarios' }),
    fields: ['scenarios'],
  },
} satisfies Record<string, TestKey>;

export type TestKeyName = keyof typeof TEST_KEYS;
export const TEST_KEY_NAMES = Object.keys(TEST_KEYS) as TestKeyName[];

/** The key a body field comes from, so the body's "field: problem" names what the user wrote. */
export const KEY_OF_FIELD: Readonly<Record<string, TestKeyName>> = Object.fromEntries(TEST_KEY_NAMES.flatMap((key) => TEST_KEYS[key].fields.map((field) => [field, key])));

/** A key's body fields (an issue found while translating it is pushed to `issues`). */
export function keyToBody(key: TestKeyName, value: unknown, issues: KeyIssue[]): Record<string, unknown> {
  const spec: TestKey = TEST_KEYS[key];
  if (spec.toBody) return (spec.toBody as (value: unknown, issues: KeyIssue[]) => Record<string, unknown>)(value, issues);
  return { [spec.fields[0]!]: value };
}

/**
 * The data ids of a test's data: `stampede run` uploads each file and puts its id in place of it
 * (src/cli/run/dataFiles.ts); over REST a file cannot be read, so a name must map to an uploaded file's id.
 */
function uploadedDataIds(value: string[] | Record<string, string | { file: string }>, issues: KeyIssue[]): Record<string, string> | undefined {
  if (Array.isArray(value) || Object.values(value).some((entry) => typeof entry !== 'string')) {
    issues.push({ path: ['data'], message: 'names files, which stampede run uploads; without it give each source the data_id POST /api/data returned' });
    return undefined;
  }
  return value as Record<string, string>;
}

/** `--drivers 3` is a count, `--drivers d1,d2` names them. */
function driverList(text: string): number | string[] {
  return /^\s*\d+\s*$/.test(text) ? Number(text) : text.split(',').map((id) => id.trim());
}

function warmupFields(warmup: number | string, issues: KeyIssue[]): Record<string, unknown> {
  if (typeof warmup === 'number' || /^\s*\d+\s*$/.test(warmup)) return { warmup_count_per_driver: Number(warmup) };
  if (!hasDurationUnit(warmup)) {
    issues.push({ path: ['warmup'], message: `must be a count of requests (200) or a duration (10s), got "${warmup}"` });
    return {};
  }
  return { warmup_s: durationSeconds(warmup) };
}

function seconds(value: number | string, path: KeyIssue['path'], issues: KeyIssue[]): number | undefined {
  const result = typeof value === 'number' ? value : durationSeconds(value);
  if (result === undefined || !(result > 0)) issues.push({ path, message: `must be a duration > 0 such as 30s, 1m30s or 500ms, got ${JSON.stringify(value)}` });
  return result;
}

function stageOf(text: string, index: number, issues: KeyIssue[]): unknown {
  const stage = parseStageText(text);
  if (!stage) issues.push({ path: ['stages', index], message: `must be DURATION:TARGET_RPS such as 30s:500, got "${text}"` });
  return stage ?? text;
}
