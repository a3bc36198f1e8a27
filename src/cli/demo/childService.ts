import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One Stampede process the demo started: its stdout is watched for readiness, everything is logged. */
export type ChildService = {
  name: string;
  pid: number;
  logFile: string;
  /** resolves with the first match on stdout; rejects if the process exits or the time runs out first */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  /** SIGTERM, then SIGKILL after STOP_GRACE_MS; resolves once it has exited */
  stop(): Promise<void>;
};

/** A child that died or hung before saying it was ready: one line, with the tail of its log. */
export class ServiceStartError extends Error {
  override readonly name = 'ServiceStartError';
}

/** Same as the test helpers and the spec: five seconds to shut down cleanly. */
const STOP_GRACE_MS = 5_000;

/** dist/src/cli/demo → the package root's bin/stampede.js. */
const STAMPEDE_BIN = fileURLToPath(new URL('../../../../bin/stampede.js', import.meta.url));

/**
 * Starts `stampede <args>` in its own process group, so the terminal's Ctrl-C reaches only the demo,
 * which then stops its children in order (drivers first, while the orchestrator still listens).
 */
export function startChildService(name: string, args: string[], logDir: string): ChildService {
  const logFile = join(logDir, `${name}.log`);
  writeFileSync(logFile, '');
  const logFd = openSync(logFile, 'a');
  const child = spawn(process.execPath, [STAMPEDE_BIN, ...args], { detached: true, stdio: ['ignore', 'pipe', logFd] });
  if (child.pid === undefined) {
    closeSync(logFd);
    throw new ServiceStartError(`could not start ${name} (${process.execPath} ${STAMPEDE_BIN} ${args.join(' ')})`);
  }
  let stdout = '';
  const waiters = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    writeSync(logFd, chunk);
    for (const wake of waiters) wake();
  });
  const exited = new Promise<string>((resolve) =>
    child.once('close', (code, signal) => {
      closeSync(logFd);
      resolve(signal ? `signal ${signal}` : `code ${code}`);
    }),
  );

  const waitForOutput = (pattern: RegExp, timeoutMs: number) =>
    new Promise<RegExpMatchArray>((resolve, reject) => {
      const timer = setTimeout(() => settle(() => reject(new ServiceStartError(`${name} did not get ready within ${timeoutMs / 1000} s; ${logHint(logFile)}`))), timeoutMs);
      let settled = false;
      const settle = (then: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        waiters.delete(check);
        then();
      };
      const check = () => {
        const match = stdout.match(pattern);
        if (match) settle(() => resolve(match));
      };
      void exited.then((how) => settle(() => reject(new ServiceStartError(`${name} exited (${how}) before it was ready; ${logHint(logFile)}`))));
      waiters.add(check);
      check();
    });

  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    await exited;
    clearTimeout(timer);
  };

  return { name, pid: child.pid, logFile, waitForOutput, stop };
}

/** The last line of the log is usually the child's own one-line error. */
function logHint(logFile: string): string {
  const lines = existsSync(logFile) ? readFileSync(logFile, 'utf8').trim().split('\n') : [];
  const last = lines[lines.length - 1]?.trim();
  return last ? `last log line: ${last.slice(0, 300)} (log: ${logFile})` : `see ${logFile}`;
}
