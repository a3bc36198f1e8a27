import { performance } from 'node:perf_hooks';
import type { RequestOutcome } from '../../src/driver/requestOutcome.js';
import type { PreparedRequest } from '../../src/driver/requests/requestIterator.js';

/**
 * bench/httpEngine.ts's load process: `node engineLoop.js <http1|undici> <url> <connections> <seconds>`
 * keeps <connections> sends on the wire for <seconds> (LoadRun's closed model) and prints one JSON line.
 * It imports only the engine it runs, so its CPU is the engine's, as autocannon's is autocannon's.
 */
export type LoopReport = { requests: number; errors: number; firstError: string | undefined; loopCpuSeconds: number };

const [engine, url, connectionsArg, secondsArg] = process.argv.slice(2);
const connections = Number(connectionsArg);
const seconds = Number(secondsArg);
const { origin, pathname, search } = new URL(url!);
// The one fixed object a request without templates is (RequestTemplate.fixed).
const request: PreparedRequest = { index: 0, originIndex: 0, path: pathname + search, method: 'GET', headers: undefined, body: undefined, expect: undefined };

type Engine = { send(request: PreparedRequest): Promise<RequestOutcome>; preconnect(): Promise<void>; destroy(): Promise<void> };

async function createEngine(): Promise<Engine> {
  const options = { connections, timeoutMs: 10_000 };
  if (engine === 'http1') return new (await import('../../src/driver/http1/httpClient.js')).HttpClient([origin], options);
  if (engine === 'undici') return undiciEngine(new (await import('undici')).Pool(origin, { connections, pipelining: 1 }));
  throw new Error(`no engine ${engine}: http1 or undici`);
}

/** The peer the driver sent with before its own engine: undici's Pool, its body read and dropped, as its users do. */
function undiciEngine(pool: import('undici').Pool): Engine {
  return {
    async send(prepared) {
      try {
        const response = await pool.request({ path: prepared.path, method: prepared.method });
        await response.body.dump();
        return { ok: response.statusCode < 400, status: response.statusCode, bytes: 0 };
      } catch (error) {
        return { ok: false, status: 0, bytes: 0, errorKind: 'other', errorMessage: (error as Error).message };
      }
    },
    preconnect: () => Promise.resolve(),
    destroy: () => pool.destroy(),
  };
}

const client = await createEngine();
await client.preconnect();

const report: LoopReport = { requests: 0, errors: 0, firstError: undefined, loopCpuSeconds: 0 };
const cpuBefore = process.cpuUsage();
const endAt = performance.now() + seconds * 1000;
await Promise.all(
  Array.from({ length: connections }, async () => {
    while (performance.now() < endAt) {
      const outcome = await client.send(request);
      if (outcome.ok) {
        report.requests++;
      } else {
        report.errors++;
        report.firstError ??= `${outcome.errorKind}: ${outcome.errorMessage}`;
      }
    }
  }),
);
const cpu = process.cpuUsage(cpuBefore);
report.loopCpuSeconds = (cpu.user + cpu.system) / 1e6;
await client.destroy();
console.log(JSON.stringify(report));
