import { z } from 'zod';

/**
 * Two exported results side by side (`stampede compare BASE.json NEW.json`): overall and per request
 * name, each figure with its absolute and relative change, and relative thresholds such as `p99<+10%`
 * (NEW's p99 at most 10 % above BASE's) or `rps>-5%` (at most 5 % below) for CI regression gates.
 */

const COMPARED = ['rps', 'error_rate', 'min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'] as const;
export type ComparedMetric = (typeof COMPARED)[number];
const LATENCIES = ['min', 'mean', 'median', 'p90', 'p95', 'p99', 'max'] as const;

const latency = z.object(Object.fromEntries(LATENCIES.map((name) => [name, z.number().nullable()])) as Record<(typeof LATENCIES)[number], z.ZodNullable<z.ZodNumber>>);
const comparedFigures = z.object({ sent: z.number(), completed: z.number(), error_count: z.number(), rps: z.number().nullable(), latency });
const comparedRequest = comparedFigures.extend({ name: z.string() });

const NO_LATENCY = Object.fromEntries(LATENCIES.map((name) => [name, null])) as z.output<typeof latency>;
const comparedIterations = z.object({ completed: z.number(), failed: z.number(), duration: latency });
const comparedChecks = z.object({ passes: z.number(), fails: z.number() });

/** What compare reads of a result: the JSON of `stampede run --out x.json` / `--json`, or GET /api/tests/{id}/report. */
export const comparableReport = z.object({
  test_id: z.string(),
  state: z.string(),
  aggregate: comparedFigures.extend({
    requests: z.array(comparedRequest).default([]),
    groups: z.array(comparedRequest).default([]),
    iterations: comparedIterations.nullable().default(null),
    checks: comparedChecks.nullable().default(null),
  }),
});
export type ComparableReport = z.output<typeof comparableReport>;
type ComparedFigures = z.output<typeof comparedFigures>;

export type MetricChange = { metric: ComparedMetric; base: number | null; new: number | null; change: number | null; change_pct: number | null };
export type ScopeComparison = { scope: string; sent: [number, number]; metrics: MetricChange[] };

function valueOf(f: ComparedFigures, metric: ComparedMetric): number | null {
  if (metric === 'rps') return f.rps;
  if (metric === 'error_rate') return f.completed > 0 ? round((f.error_count / f.completed) * 100) : null;
  return f.latency[metric];
}

const round = (n: number) => Math.round(n * 1000) / 1000;

/** The change from base to new in % of base; a change from 0 is infinite, none from 0 is 0. */
export function relativeChange(base: number | null, next: number | null): number | null {
  if (base === null || next === null) return null;
  if (base === 0) return next === 0 ? 0 : next > 0 ? Infinity : -Infinity;
  return round(((next - base) / Math.abs(base)) * 100);
}

function compareFigures(scope: string, base: ComparedFigures, next: ComparedFigures): ScopeComparison {
  return {
    scope,
    sent: [base.sent, next.sent],
    metrics: COMPARED.map((metric) => {
      const [b, n] = [valueOf(base, metric), valueOf(next, metric)];
      return { metric, base: b, new: n, change: b === null || n === null ? null : round(n - b), change_pct: relativeChange(b, n) };
    }),
  };
}

/**
 * A scenario test's iterations and checks read as figures: failed iterations are its errors and their
 * durations its latencies; a failed check is an error of the checks, which have no latency.
 */
function iterationFigures(iterations: z.output<typeof comparedIterations>): ComparedFigures {
  const ended = iterations.completed + iterations.failed;
  return { sent: ended, completed: ended, error_count: iterations.failed, rps: null, latency: iterations.duration };
}

function checkFigures(checks: z.output<typeof comparedChecks>): ComparedFigures {
  const evaluated = checks.passes + checks.fails;
  return { sent: evaluated, completed: evaluated, error_count: checks.fails, rps: null, latency: NO_LATENCY };
}

