import type { Pacer } from './pacers.js';

/**
 * A pacer a running test can steer: its base until a change, then a fixed rate from the change's instant
 * on. Still a pure function of the index, so the lanes of a plan (load workers, drivers) that apply the
 * same change compute the same starts: the change takes the first start due at or after its instant.
 */
export class SteeredPacer implements Pacer {
  /** From `fromIndex` on, start k is at `atMs` + (k − fromIndex) / rate; in index order. */
  private readonly regimes: { fromIndex: number; atMs: number; intervalMs: number }[] = [];

  constructor(private readonly base: Pacer) {}

  get description(): string {
    const last = this.regimes.at(-1);
    return last ? `${this.base.description}, then ${Math.round(1000_000 / last.intervalMs) / 1000} req/s from ${Math.round(last.atMs)} ms` : this.base.description;
  }

  startOffsetMs(index: number): number | undefined {
    const regimes = this.regimes;
    for (let r = regimes.length - 1; r >= 0; r--) {
      const regime = regimes[r]!;
      if (index >= regime.fromIndex) return regime.atMs + (index - regime.fromIndex) * regime.intervalMs;
    }
    return this.base.startOffsetMs(index);
  }

  steer(planMs: number, rate: number): void {
    if (!(rate > 0) || !Number.isFinite(rate)) throw new RangeError(`SteeredPacer: rate must be a positive number, got ${rate}`);
    const fromIndex = this.firstIndexFrom(planMs);
    while ((this.regimes.at(-1)?.fromIndex ?? -1) >= fromIndex) this.regimes.pop();
    this.regimes.push({ fromIndex, atMs: planMs, intervalMs: 1000 / rate });
  }

  /** The first start due at or after `planMs` (past the base's end when it has none): a gallop, then halving. */
  private firstIndexFrom(planMs: number): number {
    const due = (index: number) => (this.startOffsetMs(index) ?? Infinity) >= planMs;
    if (due(0)) return 0;
    let low = 0;
    let high = 1;
    while (!due(high)) {
      low = high;
      high *= 2;
    }
    while (high - low > 1) {
      const middle = Math.floor((low + high) / 2);
      if (due(middle)) high = middle;
      else low = middle;
    }
    return high;
  }
}
