/**
 * Pass/fail criteria on a test's overall figures, `p95<200`, `errors<1%`, `rps>=900`: one implementation
 * for `stampede run --threshold`, scenario and plan files, and the orchestrator's verdicts on plans.
 */

const LATENCY_METRICS = ['min', 'max', 'mean', 'median', 'mode', 'p90', 'p95', 'p99'] as const;

type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** What a threshold reads of a test's figures (the REST view's `aggregate` fits). */
export type ThresholdFigures = { latency: Record<LatencyMetric, number | null>; completed: number; error_count: number; rps: number | null };

/** A threshold that does not parse; its message quotes it and says why. */
export class ThresholdSyntaxError extends Error {
  override readonly name = 'ThresholdSyntaxError';
}
type Operator = '<' | '<=' | '>' | '>=' | '==';

/** What a threshold measures on the aggregate figures, and in which unit its limit is written. */
export type Measure = { kind: 'latency'; metric: LatencyMetric } | { kind: 'errorRate' } | { kind: 'errorCount' } | { kind: 'rps' };

export type Threshold = { expression: string; measure: Measure; operator: Operator; limit: number };

export type ThresholdResult = { expression: string; ok: boolean; actual: number | null };

const SYNTAX = /^\s*([a-z0-9]+)\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|%)?\s*$/i;
const EXAMPLES = 'e.g. p95<200, median<50, errors<1%, errors<=5, rps>=900';
const KNOWN_METRICS = `${LATENCY_METRICS.join(', ')}, errors, rps`;

/** `p95<200`, `errors<1%`, `rps>=900`…; anything else is a ThresholdSyntaxError quoting the expression. */
export function parseThreshold(expression: string): Threshold {
  const match = SYNTAX.exec(expression);
  if (!match) throw invalid(expression, `expected METRIC OPERATOR NUMBER (${EXAMPLES})`);
  const [, name = '', operator = '', number = '', suffix] = match;
  const measure = measureOf(expression, name.toLowerCase(), suffix);
  return { expression: expression.trim(), measure, operator: operator as Operator, limit: Number(number) };
}

export function parseThresholds(expressions: readonly string[]): Threshold[] {
  return expressions.map(parseThreshold);
}

function measureOf(expression: string, name: string, suffix: string | undefined): Measure {
  // p50 is what the live view prints, so it is accepted as the median's other name.
  const metric = name === 'p50' ? 'median' : name;
  if (isLatencyMetric(metric)) {
    if (suffix === '%') throw invalid(expression, `${name} is a latency in milliseconds, not a percentage`);
    return { kind: 'latency', metric };
  }
  if (suffix === 'ms') throw invalid(expression, `${name} is not a latency; only ${LATENCY_METRICS.join(', ')} take ms`);
  if (metric === 'errors') return suffix === '%' ? { kind: 'errorRate' } : { kind: 'errorCount' };
  if (metric === 'rps') {
    if (suffix === '%') throw invalid(expression, 'rps is requests per second, not a percentage');
    return { kind: 'rps' };
  }
  throw invalid(expression, `unknown metric "${name}" (known: ${KNOWN_METRICS})`);
}

function isLatencyMetric(name: string): name is LatencyMetric {
  return (LATENCY_METRICS as readonly string[]).includes(name);
}

function invalid(expression: string, why: string): ThresholdSyntaxError {
  return new ThresholdSyntaxError(`threshold "${expression}" is not valid: ${why}`);
}

/** Whether a list of thresholds judges the error figures (then a test whose every request failed may still pass). */
export function judgesErrors(thresholds: readonly Threshold[]): boolean {
  return thresholds.some((t) => t.measure.kind === 'errorRate' || t.measure.kind === 'errorCount');
}

/** The measured value in the threshold's own unit (ms, %, count, req/s); null when there is none yet. */
function actualValue(measure: Measure, figures: ThresholdFigures): number | null {
  switch (measure.kind) {
    case 'latency':
      return figures.latency[measure.metric];
    case 'errorRate':
      return figures.completed > 0 ? round3((figures.error_count / figures.completed) * 100) : 0;
    case 'errorCount':
      return figures.error_count;
    case 'rps':
      return figures.rps;
  }
}

/** A threshold without a measured value (no completed request) fails: nothing proves it holds. */
export function evaluateThresholds(thresholds: readonly Threshold[], aggregate: ThresholdFigures): ThresholdResult[] {
  return thresholds.map((t) => {
    const actual = actualValue(t.measure, aggregate);
    return { expression: t.expression, ok: actual !== null && compare(actual, t.operator, t.limit), actual };
  });
}

function compare(actual: number, operator: Operator, limit: number): boolean {
  switch (operator) {
    case '<':
      return actual < limit;
    case '<=':
      return actual <= limit;
    case '>':
      return actual > limit;
    case '>=':
      return actual >= limit;
    case '==':
      return actual === limit;
  }
}

/** One line per threshold: `✓ p99<5000: actual 3.4 ms`, `✗ p95<200: actual 245.1 ms (over by 45.1 ms)`. */
export function thresholdReport(thresholds: readonly Threshold[], results: readonly ThresholdResult[]): string[] {
  return thresholds.map((t, i) => {
    const result = results[i];
    if (!result) throw new Error(`no result for threshold ${t.expression}`);
    const actual = result.actual === null ? 'no value (no request completed)' : `actual ${withUnit(result.actual, t.measure)}`;
    const miss = result.ok || result.actual === null ? '' : ` (${missDescription(t, result.actual)})`;
    return `${result.ok ? '✓' : '✗'} ${t.expression}: ${actual}${miss}`;
  });
}

function missDescription(t: Threshold, actual: number): string {
  const gap = withUnit(round3(Math.abs(actual - t.limit)), t.measure);
  if (actual === t.limit) return `equal to the limit, must be ${t.operator.startsWith('<') ? 'below' : 'above'} it`;
  if (t.operator === '==') return `off by ${gap}`;
  return t.operator.startsWith('<') ? `over by ${gap}` : `under by ${gap}`;
}

function withUnit(value: number, measure: Measure): string {
  switch (measure.kind) {
    case 'latency':
      return `${formatNumber(value)} ms`;
    case 'errorRate':
      return `${formatNumber(value)}%`;
    case 'errorCount':
      return `${formatNumber(value)} errors`;
    case 'rps':
      return `${formatNumber(value)} req/s`;
  }
}

/** At most 3 decimals, no trailing zeros: 245.1, 0.123, 40. */
export function formatNumber(value: number): string {
  return String(round3(value));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
