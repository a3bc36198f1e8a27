import type { LoadSetup } from './inThreadLoad.js';
import type { LoadEngine } from './loadEngine.js';
import { WorkerLoad } from './workers/workerLoad.js';
import { HostDrivers } from './hostDrivers.js';

/** Builds a test's load engine; `onFailure` hears why a load worker died. */
export type LoadEngineFactory = (setup: LoadSetup, onFailure: (reason: string) => void) => LoadEngine;

export type LoadEngineOptions = {
  /** Run the in-thread load path once before returning (a driver does; unit tests need not). */
  prime?: boolean;
  /** The load worker's script; tests swap in one that fails. */
  workerScript?: URL | undefined;
  /** The drivers on this host, which `auto` shares the cores with. */
  hostDrivers?: HostDrivers | undefined;
};

/** `--workers`: a count (1: the driver's own event loop), or `auto`, decided at each test's start. */
export type WorkersSetting = number | 'auto';

/**
 * The engines for `--workers`: 1 sends from this event loop, more from that many load workers, and
 * `auto` shares this host's cores with the other drivers on it (HostDrivers), counted at each test's
 * start: alone on 2 cores a driver takes 2 load workers, beside another it sends from its own thread. The
 * in-thread engine and its HTTP client are imported only when they may be chosen: with load workers only
 * this thread never sends a request, and not loading them keeps ~5 MB off the idle driver's RSS.
 */
export async function loadEngineFactory(workers: WorkersSetting | undefined, options: LoadEngineOptions = {}): Promise<LoadEngineFactory> {
  const { prime = false, workerScript, hostDrivers } = options;
  const inWorkers = (setup: LoadSetup, count: number, onFailure: (reason: string) => void) => new WorkerLoad({ ...setup, workers: count, script: workerScript, onFailure });
  if (typeof workers === 'number' && workers > 1) return (setup, onFailure) => inWorkers(setup, workers, onFailure);
  const [{ InThreadLoad }, { primeLoadPath }] = await Promise.all([import('./inThreadLoad.js'), import('./loadPrimer.js')]);
  // Load on this thread runs primed code, like a load worker's (whose thread primes itself).
  if (prime) await primeLoadPath();
  if (workers !== 'auto') return (setup) => new InThreadLoad(setup);
  const host = hostDrivers ?? new HostDrivers();
  return (setup, onFailure) => {
    const count = host.workersEach();
    return count > 1 ? inWorkers(setup, count, onFailure) : new InThreadLoad(setup);
  };
}
