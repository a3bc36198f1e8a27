/**
 * Which drivers have acknowledged a test's config (their heartbeats' `config_ack`), and waiting for all of
 * a test's drivers to: the trigger goes out once they have, so its `start_at` is not spent on a config
 * still travelling. The wait is bounded: a driver that never acknowledges (its heartbeat lost, or one
 * that does not speak the extension) gets the trigger anyway, and holds it until its config arrives.
 */
export class ConfigAcks {
  readonly #acknowledged = new Map<string, Set<string>>();
  readonly #waiters = new Set<{ testId: string; nodeIds: readonly string[]; done: () => void }>();

  acknowledge(testId: string, nodeId: string): void {
    let nodes = this.#acknowledged.get(testId);
    if (!nodes) this.#acknowledged.set(testId, (nodes = new Set()));
    nodes.add(nodeId);
    for (const waiter of this.#waiters) if (waiter.testId === testId && this.missing(testId, waiter.nodeIds).length === 0) waiter.done();
  }

  /** Those of `nodeIds` that have not acknowledged the test's config. */
  missing(testId: string, nodeIds: readonly string[]): string[] {
    const nodes = this.#acknowledged.get(testId);
    return nodeIds.filter((id) => !nodes?.has(id));
  }

  /** Resolves with those still missing once every one of `nodeIds` has acknowledged, or after `timeoutMs`. */
  async waitFor(testId: string, nodeIds: readonly string[], timeoutMs: number): Promise<string[]> {
    if (this.missing(testId, nodeIds).length > 0) {
      await new Promise<void>((resolve) => {
        const waiter = {
          testId,
          nodeIds,
          done: () => {
            clearTimeout(timer);
            this.#waiters.delete(waiter);
            resolve();
          },
        };
        const timer = setTimeout(waiter.done, timeoutMs);
        this.#waiters.add(waiter);
      });
    }
    return this.missing(testId, nodeIds);
  }

  /** The test was triggered or ended: its acknowledgements are no longer needed. */
  forget(testId: string): void {
    this.#acknowledged.delete(testId);
  }
}
