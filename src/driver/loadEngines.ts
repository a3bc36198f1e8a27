import type { LoadSetup } from './inThreadLoad.js';
import type { LoadEngine } from './loadEngine.js';
import { WorkerLoad } from './workers/workerLoad.js';

/** Builds a test's load engine; `onFailure` hears why a load worker died. */
export type LoadEngineFactory = (setup: LoadSetup, onFailure: (reason: string) => void) => LoadEngine;

export type LoadEngineOptions = {
  /** Run the in-thread load path once before returning (a driver does; unit tests need not). */
  prime?: boolean;
  /** The load worker's script; tests swap in one that fails. */
  workerScript?: URL | undefined;
};

/** Whether a test's load runs on the driver's own event loop (`--workers` 1 or unset) rather than in load workers. */
function loadsOnDriverThread(workers: number | undefined): boolean {
  return (workers ?? 1) <= 1;
}

/**
 * The engines for `--workers`: 1 sends from this event loop, more from that many load workers. The
 * in-thread engine and what it sends with (the HTTP client) are imported only when chosen: with load workers this
 * thread never sends a request, and not loading them keeps ~5 MB off the idle driver's RSS.
 */
export async function loadEngineFactory(workers: number | undefined, options: LoadEngineOptions = {}): Promise<LoadEngineFactory> {
  const { prime = false, workerScript } = options;
  if (loadsOnDriverThread(workers)) {
    const [{ InThreadLoad }, { primeLoadPath }] = await Promise.all([import('./inThreadLoad.js'), import('./loadPrimer.js')]);
    // Load on this thread runs primed code, like a load worker's (whose thread primes itself).
    if (prime) await primeLoadPath();
    return (setup) => new InThreadLoad(setup);
  }
  return (setup, onFailure) => new WorkerLoad({ ...setup, workers: workers ?? 1, script: workerScript, onFailure });
}