/** The scenario scopes both results have: iterations, checks, and every group they share. */
function flowScopes(base: ComparableReport['aggregate'], next: ComparableReport['aggregate']): ScopeComparison[] {
  const scopes: ScopeComparison[] = [];
  if (base.iterations && next.iterations) scopes.push(compareFigures('iterations', iterationFigures(base.iterations), iterationFigures(next.iterations)));
  if (base.checks && next.checks) scopes.push(compareFigures('checks', checkFigures(base.checks), checkFigures(next.checks)));
  const newGroups = new Map(next.groups.map((g) => [g.name, g]));
  for (const group of base.groups) if (newGroups.has(group.name)) scopes.push(compareFigures(`group ${group.name}`, group, newGroups.get(group.name)!));
  return scopes;
}

/** Overall, then every request (or step) name the two share (a name in only one of them is listed apart), then a scenario test's iterations, checks and groups. */
export function compareReports(base: ComparableReport, next: ComparableReport): { scopes: ScopeComparison[]; only_base: string[]; only_new: string[] } {
  const newByName = new Map(next.aggregate.requests.map((r) => [r.name, r]));
  const baseNames = new Set(base.aggregate.requests.map((r) => r.name));
  const shared = base.aggregate.requests.filter((r) => newByName.has(r.name)).map((r) => compareFigures(`request ${r.name}`, r, newByName.get(r.name)!));
  return {
    scopes: [compareFigures('overall', base.aggregate, next.aggregate), ...shared, ...flowScopes(base.aggregate, next.aggregate)],
    only_base: [...baseNames].filter((name) => !newByName.has(name)),
    only_new: [...newByName.keys()].filter((name) => !baseNames.has(name)),
  };
}

export class RelativeThresholdError extends Error {
  override readonly name = 'RelativeThresholdError';
}

type Operator = '<' | '<=' | '>' | '>=';
export type RelativeThreshold = { expression: string; metric: ComparedMetric; operator: Operator; limit_pct: number };
export type RelativeThresholdResult = { expression: string; ok: boolean; change_pct: number | null };

const SYNTAX = /^\s*([a-z0-9_]+)\s*(<=|>=|<|>)\s*([+-]?\d+(?:\.\d+)?)\s*%\s*$/i;
const NAMES: Record<string, ComparedMetric> = { ...Object.fromEntries(COMPARED.map((m) => [m, m])), p50: 'median', errors: 'error_rate' };

/** `p99<+10%`: NEW's p99 changed by less than +10 % of BASE's; `rps>-5%`: rps fell by less than 5 %. */
export function parseRelativeThreshold(expression: string): RelativeThreshold {
  const match = SYNTAX.exec(expression);
  if (!match) throw new RelativeThresholdError(`threshold "${expression}": expected METRIC OPERATOR ±PERCENT%, a change relative to BASE (e.g. p99<+10%, rps>-5%)`);
  const [, name = '', operator = '', number = ''] = match;
  const metric = NAMES[name.toLowerCase()];
  if (!metric) throw new RelativeThresholdError(`threshold "${expression}": unknown metric "${name}" (known: ${Object.keys(NAMES).join(', ')})`);
  return { expression: expression.trim(), metric, operator: operator as Operator, limit_pct: Number(number) };
}

/** Judged on the overall figures; a metric either result lacks (no responses) fails, as nothing shows it held. */
export function evaluateRelativeThresholds(thresholds: readonly RelativeThreshold[], overall: ScopeComparison): RelativeThresholdResult[] {
  return thresholds.map((t) => {
    const change = overall.metrics.find((m) => m.metric === t.metric)?.change_pct ?? null;
    return { expression: t.expression, change_pct: change, ok: change !== null && holds(change, t.operator, t.limit_pct) };
  });
}

function holds(value: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return value < limit;
    case '<=':
      return value <= limit;
    case '>':
      return value > limit;
    case '>=':
      return value >= limit;
  }
}
