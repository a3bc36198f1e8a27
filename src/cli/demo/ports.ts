import { createServer, connect } from 'node:net';
import { UsageError } from '../usageError.js';

const HOST = '127.0.0.1';
const PROBE_TIMEOUT_MS = 1_000;

/** A port the demo is about to give one of its servers must be free now, or the user picks another. */
export function requireFreePort(port: number, flag: string, why?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => {
      const problem = error.code === 'EADDRINUSE' ? 'is already in use' : `cannot be used (${error.message})`;
      reject(new UsageError(`${flag}: ${HOST}:${port} ${problem}${why ? ` (${why})` : ''}; pick another with ${flag}`));
    });
    probe.listen(port, HOST, () => probe.close(() => resolve()));
  });
}

/** Whether something accepts TCP connections there (on the broker port: the demo then uses that broker). */
export function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: HOST, port });
    const done = (answer: boolean) => {
      socket.destroy();
      resolve(answer);
    };
    socket.setTimeout(PROBE_TIMEOUT_MS, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** A port P with P and P + 1 free right now (a broker needs both: client and controller). */
export async function freePortPair(): Promise<number> {
  for (let attempt = 0; attempt < 20; attempt++) {
    const port = await anyFreePort();
    if (port < 65535 && (await isFree(port + 1))) return port;
  }
  throw new Error('no two adjacent free ports found for the Kafka broker');
}

function anyFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, HOST, () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const probe = createServer();
    probe.once('error', () => resolve(false));
    probe.listen(port, HOST, () => probe.close(() => resolve(true)));
  });
}
