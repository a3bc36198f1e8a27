import { Counter, Gauge, type Registry } from 'prom-client';

/** One series of a scraped metric: its labels and its value now. */
export type LabelledValue<L extends string> = readonly [Partial<Record<L, string>>, number];

export type ScrapedMetricOptions<L extends string> = {
  registry: Registry;
  name: string;
  help: string;
  labelNames: readonly L[];
  /** Called at every scrape: every series as it is now (a series left out is gone from the scrape). */
  values: () => Iterable<LabelledValue<L>>;
};

/**
 * A counter or gauge whose figures are kept elsewhere (a node's projections or recorders), copied in at
 * every scrape: emptied, then filled, so a series whose source went away does not linger. A counter
 * copies a running total the source keeps, which prom-client can only take as an increment from zero.
 */
export function scrapedMetric<L extends string>(kind: typeof Counter | typeof Gauge, options: ScrapedMetricOptions<L>): void {
  const { registry, name, help, labelNames, values } = options;
  const metric: Counter<L> | Gauge<L> = new kind<L>({
    name,
    help,
    labelNames,
    registers: [registry],
    collect: (): void => {
      metric.reset();
      for (const [labels, value] of values()) {
        if (metric instanceof Counter) metric.inc(labels, value);
        else metric.set(labels, value);
      }
    },
  });
}
