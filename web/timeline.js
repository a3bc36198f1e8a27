/**
 * Per-driver points over time for the shown test: `{elapsed_ms, sent, completed, errors, median, p99}`.
 * The report's timeline gives the history when a test is opened; each live `test` event then adds
 * a driver's newest figures, as long as they are newer than what is already there.
 */
export class Timeline {
  #byDriver = new Map();

  reset() {
    this.#byDriver = new Map();
  }

  /** The report's timeline is complete up to when it was fetched; live points after it are kept. */
  mergeReport(timeline) {
    for (const [nodeId, reportPoints] of Object.entries(timeline)) {
      const last = reportPoints.at(-1)?.elapsed_ms ?? -1;
      const newerLive = (this.#byDriver.get(nodeId) ?? []).filter((p) => p.elapsed_ms > last);
      this.#byDriver.set(nodeId, [...reportPoints, ...newerLive]);
    }
  }

  addFigures(driverFigures) {
    for (const d of driverFigures) {
      if (d.reports === 0) continue;
      const points = this.#byDriver.get(d.node_id) ?? [];
      if (points.length > 0 && points.at(-1).elapsed_ms >= d.elapsed_ms) continue;
      points.push({ elapsed_ms: d.elapsed_ms, sent: d.sent, completed: d.completed, errors: d.error_count, median: d.latency.median, p99: d.latency.p99 });
      this.#byDriver.set(d.node_id, points);
    }
  }

  pointsOf(nodeId) {
    return this.#byDriver.get(nodeId) ?? [];
  }

  driverIds() {
    return [...this.#byDriver.keys()];
  }

  /** Completed per second between a driver's last two points: its current pace. */
  currentRate(nodeId) {
    const points = this.pointsOf(nodeId);
    if (points.length < 2) return null;
    const [before, last] = points.slice(-2);
    const seconds = (last.elapsed_ms - before.elapsed_ms) / 1000;
    return seconds > 0 ? (last.completed - before.completed) / seconds : null;
  }
}

/** Cumulative completed at `t` ms, linear between points, starting from nothing at 0. */
export function completedAt(points, t) {
  let previous = { elapsed_ms: 0, completed: 0 };
  for (const point of points) {
    if (point.elapsed_ms >= t) {
      const span = point.elapsed_ms - previous.elapsed_ms;
      const fraction = span > 0 ? (t - previous.elapsed_ms) / span : 1;
      return previous.completed + fraction * (point.completed - previous.completed);
    }
    previous = point;
  }
  return previous.completed;
}
