/* global ResizeObserver */

const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4d7c0f'];
const TOTAL_COLOR = '#1f2937';
const CHART_HEIGHT = 200;
/** Above this many drivers their lines start hidden: twenty thin lines hide the overall one. */
const DRIVERS_SHOWN_UP_TO = 8;

function colorOf(index) {
  return PALETTE[index % PALETTE.length];
}

/**
 * Every series on one x axis (seconds of the workload): overall points are per second, each driver's
 * at its own report times, so a series has values only at its own times (null elsewhere, lines span the gaps).
 */
function alignedData(timeline, overallPicks, driverPick) {
  const ids = timeline.driverIds();
  const overall = timeline.overallPoints();
  const xs = [...new Set([...overall.map((p) => p.elapsed_ms), ...ids.flatMap((id) => timeline.pointsOf(id).map((p) => p.elapsed_ms))])].sort((a, b) => a - b);
  const column = (points, pick) => {
    const byTime = new Map(points.map((p) => [p.elapsed_ms, pick(p)]));
    return xs.map((x) => (byTime.has(x) ? byTime.get(x) : null));
  };
  return {
    ids,
    data: [xs.map((x) => x / 1000), ...overallPicks.map((pick) => column(overall, pick)), ...ids.map((id) => column(timeline.pointsOf(id), driverPick))],
  };
}

/** Achieved (requests started per second, what a plan sets) against the plan, per interval. */
function throughputData(timeline) {
  return alignedData(timeline, [(p) => p.sent_rps, (p) => p.planned_rps], (p) => p.sent_rps);
}

/** Percentiles of each interval alone: a slow phase shows while it lasts, not ever after. */
function latencyData(timeline) {
  return alignedData(timeline, [(p) => p.p50, (p) => p.p95, (p) => p.p99], (p) => p.p99);
}

// Units are in each chart's caption, so tick labels stay short and never clip.
const secondsAxis = { values: (_u, ticks) => ticks.map((v) => `${+v.toFixed(2)} s`) };
const valueAxis = { size: 56, values: (_u, ticks) => ticks.map((v) => `${+v.toFixed(2)}`) };

/** Away from the cursor the legend shows each series' latest value rather than nothing. */
function formatLegend(unit) {
  return (u, v, seriesIndex, index) => {
    const value = index === null ? latestOf(u.data[seriesIndex]) : v;
    return value === null || value === undefined ? '—' : `${value.toFixed(value < 10 ? 2 : 1)} ${unit}`;
  };
}

function latestOf(values) {
  for (let i = values.length - 1; i >= 0; i--) if (values[i] !== null) return values[i];
  return null;
}

const elapsedSeries = { label: 'elapsed', value: (u, v, _s, index) => `${(index === null ? latestOf(u.data[0]) ?? 0 : v).toFixed(2)} s` };

/** Overall lines are bold; each driver's is thin, in its own colour. */
function driverSeries(ids, label, value, showDrivers) {
  return ids.map((id, i) => ({ label: label(id), stroke: colorOf(i), width: 1, spanGaps: true, value, show: showDrivers, class: 'driver-series' }));
}

function throughputSeries(ids, showDrivers) {
  const value = formatLegend('req/s');
  return [
    elapsedSeries,
    { label: 'all drivers', stroke: TOTAL_COLOR, width: 2.5, spanGaps: true, value },
    { label: 'planned', stroke: TOTAL_COLOR, width: 2, dash: [6, 4], spanGaps: true, value },
    ...driverSeries(ids, (id) => id, value, showDrivers),
  ];
}

function latencySeries(ids, showDrivers) {
  const value = formatLegend('ms');
  return [
    elapsedSeries,
    { label: 'p50 all', stroke: TOTAL_COLOR, width: 2.5, spanGaps: true, value },
    { label: 'p95 all', stroke: '#6b7280', width: 2, dash: [2, 3], spanGaps: true, value },
    { label: 'p99 all', stroke: TOTAL_COLOR, width: 2, dash: [6, 4], spanGaps: true, value },
    ...driverSeries(ids, (id) => `p99 ${id}`, value, showDrivers),
  ];
}

/** How many series come before the drivers' (x, then the overall ones). */
const OVERALL_SERIES = { throughput: 3, latency: 4 };

/**
 * One uPlot chart in a container. It is rebuilt only when its series change (a different set of
 * drivers); otherwise new data just replaces the old.
 */
class Chart {
  #plot = null;
  #seriesKey = '';

  constructor(container, seriesFor, overallSeries) {
    this.container = container;
    this.seriesFor = seriesFor;
    this.overallSeries = overallSeries;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(container);
  }

  show({ ids, data }, showDrivers) {
    const key = JSON.stringify(ids);
    if (!this.#plot || key !== this.#seriesKey) this.#build(ids, data, key, showDrivers);
    else this.#plot.setData(data);
  }

  /** Shows or hides every driver's line (the legend keeps them, greyed, so each can still be picked). */
  showDrivers(show) {
    if (!this.#plot) return;
    this.#plot.batch(() => {
      for (let i = this.overallSeries; i < this.#plot.series.length; i++) this.#plot.setSeries(i, { show });
    });
  }

  clear() {
    this.#plot?.destroy();
    this.#plot = null;
    this.#seriesKey = '';
  }

  #build(ids, data, key, showDrivers) {
    this.clear();
    this.#seriesKey = key;
    const options = {
      ...this.#size(),
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [secondsAxis, valueAxis],
      series: this.seriesFor(ids, showDrivers),
      cursor: { drag: { x: false, y: false } },
    };
    this.#plot = new uPlot(options, data, this.container);
  }

  #size() {
    return { width: Math.max(240, this.container.clientWidth), height: CHART_HEIGHT };
  }
}

export class TestCharts {
  #driversToggle;
  /** null until the user chooses; then their choice holds for every test */
  #userShowsDrivers = null;

  constructor(throughputContainer, latencyContainer, driversToggle) {
    this.throughput = new Chart(throughputContainer, throughputSeries, OVERALL_SERIES.throughput);
    this.latency = new Chart(latencyContainer, latencySeries, OVERALL_SERIES.latency);
    this.#driversToggle = driversToggle;
    driversToggle.addEventListener('change', () => {
      this.#userShowsDrivers = driversToggle.checked;
      this.throughput.showDrivers(driversToggle.checked);
      this.latency.showDrivers(driversToggle.checked);
    });
  }

  show(timeline) {
    const showDrivers = this.#userShowsDrivers ?? timeline.driverIds().length <= DRIVERS_SHOWN_UP_TO;
    this.#driversToggle.checked = showDrivers;
    this.throughput.show(throughputData(timeline), showDrivers);
    this.latency.show(latencyData(timeline), showDrivers);
  }

  clear() {
    this.throughput.clear();
    this.latency.clear();
  }
}
