import { createRequire } from 'node:module';
import { pino, type DestinationStream, type Logger } from 'pino';

export type { Logger };

export const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** Read from the environment so that child processes (the target's cluster workers) log the same way. */
const FORMAT_VARIABLE = 'STAMPEDE_LOG_FORMAT';

/** Set by the test suite only: every in-process logger writes there instead of stderr. */
let redirected: DestinationStream | undefined;

/** Sends the records of every logger created from now on to `stream` (undefined: back to stderr). */
export function redirectLogs(stream: DestinationStream | undefined): void {
  redirected = stream;
}

/** Chooses the format of every logger created from now on, in this process and the ones it starts. */
export function setLogFormat(format: LogFormat): void {
  process.env[FORMAT_VARIABLE] = format;
}

/** What was chosen, else human-readable lines for a person at a terminal and JSON for log collectors. */
export function logFormat(): LogFormat {
  const chosen = process.env[FORMAT_VARIABLE];
  if (chosen === 'json' || chosen === 'pretty') return chosen;
  return process.stderr.isTTY ? 'pretty' : 'json';
}

/**
 * Structured logs on stderr, so stdout stays free for a command's own output: JSON, or the same
 * records made readable by pino-pretty (in this thread, synchronously, so nothing is lost on exit).
 * STAMPEDE_LOG_LEVEL picks the level (info by default: lifecycle; debug: detail).
 */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return pino({ name: component, level: process.env.STAMPEDE_LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings } }, destination(logFormat()));
}

function destination(format: LogFormat): DestinationStream {
  if (redirected) return redirected;
  if (format === 'json') return pino.destination({ fd: 2, sync: true });
  // Loaded only for a terminal: a driver or orchestrator logging JSON is ~1 MB smaller without it.
  const { PinoPretty } = createRequire(import.meta.url)('pino-pretty') as typeof import('pino-pretty');
  return PinoPretty({ destination: 2, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname', colorize: process.stderr.isTTY });
}
