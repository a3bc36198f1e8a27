import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import type { ArrivalServer } from './arrivalServer.js';

const SCRIPT = new URL('../../../bench/support/kernelStampServer.py', import.meta.url);

/**
 * The arrival server whose stamps come from the kernel (`kernelStampServer.py`, SO_TIMESTAMPNS): what a
 * gap's error is once no server thread's wait for a core is in it. Sparse schedules only.
 */
export async function startKernelArrivalServer(): Promise<ArrivalServer> {
  const child = spawn('python3', [SCRIPT.pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const nextLine = async (): Promise<string> => {
    const line = await lines.next();
    if (line.done) throw new Error(`kernelStampServer.py exited (${child.exitCode ?? child.signalCode})`);
    return line.value;
  };
  const port = Number(await nextLine());
  if (!Number.isInteger(port)) throw new Error(`kernelStampServer.py printed no port`);
  const ask = async (command: 'arrivals' | 'reset'): Promise<string> => {
    child.stdin.write(`${command}\n`);
    return nextLine();
  };
  return {
    url: `http://127.0.0.1:${port}/ping`,
    arrivalsMs: async () => {
      const stamps = JSON.parse(await ask('arrivals')) as number[];
      const first = stamps[0] ?? 0;
      return stamps.map((t) => t - first);
    },
    reset: async () => {
      await ask('reset');
    },
    close: async () => {
      child.stdin.end();
      if (child.exitCode === null) await once(child, 'exit');
    },
  };
}
