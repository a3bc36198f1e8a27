/**
 * A deterministic weighted round robin (nginx's smooth variant): over any run of `sum(weights)` picks,
 * each index is picked exactly its weight's times, and picks of one index are spread out rather than
 * bunched (weights 1:3 give B A B B, B A B B, …). Over N picks each index's count is its share of N,
 * off by less than one.
 */
export class WeightedMix {
  private readonly current: number[];
  private readonly total: number;

  constructor(private readonly weights: readonly number[]) {
    if (weights.length === 0 || weights.some((w) => !(w > 0))) throw new Error('WeightedMix needs positive weights');
    this.current = weights.map(() => 0);
    this.total = weights.reduce((sum, w) => sum + w, 0);
  }

  next(): number {
    const { current, weights } = this;
    let best = 0;
    for (let i = 0; i < current.length; i++) {
      current[i]! += weights[i]!;
      if (current[i]! > current[best]!) best = i;
    }
    current[best]! -= this.total;
    return best;
  }
}
