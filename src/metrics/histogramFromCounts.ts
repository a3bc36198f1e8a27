import { validateMetricName, type Metric, type Registry } from 'prom-client';
import type { CumulativeBuckets } from '../stats/cumulativeBuckets.js';

/** One labelled series of a histogram, as counts already bucketed. */
export type HistogramSeries<L extends string> = { labels: Record<L, string>; buckets: CumulativeBuckets };

type SampleValue = { metricName: string; labels: Record<string, string | number>; value: number };

export type HistogramFromCountsOptions<L extends string> = {
  name: string;
  help: string;
  registry: Registry;
  /** Called at every scrape: the series as they are now. */
  series: () => HistogramSeries<L>[];
};

/**
 * A Prometheus histogram whose figures come from histograms kept elsewhere (HDR latency histograms), read
 * at scrape time. prom-client's Histogram only learns values one `observe()` at a time and has no way to
 * set bucket counts, so this metric gives the registry what a Histogram's `get()` gives it: the registry
 * then writes the text and escapes the label values, as for every other metric.
 */
export class HistogramFromCounts<L extends string> {
  readonly name: string;
  readonly help: string;
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series: () => HistogramSeries<L>[];

  constructor(options: HistogramFromCountsOptions<L>) {
    if (!validateMetricName(options.name)) throw new Error(`invalid Prometheus metric name: ${options.name}`);
    this.name = options.name;
    this.help = options.help;
    this.series = options.series;
    // The registry reads only name, get() and reset(); its declared type lists prom-client's own four classes.
    options.registry.registerMetric(this as unknown as Metric);
  }

  get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: SampleValue[] }> {
    const values = this.series().flatMap(({ labels, buckets }) => samples(this.name, labels, buckets));
    return Promise.resolve({ name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values });
  }

  /** Called by `Registry.resetMetrics()`: there is nothing to reset, the figures belong to their source. */
  reset(): void {}
}

function samples(name: string, labels: Record<string, string>, buckets: CumulativeBuckets): SampleValue[] {
  const values: SampleValue[] = buckets.bounds.map((le, i) => ({ metricName: `${name}_bucket`, labels: { ...labels, le }, value: buckets.counts[i]! }));
  values.push(
    { metricName: `${name}_bucket`, labels: { ...labels, le: '+Inf' }, value: buckets.count },
    { metricName: `${name}_sum`, labels, value: buckets.sumSeconds },
    { metricName: `${name}_count`, labels, value: buckets.count },
  );
  return values;
}
