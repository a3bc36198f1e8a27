import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * Structured JSON logs on stderr, so stdout stays free for a command's own output.
 * STAMPEDE_LOG_LEVEL picks the level (info by default: lifecycle; debug: detail).
 */
export function createLogger(component: string, bindings: Record<string, unknown> = {}): Logger {
  return pino(
    { name: component, level: process.env.STAMPEDE_LOG_LEVEL ?? 'info', base: { pid: process.pid, ...bindings } },
    pino.destination({ fd: 2, sync: true }),
  );
}
