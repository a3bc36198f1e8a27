import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';

export type DriverProcess = {
  child: ChildProcess;
  /** stderr so far (the driver's JSON logs), for failure messages. */
  logs: () => string;
  exited: Promise<number | null>;
  /** SIGKILL if still running; safe to call twice. */
  kill: () => Promise<void>;
};

const STDERR_KEPT_CHARS = 20_000;

/**
 * Starts `stampede driver` as a child process (default flags unless `args` says) and resolves once it
 * prints its registered line.
 */
export async function startDriverProcess(args: string[], readyTimeoutMs = 20_000): Promise<DriverProcess> {
  const child = spawn(process.execPath, ['bin/stampede.js', 'driver', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  let stdout = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString('utf8')).slice(-STDERR_KEPT_CHARS);
  });
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const driver: DriverProcess = {
    child,
    logs: () => stderr,
    exited,
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
  const ready = new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`driver did not register within ${readyTimeoutMs} ms; stdout: ${stdout}; stderr: ${stderr}`)), readyTimeoutMs);
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      if (/^driver \S+ registered \(kafka .+\)$/m.test(stdout)) {
        clearTimeout(timer);
        resolve();
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`driver exited with code ${code} before registering; stderr: ${stderr}`));
    });
  });
  try {
    await ready;
  } catch (error) {
    await driver.kill();
    throw error;
  }
  return driver;
}
