import type { FlowVariables } from '../requests/templates.js';
import { VuCookieJar } from './cookieJar.js';

/** An iteration's row of test data: `data.COLUMN` names and the row's values in the same order. */
export type IterationRow = { variables: readonly string[]; values: readonly (string | null)[] };

/**
 * One virtual user: an id unique across the fleet, its iteration count, its cookies (kept for its whole
 * life) and the variables of its current iteration (captures start afresh each iteration).
 */
export class VirtualUser {
  iteration = 0;
  vars: FlowVariables = {};
  readonly cookies = new VuCookieJar();
  /** Told to stop: it finishes its iteration, unless `interrupted` comes first. */
  retiring = false;
  /** Told to stop now: its iteration ends at the next step (a think is cut short). */
  interrupted = false;
  private wake: (() => void) | undefined;

  /** `{{vu}}` as text, made once. */
  private readonly idText: string;

  constructor(readonly id: number) {
    this.idText = String(id);
  }

  /** Starts the next iteration: fresh variables, its number from 1, and its data row's values (a missing one is empty). */
  beginIteration(row?: IterationRow): void {
    this.iteration += 1;
    this.vars = { vu: this.idText, iteration: String(this.iteration) };
    if (row) for (let i = 0; i < row.variables.length; i++) this.vars[row.variables[i]!] = row.values[i] ?? '';
  }

  /** A think: resolves false when the VU was interrupted meanwhile. */
  think(ms: number): Promise<boolean> {
    if (this.interrupted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.wake = undefined;
        resolve(true);
      }, ms);
      this.wake = () => {
        clearTimeout(timer);
        this.wake = undefined;
        resolve(false);
      };
    });
  }

  interrupt(): void {
    this.interrupted = true;
    this.wake?.();
  }

  /** Back in service after a stop (a ramp up again reuses stopped VUs, keeping their ids and cookies). */
  resume(): void {
    this.retiring = false;
    this.interrupted = false;
  }
}
