/* global ResizeObserver */
import { completedAt } from './timeline.js';

const PALETTE = ['#2563eb', '#db2777', '#059669', '#d97706', '#7c3aed', '#0891b2', '#dc2626', '#4d7c0f'];
const TOTAL_COLOR = '#1f2937';
const CHART_HEIGHT = 200;
/** Enough points for a smooth line, few enough that a long test stays cheap to redraw. */
const GRID_POINTS = 80;
const MIN_STEP_MS = 100;
const MIN_WINDOW_MS = 500;

function colorOf(index) {
  return PALETTE[index % PALETTE.length];
}

/**
 * Throughput is measured over a sliding window on a regular grid: drivers report at their own
 * moments, and a rate from one report to the next would be jagged and impossible to add up.
 * The grid ends where the slowest still-running driver has reported, so no line dips at the end.
 */
function throughputData(timeline, finishedIds) {
  const ids = timeline.driverIds();
  const lastOf = (id) => timeline.pointsOf(id).at(-1)?.elapsed_ms ?? 0;
  const running = ids.filter((id) => !finishedIds.has(id));
  const end = running.length > 0 ? Math.min(...running.map(lastOf)) : Math.max(0, ...ids.map(lastOf));
  const step = Math.max(MIN_STEP_MS, end / GRID_POINTS);
  const windowMs = Math.max(2 * step, MIN_WINDOW_MS);
  const times = [];
  for (let t = step; t <= end + 1e-9; t += step) times.push(t);
  const rateAt = (id, t) => {
    const from = Math.max(0, t - windowMs);
    const points = timeline.pointsOf(id);
    return ((completedAt(points, t) - completedAt(points, from)) * 1000) / (t - from);
  };
  const perDriver = ids.map((id) => times.map((t) => rateAt(id, t)));
  const total = times.map((_t, i) => perDriver.reduce((sum, series) => sum + series[i], 0));
  return { ids, data: [times.map((t) => t / 1000), total, ...perDriver] };
}

/** Each driver's cumulative median and p99 at its own report times, on one shared x axis. */
function latencyData(timeline) {
  const ids = timeline.driverIds();
  const xs = [...new Set(ids.flatMap((id) => timeline.pointsOf(id).map((p) => p.elapsed_ms)))].sort((a, b) => a - b);
  const column = (id, pick) => {
    const byTime = new Map(timeline.pointsOf(id).map((p) => [p.elapsed_ms, pick(p)]));
    return xs.map((x) => (byTime.has(x) ? byTime.get(x) : null));
  };
  // A driver whose every request failed reports latencies of 0: there is nothing to plot yet.
  const measured = (pick) => (p) => (p.completed > p.errors ? pick(p) : null);
  const series = ids.flatMap((id) => [column(id, measured((p) => p.median)), column(id, measured((p) => p.p99))]);
  return { ids, data: [xs.map((x) => x / 1000), ...series] };
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

function throughputSeries(ids) {
  const value = formatLegend('req/s');
  return [
    elapsedSeries,
    { label: 'all drivers', stroke: TOTAL_COLOR, width: 2, value },
    ...ids.map((id, i) => ({ label: id, stroke: colorOf(i), width: 1, value })),
  ];
}

function latencySeries(ids) {
  const value = formatLegend('ms');
  return [
    elapsedSeries,
    ...ids.flatMap((id, i) => [
      { label: `median ${id}`, stroke: colorOf(i), width: 2, spanGaps: true, value },
      { label: `p99 ${id}`, stroke: colorOf(i), width: 1, dash: [5, 4], spanGaps: true, value },
    ]),
  ];
}

/**
 * One uPlot chart in a container. It is rebuilt only when its series change (a different set of
 * drivers); otherwise new data just replaces the old.
 */
class Chart {
  #plot = null;
  #seriesKey = '';

  constructor(container, seriesFor) {
    this.container = container;
    this.seriesFor = seriesFor;
    new ResizeObserver(() => this.#plot?.setSize(this.#size())).observe(container);
  }

  show({ ids, data }) {
    const key = JSON.stringify(ids);
    if (!this.#plot || key !== this.#seriesKey) this.#build(ids, data, key);
    else this.#plot.setData(data);
  }

  clear() {
    this.#plot?.destroy();
    this.#plot = null;
    this.#seriesKey = '';
  }

  #build(ids, data, key) {
    this.clear();
    this.#seriesKey = key;
    const options = {
      ...this.#size(),
      scales: { x: { time: false }, y: { range: (_u, _min, max) => [0, max > 0 ? max * 1.1 : 1] } },
      axes: [secondsAxis, valueAxis],
      series: this.seriesFor(ids),
      cursor: { drag: { x: false, y: false } },
    };
    this.#plot = new uPlot(options, data, this.container);
  }

  #size() {
    return { width: Math.max(240, this.container.clientWidth), height: CHART_HEIGHT };
  }
}

export class TestCharts {
  constructor(throughputContainer, latencyContainer) {
    this.throughput = new Chart(throughputContainer, throughputSeries);
    this.latency = new Chart(latencyContainer, latencySeries);
  }

  show(timeline, finishedIds) {
    this.throughput.show(throughputData(timeline, finishedIds));
    this.latency.show(latencyData(timeline));
  }

  clear() {
    this.throughput.clear();
    this.latency.clear();
  }
}
