import type { CounterSnapshot } from './counters.js';
import type { FaultSettings } from './faults.js';

/** IPC messages between the cluster primary and its target workers. */
export type WorkerMessage =
  | { kind: 'totals-request'; id: number }
  | { kind: 'snapshot'; id: number; snapshot: CounterSnapshot }
  | { kind: 'listen-failed'; address: string; reason: string; code?: string };

export type PrimaryMessage =
  | { kind: 'snapshot-request'; id: number }
  | { kind: 'totals'; id: number; totals: CounterSnapshot }
  | { kind: 'totals-failed'; id: number; reason: string }
  | { kind: 'shutdown' };

export type WorkerConfig = { host: string; port: number; faults: FaultSettings };

/** The worker entry reads its configuration from this environment variable, set by the primary at fork. */
export const WORKER_CONFIG_ENV = 'STAMPEDE_TARGET_WORKER_CONFIG';

/** Both sides only ever send these shapes to each other; this just rules out foreign messages. */
export function isProtocolMessage<T extends { kind: string }>(message: unknown): message is T {
  return typeof message === 'object' && message !== null && typeof (message as { kind?: unknown }).kind === 'string';
}

type Waiter<T> = { resolve: (value: T) => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/** Matches replies to requests by id; a request without a reply in time rejects, naming what it waited for. */
export class PendingReplies<T> {
  private nextId = 0;
  private readonly waiting = new Map<number, Waiter<T>>();

  constructor(private readonly timeoutMs: number) {}

  request(what: string, send: (id: number) => void): Promise<T> {
    const id = ++this.nextId;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => this.reject(id, new Error(`${what} did not arrive within ${this.timeoutMs} ms`)), this.timeoutMs);
      this.waiting.set(id, { resolve, reject, timer });
      try {
        send(id);
      } catch (error) {
        this.reject(id, new Error(`cannot ask for ${what}: ${(error as Error).message}`));
      }
    });
  }

  resolve(id: number, value: T): void {
    this.take(id)?.resolve(value);
  }

  reject(id: number, error: Error): void {
    this.take(id)?.reject(error);
  }

  private take(id: number): Waiter<T> | undefined {
    const waiter = this.waiting.get(id);
    if (!waiter) return undefined;
    clearTimeout(waiter.timer);
    this.waiting.delete(id);
    return waiter;
  }
}
