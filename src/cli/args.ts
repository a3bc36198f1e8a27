import { parseArgs, type ParseArgsConfig } from 'node:util';
import { closestName } from './closestName.js';
import { UsageError } from './usageError.js';
import { LOG_FORMATS, setLogFormat } from '../log/logger.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

type Token = NonNullable<ReturnType<typeof parseArgs>['tokens']>[number];

/** `-1`, `-0.5`, `-2e3`: a value, not an option, so `--warmup -1` is judged as a number. */
const NEGATIVE_NUMBER = /^-(\d|\.\d)/;

/**
 * Parses flags strictly, with a message a person can act on for each mistake: an unknown flag names
 * the closest known one, a flag given twice names both values, a missing value says which flag lacks
 * it. Node's own strict mode would refuse `--warmup -1` as ambiguous; a negative number is taken as
 * the flag's value here, so the flag's own check can say what is wrong with it.
 */
export function parseFlags<T extends OptionSpec>(argv: string[], options: T, command?: string) {
  const spec = { ...options, help: { type: 'boolean', short: 'h' } } as const;
  const { tokens } = parseArgs({ args: argv, options: spec, strict: false, allowPositionals: true, tokens: true });
  const seen = new Map<string, Token & { kind: 'option' }>();
  for (const token of tokens) {
    if (token.kind !== 'option') continue;
    checkOption(token, spec, command);
    const earlier = seen.get(token.name);
    if (earlier && !spec[token.name]?.multiple) throw new UsageError(`${token.rawName} is given twice${twoValues(earlier, token)}; give it once`);
    seen.set(token.name, token);
  }
  try {
    return parseArgs({ args: normalized(tokens), options: spec, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

function checkOption(token: Token & { kind: 'option' }, spec: OptionSpec, command: string | undefined): void {
  const option = spec[token.name];
  if (!option) throw new UsageError(unknownOption(token.rawName, spec, command));
  if (option.type === 'boolean') {
    if (token.value !== undefined) throw new UsageError(`${token.rawName} takes no value, got "${token.value}"`);
    return;
  }
  if (token.value === undefined) throw new UsageError(`${token.rawName} needs a value`);
  if (!token.inlineValue && token.value.startsWith('-') && token.value !== '-' && !NEGATIVE_NUMBER.test(token.value)) {
    throw new UsageError(`${token.rawName} needs a value, but the next argument is the option ${token.value}`);
  }
}

function unknownOption(rawName: string, spec: OptionSpec, command: string | undefined): string {
  const typed = rawName.replace(/^-+/, '');
  const longNames = Object.keys(spec);
  const suggestion = closestName(typed, longNames) ?? Object.entries(spec).find(([, o]) => o.short === typed)?.[0];
  const help = command ? `stampede ${command} --help` : 'stampede --help';
  return suggestion ? `unknown option ${rawName}; did you mean --${suggestion}?` : `unknown option ${rawName} (try \`${help}\`)`;
}

function twoValues(first: Token & { kind: 'option' }, second: Token & { kind: 'option' }): string {
  return first.value === undefined || second.value === undefined ? '' : ` ("${first.value}" and "${second.value}")`;
}

/** The same arguments with every value attached (`--warmup=-1`), which strict parsing accepts. */
function normalized(tokens: Token[]): string[] {
  return tokens.map((token) => {
    if (token.kind === 'positional') return token.value;
    if (token.kind === 'option-terminator') return '--';
    if (token.value === undefined) return token.rawName;
    return token.rawName.startsWith('--') ? `${token.rawName}=${token.value}` : `${token.rawName}${token.value}`;
  });
}

/**
 * A subcommand's flags, with no positional arguments allowed. Prints the usage and gives undefined on
 * --help, so the caller returns 0.
 */
export function parseCommandFlags<T extends OptionSpec>(argv: string[], options: T, usage: string, command: string) {
  const { values, positionals } = parseFlags(argv, options, command);
  if ((values as { help?: boolean }).help) {
    console.log(usage);
    return undefined;
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument "${positionals[0]}" (try \`stampede ${command} --help\`)`);
  return values;
}

/** The access token: --token, else STAMPEDE_TOKEN (kept out of `ps`), else none. */
export function accessToken(flagValue: string | undefined): string | undefined {
  const token = flagValue ?? process.env.STAMPEDE_TOKEN;
  if (token === undefined) return undefined;
  if (token.trim() === '') throw new UsageError(flagValue === undefined ? 'STAMPEDE_TOKEN must not be empty' : '--token must not be empty');
  return token.trim();
}

export function requireString(value: string | boolean | (string | boolean)[] | undefined, flag: string): string {
  if (typeof value !== 'string' || value.length === 0) throw new UsageError(`missing required argument --${flag}`);
  return value;
}

export function parseHostPort(value: string, flag: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(value);
  const port = match ? Number(match[2]) : NaN;
  if (!match || port < 1 || port > 65535) throw new UsageError(`--${flag} must be HOST:PORT, got "${value}"`);
  return { host: match[1]!.replace(/^\[|\]$/g, ''), port };
}

export function parsePositiveInt(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new UsageError(`--${flag} must be a positive integer, got "${value}"`);
  return n;
}

export function parseCount(value: string, flag: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0) throw new UsageError(`--${flag} must be a whole number >= 0, got "${value}"`);
  return n;
}

export function parseNonNegativeNumber(value: string | undefined, flag: string, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`--${flag} must be a number >= 0, got "${value}"`);
  return n;
}

/** `--log-format json|pretty`, for every command that runs until stopped. */
export const LOG_FORMAT_OPTION = { 'log-format': { type: 'string' } } as const;
/** Its --help line, its description starting at `column` like the command's other options. */
export function logFormatHelp(column: number): string {
  return `${'  --log-format F'.padEnd(column)}json or pretty (default: pretty on a terminal, json otherwise)`;
}

/** Applies `--log-format` before any logger exists; without it, the terminal decides. */
export function applyLogFormat(value: string | undefined): void {
  if (value === undefined) return;
  const format = LOG_FORMATS.find((name) => name === value);
  if (!format) throw new UsageError(`--log-format must be ${LOG_FORMATS.join(' or ')}, got "${value}"`);
  setLogFormat(format);
}
