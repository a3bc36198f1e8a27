import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './usageError.js';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

/** Parses flags strictly; an unknown or malformed flag becomes a UsageError naming it. */
export function parseFlags<T extends OptionSpec>(argv: string[], options: T) {
  try {
    return parseArgs({ args: argv, options: { ...options, help: { type: 'boolean', short: 'h' } }, strict: true, allowPositionals: true });
  } catch (error) {
    throw new UsageError((error as Error).message.split('\n')[0] ?? String(error));
  }
}

/**
 * A subcommand's flags, with no positional arguments allowed. Prints the usage and gives undefined on
 * --help, so the caller returns 0.
 */
export function parseCommandFlags<T extends OptionSpec>(argv: string[], options: T, usage: string, command: string) {
  const { values, positionals } = parseFlags(argv, options);
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
