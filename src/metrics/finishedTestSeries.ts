/**
 * How long a finished test's series stay on /metrics: ten scrapes at Prometheus's default one-minute
 * interval, so its final counts are scraped; then they go, so that a node's scrape and memory do not
 * grow with every test it ever ran. Queries use rate() and increase(), which a series' end leaves intact.
 */
export const FINISHED_TEST_SERIES_MS = 10 * 60_000;

/** Whether a test's series are on /metrics: while it runs, and for FINISHED_TEST_SERIES_MS after it finished. */
export function seriesShown(finishedAtMs: number | undefined, nowMs: number): boolean {
  return finishedAtMs === undefined || nowMs - finishedAtMs < FINISHED_TEST_SERIES_MS;
}

/** The figures of a node's finished tests, each kept until its series leave /metrics. */
export class FinishedTestSeries<Figures> {
  #finished: { atMs: number; figures: Figures }[] = [];

  constructor(private readonly now: () => number = Date.now) {}

  add(figures: Figures): void {
    this.#finished.push({ atMs: this.now(), figures });
  }

  /** The figures still shown; older ones are forgotten. */
  shown(): Figures[] {
    const nowMs = this.now();
    this.#finished = this.#finished.filter(({ atMs }) => seriesShown(atMs, nowMs));
    return this.#finished.map(({ figures }) => figures);
  }
}
