import { KEY_OF_FIELD, TEST_KEY_NAMES, TEST_KEYS, type FlagKind, type Scenario, type TestKey, type TestKeyName } from '../../api/index.js';
import { TEST_TYPES } from '../../protocol/index.js';
import { parseNonNegativeNumber, parsePositiveInt, type OptionSpec } from '../args.js';
import { UsageError } from '../usageError.js';
import { parseDuration, parseStage, parseWarmup } from './loadShapeFlags.js';

/**
 * `stampede run`'s test flags, derived from the test keys (src/api/testKeys.ts): one per key that has a
 * flag, read by its kind's rule, so a flag and a scenario-file key are one declaration and one translation.
 */

type FlagValue = string | boolean | (string | boolean)[] | undefined;
export type TestFlagValues = Record<string, FlagValue>;

const WITH_FLAG = TEST_KEY_NAMES.filter((key) => TEST_KEYS[key].flag !== null);

function specOf(key: TestKeyName): TestKey {
  return TEST_KEYS[key];
}

/** The parseArgs options of every test key's flag. */
export const TEST_FLAG_OPTIONS: OptionSpec = Object.fromEntries(
  WITH_FLAG.map((key) => {
    const spec = specOf(key);
    return [spec.flag!, { type: spec.kind === 'switch' ? 'boolean' : 'string', ...(spec.repeatable ? { multiple: true } : {}) }];
  }),
);

/** The flag behind each body field a test key sets (`message_count_per_driver` → `--count`). */
export const FLAG_OF_FIELD: Readonly<Record<string, string>> = Object.fromEntries(
  Object.entries(KEY_OF_FIELD).flatMap(([field, key]) => {
    const flag = specOf(key).flag;
    return flag === null ? [] : [[field, `--${flag}`]];
  }),
);

/** The test keys' lines of --help: the flag and its value's name in a column, then its help. */
export function testFlagsHelp(column = 28): string {
  return WITH_FLAG.flatMap((key) => {
    const spec = specOf(key);
    const head = `  --${spec.flag}${spec.valueName ? ` ${spec.valueName}` : ''}`;
    const [first = '', ...rest] = spec.help;
    return [`${head.padEnd(column)}${first}`, ...rest.map((line) => `${' '.repeat(column)}${line}`)];
  }).join('\n');
}

/** The key a flag sets, when it is a test key's flag. */
export function keyOfFlag(flag: string): TestKeyName | undefined {
  return WITH_FLAG.find((key) => specOf(key).flag === flag);
}

/**
 * Every test key given as a flag, each read by its flag's rule first, so a mistake names the flag:
 * `--count -5` is "--count must be a positive integer". `target` is left to the caller, which makes a
 * request of it with --method, --header and --body.
 */
export function keysFromFlags(values: TestFlagValues): Partial<Scenario> {
  const keys: Record<string, unknown> = {};
  for (const key of WITH_FLAG) {
    const spec = specOf(key);
    const value = values[spec.flag!];
    if (value === undefined || key === 'target') continue;
    keys[key] = Array.isArray(value) ? value.map((item) => readFlag(spec.kind, String(item), spec.flag!)) : readFlag(spec.kind, value, spec.flag!);
  }
  return keys as Partial<Scenario>;
}

function readFlag(kind: FlagKind, value: string | boolean, flag: string): unknown {
  if (typeof value === 'boolean') return value;
  switch (kind) {
    case 'positive-int':
      return parsePositiveInt(value, flag, 0);
    case 'non-negative-number':
      return parseNonNegativeNumber(value, flag, 0);
    case 'test-type':
      return testType(value).toLowerCase();
    case 'url':
      return targetUrl(value, flag);
    case 'duration':
      parseDuration(value, flag);
      return value;
    case 'stage':
      parseStage(value);
      return value;
    case 'warmup':
      parseWarmup(value);
      return value;
    case 'drivers':
      return drivers(value);
    case 'switch':
    case 'text':
      return value;
  }
}

/** A count of live drivers, or (as the API allows) a comma-separated list of driver ids. */
function drivers(value: string): number | string {
  if (/^\d+$/.test(value.trim())) return parsePositiveInt(value, 'drivers', 0);
  if (value.split(',').some((id) => id.trim() === '')) throw new UsageError(`--drivers must be a count or comma-separated driver ids, got "${value}"`);
  return value;
}

export function testType(value: string): (typeof TEST_TYPES)[number] {
  const type = TEST_TYPES.find((name) => name === value.toUpperCase());
  if (!type) throw new UsageError(`--type must be ${TEST_TYPES.map((name) => name.toLowerCase()).join(' or ')}, got "${value}"`);
  return type;
}

export function targetUrl(value: string, flag: string): string {
  const url = URL.canParse(value) ? new URL(value) : undefined;
  if (!url || (url.protocol !== 'http:' && url.protocol !== 'https:')) throw new UsageError(`--${flag} must be an http(s) URL, got "${value}"`);
  return url.href;
}
