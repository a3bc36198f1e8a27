/**
 * Interval points over time for the shown test (see IntervalPoint in the REST report): per driver one
 * per report, overall one per second of the workload. The report gives the history when a test is
 * opened; each live `test` event then adds each driver's newest interval and the overall newest second
 * (which keeps filling while drivers report into it, so it replaces its earlier version).
 */
export class Timeline {
  #byDriver = new Map();
  #overall = [];

  reset() {
    this.#byDriver = new Map();
    this.#overall = [];
  }

  /** The report is complete up to when it was fetched; live points after it are kept. */
  mergeReport(report) {
    for (const [nodeId, reportPoints] of Object.entries(report.timeline ?? {})) {
      const last = reportPoints.at(-1)?.elapsed_ms ?? -1;
      const newerLive = (this.#byDriver.get(nodeId) ?? []).filter((p) => p.elapsed_ms > last);
      this.#byDriver.set(nodeId, [...reportPoints, ...newerLive]);
    }
    const overall = report.overall_timeline ?? [];
    const last = overall.at(-1)?.elapsed_ms ?? -1;
    this.#overall = [...overall, ...this.#overall.filter((p) => p.elapsed_ms > last)];
  }

  addFigures(test) {
    for (const d of test.drivers) {
      if (!d.interval) continue;
      const points = this.#byDriver.get(d.node_id) ?? [];
      if (points.length > 0 && points.at(-1).elapsed_ms >= d.interval.elapsed_ms) continue;
      points.push(d.interval);
      this.#byDriver.set(d.node_id, points);
    }
    const newest = test.aggregate.interval;
    if (!newest) return;
    const last = this.#overall.at(-1);
    if (last && last.elapsed_ms === newest.elapsed_ms) this.#overall[this.#overall.length - 1] = newest;
    else if (!last || last.elapsed_ms < newest.elapsed_ms) this.#overall.push(newest);
  }

  pointsOf(nodeId) {
    return this.#byDriver.get(nodeId) ?? [];
  }

  overallPoints() {
    return this.#overall;
  }

  driverIds() {
    return [...this.#byDriver.keys()];
  }

  /** Completed per second in a driver's latest interval: its current pace. */
  currentRate(nodeId) {
    return this.pointsOf(nodeId).at(-1)?.rps ?? null;
  }
}
