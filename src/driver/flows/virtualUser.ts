import type { FlowVariables } from '../requests/templates.js';
import { VuCookieJar } from './cookieJar.js';

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

  /** Starts the next iteration: fresh variables, and its number from 1. */
  beginIteration(): void {
    this.iteration += 1;
    this.vars = { vu: this.idText, iteration: String(this.iteration) };
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
