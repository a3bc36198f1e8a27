/**
 * The report's charts as plain series (x in seconds of the run, one array per line), computed here so
 * the page's script only draws them. Reads both timeline forms: per-interval points (rps, p50/p95/p99,
 * planned_rps, and an `overall_timeline`) where the orchestrator sends them, else each driver's
 * cumulative points (sent, completed, median, p99 since the start), whose rate is the difference
 * between reports.
 */

export type TimelinePointLike = {
  elapsed_ms: number;
  completed?: number;
  errors?: number;
  median?: number | null;
  p50?: number | null;
  p95?: number | null;
  p99?: number | null;
  rps?: number | null;
  sent_rps?: number | null;
  planned_rps?: number | null;
  interval_ms?: number;
};

export type ChartLine = { label: string; values: (number | null)[]; dashed?: boolean };
export type Chart = { id: string; title: string; unit: string; x: number[]; lines: ChartLine[] };

/** A capacity search's steps, as the report's table shows them. */
export type CapacityStepLike = { rate: number; achieved_rps: number | null; p50: number | null; p99: number | null; ok: boolean };

export type TimelineSource = { timeline?: Record<string, TimelinePointLike[]>; overall_timeline?: TimelinePointLike[]; capacity?: { steps: CapacityStepLike[] } | null };

export function reportCharts(source: TimelineSource): Chart[] {
  return [...timelineCharts(source), ...capacityCharts(source.capacity?.steps ?? [])];
}

/** Per step of a capacity search, in the order run: the rate asked and achieved, and the latency it got. */
function capacityCharts(steps: CapacityStepLike[]): Chart[] {
  if (steps.length === 0) return [];
  const x = steps.map((_, i) => i + 1);
  return [
    { id: 'capacity-rate', title: 'Capacity search: rate per step (x: step)', unit: 'req/s', x, lines: [{ label: 'asked', values: steps.map((s) => s.rate) }, { label: 'achieved', values: steps.map((s) => s.achieved_rps) }] },
    { id: 'capacity-latency', title: 'Capacity search: latency per step (x: step)', unit: 'ms', x, lines: [{ label: 'p50', values: steps.map((s) => s.p50) }, { label: 'p99', values: steps.map((s) => s.p99) }] },
  ];
}

function timelineCharts(source: TimelineSource): Chart[] {
  const overall = source.overall_timeline ?? [];
  if (overall.length > 0) return overallCharts(overall);
  const timeline = source.timeline ?? {};
  if (Object.values(timeline).every((points) => points.length === 0)) return [];
  return perDriverCharts(timeline);
}

const seconds = (ms: number) => Math.round(ms) / 1000;
const valueOf = (value: number | null | undefined) => (value === undefined ? null : value);

function overallCharts(points: TimelinePointLike[]): Chart[] {
  const x = points.map((p) => seconds(p.elapsed_ms));
  const rateLines: ChartLine[] = [
    { label: 'achieved (completed/s)', values: points.map((p) => valueOf(p.rps)) },
    { label: 'started/s', values: points.map((p) => valueOf(p.sent_rps)) },
    { label: 'errors/s', values: points.map((p) => (p.errors === undefined ? null : (p.errors * 1000) / (p.interval_ms ?? 1000))) },
  ];
  if (points.some((p) => p.planned_rps !== undefined && p.planned_rps !== null)) rateLines.push({ label: 'planned/s', values: points.map((p) => valueOf(p.planned_rps)), dashed: true });
  return [
    { id: 'rate', title: 'Request rate, per second of the run', unit: 'req/s', x, lines: rateLines.filter((line) => line.values.some((v) => v !== null)) },
    {
      id: 'latency',
      title: 'Latency per interval',
      unit: 'ms',
      x,
      lines: [
        { label: 'p50', values: points.map((p) => valueOf(p.p50 ?? p.median)) },
        { label: 'p95', values: points.map((p) => valueOf(p.p95)) },
        { label: 'p99', values: points.map((p) => valueOf(p.p99)) },
      ].filter((line) => line.values.some((v) => v !== null)),
    },
  ];
}

/** Every driver's points on one x axis (their report moments differ); a driver has null where it did not report. */
function perDriverCharts(timeline: Record<string, TimelinePointLike[]>): Chart[] {
  const drivers = Object.keys(timeline).sort();
  const x = [...new Set(drivers.flatMap((id) => (timeline[id] ?? []).map((p) => seconds(p.elapsed_ms))))].sort((a, b) => a - b);
  const column = (id: string, pick: (point: TimelinePointLike, previous: TimelinePointLike | undefined) => number | null) => {
    const byX = new Map<number, number | null>();
    (timeline[id] ?? []).forEach((point, i, all) => byX.set(seconds(point.elapsed_ms), pick(point, all[i - 1])));
    return x.map((at) => byX.get(at) ?? null);
  };
  const rate = (point: TimelinePointLike, previous: TimelinePointLike | undefined): number | null => {
    if (point.rps !== undefined) return point.rps;
    const dt = point.elapsed_ms - (previous?.elapsed_ms ?? 0);
    if (point.completed === undefined || dt <= 0) return null;
    return Math.round(((point.completed - (previous?.completed ?? 0)) * 1000 * 1000) / dt) / 1000;
  };
  const interval = drivers.some((id) => (timeline[id] ?? []).some((p) => p.p50 !== undefined));
  return [
    { id: 'rate', title: 'Completed requests per second, per driver (between reports)', unit: 'req/s', x, lines: drivers.map((id) => ({ label: id, values: column(id, rate) })) },
    {
      id: 'latency',
      title: interval ? 'Latency per interval, per driver' : 'Latency since the start, per driver',
      unit: 'ms',
      x,
      lines: drivers.flatMap((id) => [
        { label: `${id} p50`, values: column(id, (p) => valueOf(p.p50 ?? p.median)) },
        { label: `${id} p99`, values: column(id, (p) => valueOf(p.p99)), dashed: true },
      ]),
    },
  ];
}
