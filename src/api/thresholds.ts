/**
 * Pass/fail criteria on a test's figures: one implementation for `stampede run --threshold`, scenario and
 * plan files, and the orchestrator's verdicts on plans. The grammar is METRIC[STEP] OPERATOR NUMBER[ms|%]
 * with OPERATOR one of <, <=, >, >=, ==:
 * - the whole test: `p95<200` (min, max, mean, median or p50, mode, p90, p95, p99: ms), `errors<1%`
 *   (rate over completed requests) or `errors<=5` (count), `rps>=900`;
 * - one step (a request's name, trimmed; anything but `]`): `p99[login]<300`, `median[GET /posts]<50`,
 *   `errors[create]<1%`, `errors[create]<=5`, `rps[home]>=10`;
 * - checks: `checks>99%`, the percentage of check evaluations that passed, over every check (% required);
 * - iterations of a journey: `iteration_p95<2000` (iteration_min…iteration_p99, iteration_p50 = median:
 *   an iteration's duration in ms), `dropped_iterations==0` (count), `failed_iterations<=3` (count) or
 *   `failed_iterations<1%` (of the finished iterations: completed plus failed).
 * A threshold with nothing to measure (no such step, no check evaluated, no iteration figures) fails.
 */

const LATENCY_METRICS = ['min', 'max', 'mean', 'median', 'mode', 'p90', 'p95', 'p99'] as const;

type LatencyMetric = (typeof LATENCY_METRICS)[number];

/** One step's (request name's) figures, as the REST view's `aggregate.requests` gives them. */
export type StepFigures = { name: string; completed: number; error_count: number; rps: number | null; latency: Record<LatencyMetric, number | null> };

/**
 * What a threshold reads of a test's figures (the REST view's `aggregate` fits). The optional parts are
 * read only by the thresholds that need them: per-step ones by `requests`, `checks>…%` by `checks`
 * (totals over every check), the iteration ones by `iterations`; missing, they give no value.
 */
export type ThresholdFigures = {
  latency: Record<LatencyMetric, number | null>;
  completed: number;
  error_count: number;
  rps: number | null;
  requests?: StepFigures[];
  checks?: { passes: number; fails: number } | null;
  iterations?: { completed: number; failed: number; dropped: number; duration: Record<LatencyMetric, number | null> } | null;
};

/** A threshold that does not parse; its message quotes it and says why. */
export class ThresholdSyntaxError extends Error {
  override readonly name = 'ThresholdSyntaxError';
}
type Operator = '<' | '<=' | '>' | '>=' | '==';

/**
 * What a threshold measures, and in which unit its limit is written: the whole test's latency (ms),
 * error rate (%), error count or rps; the same of one step (`step`: its name); the checks' pass rate (%);
 * an iteration's duration (ms), the dropped iterations (count), the failed ones (count or % of finished).
 */
export type Measure =
  | { kind: 'latency'; metric: LatencyMetric }
  | { kind: 'errorRate' }
  | { kind: 'errorCount' }
  | { kind: 'rps' }
  | { kind: 'stepLatency'; metric: LatencyMetric; step: string }
  | { kind: 'stepErrorRate'; step: string }
  | { kind: 'stepErrorCount'; step: string }
  | { kind: 'stepRps'; step: string }
  | { kind: 'checkPassRate' }
  | { kind: 'iterationDuration'; metric: LatencyMetric }
  | { kind: 'droppedIterations' }
  | { kind: 'failedIterations' }
  | { kind: 'failedIterationRate' };

export type Threshold = { expression: string; measure: Measure; operator: Operator; limit: number };

export type ThresholdResult = { expression: string; ok: boolean; actual: number | null };

/** METRIC, an optional [STEP] (anything but `]`), OPERATOR, NUMBER, an optional unit. */
const SYNTAX = /^\s*([a-z0-9_]+)\s*(?:\[([^\]]*)\])?\s*(<=|>=|==|<|>)\s*(\d+(?:\.\d+)?)\s*(ms|%)?\s*$/i;
const EXAMPLES = 'e.g. p95<200, median<50, errors<1%, errors<=5, rps>=900, p99[login]<300, errors[create]<1%, checks>99%, iteration_p95<2000, dropped_iterations==0, failed_iterations<1%';
const ITERATION_PREFIX = 'iteration_';
const KNOWN_METRICS = `${LATENCY_METRICS.join(', ')}, errors, rps, each also of one step as METRIC[STEP] (p99[login]); checks (a %); ${ITERATION_PREFIX}{${LATENCY_METRICS.join(',')}}; dropped_iterations; failed_iterations`;
/** The metrics of the whole test that may also be read of one step. */
const STEP_METRICS = 'latency metrics, errors and rps';

/**
 * `p95<200`, `errors<1%`, `p99[login]<300`, `checks>99%`, `iteration_p95<2000`… (the grammar is at the
 * top of this file); anything else is a ThresholdSyntaxError quoting the expression.
 */
export function parseThreshold(expression: string): Threshold {
  const match = SYNTAX.exec(expression);
  if (!match) throw invalid(expression, `expected METRIC OPERATOR NUMBER (${EXAMPLES})`);
  const [, name = '', step, operator = '', number = '', suffix] = match;
  const lowerName = name.toLowerCase();
  const measure = step === undefined ? measureOf(expression, lowerName, suffix) : stepMeasureOf(expression, lowerName, step.trim(), suffix);
  return { expression: expression.trim(), measure, operator: operator as Operator, limit: Number(number) };
}

export function parseThresholds(expressions: readonly string[]): Threshold[] {
  return expressions.map(parseThreshold);
}

type WholeTestMeasure = Extract<Measure, { kind: 'latency' | 'errorRate' | 'errorCount' | 'rps' }>;

function measureOf(expression: string, name: string, suffix: string | undefined): Measure {
  return isWholeTestOnly(name) ? wholeTestOnlyMeasureOf(expression, name, suffix) : basicMeasureOf(expression, name, suffix);
}

/** The latency metrics, errors and rps: of the whole test, or (with [STEP]) of one step. */
function basicMeasureOf(expression: string, name: string, suffix: string | undefined): WholeTestMeasure {
  // p50 is what the live view prints, so it is accepted as the median's other name.
  const metric = latencyName(name);
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

/** checks, iteration_METRIC, dropped_iterations, failed_iterations: figures of the whole test only. */
function isWholeTestOnly(name: string): boolean {
  return name === 'checks' || name === 'dropped_iterations' || name === 'failed_iterations' || iterationMetric(name) !== undefined;
}

function iterationMetric(name: string): LatencyMetric | undefined {
  if (!name.startsWith(ITERATION_PREFIX)) return undefined;
  const metric = latencyName(name.slice(ITERATION_PREFIX.length));
  return isLatencyMetric(metric) ? metric : undefined;
}

function wholeTestOnlyMeasureOf(expression: string, name: string, suffix: string | undefined): Measure {
  if (name === 'checks') {
    if (suffix !== '%') throw invalid(expression, 'checks is a pass percentage, e.g. checks>99%');
    return { kind: 'checkPassRate' };
  }
  const metric = iterationMetric(name);
  if (metric !== undefined) {
    if (suffix === '%') throw invalid(expression, `${name} is an iteration's duration in milliseconds, not a percentage`);
    return { kind: 'iterationDuration', metric };
  }
  if (name === 'dropped_iterations') {
    if (suffix === '%') throw invalid(expression, 'dropped_iterations is a count of iterations, not a percentage, e.g. dropped_iterations==0');
    if (suffix === 'ms') throw invalid(expression, 'dropped_iterations is a count of iterations, not a duration, e.g. dropped_iterations==0');
    return { kind: 'droppedIterations' };
  }
  // failed_iterations, the last of the names isWholeTestOnly lets through
  if (suffix === 'ms') throw invalid(expression, 'failed_iterations is a count (failed_iterations<=3) or a percentage (failed_iterations<1%), not a duration');
  return suffix === '%' ? { kind: 'failedIterationRate' } : { kind: 'failedIterations' };
}

/** `p99[login]`, `errors[create]`, `rps[home]`: the whole test's metric, of one step. */
function stepMeasureOf(expression: string, name: string, step: string, suffix: string | undefined): Measure {
  if (step === '') throw invalid(expression, 'the step name between [ and ] is empty (e.g. p99[login]<300)');
  if (isWholeTestOnly(name)) throw invalid(expression, `${name} is over the whole test and takes no [step]; only ${STEP_METRICS} do, e.g. p99[login]<300`);
  const whole = basicMeasureOf(expression, name, suffix);
  switch (whole.kind) {
    case 'latency':
      return { kind: 'stepLatency', metric: whole.metric, step };
    case 'errorRate':
      return { kind: 'stepErrorRate', step };
    case 'errorCount':
      return { kind: 'stepErrorCount', step };
    case 'rps':
      return { kind: 'stepRps', step };
  }
}

function latencyName(name: string): string {
  return name === 'p50' ? 'median' : name;
}

function isLatencyMetric(name: string): name is LatencyMetric {
  return (LATENCY_METRICS as readonly string[]).includes(name);
}

function invalid(expression: string, why: string): ThresholdSyntaxError {
  return new ThresholdSyntaxError(`threshold "${expression}" is not valid: ${why}`);
}

const ERROR_KINDS: ReadonlySet<Measure['kind']> = new Set(['errorRate', 'errorCount', 'stepErrorRate', 'stepErrorCount', 'failedIterations', 'failedIterationRate']);

/**
 * Whether a list of thresholds judges the error figures, the whole test's, a step's or the failed
 * iterations (then a test whose every request failed may still pass).
 */
export function judgesErrors(thresholds: readonly Threshold[]): boolean {
  return thresholds.some((t) => ERROR_KINDS.has(t.measure.kind));
}

/** The step a measure reads, if it reads one. */
function stepOf(measure: Measure): string | undefined {
  return 'step' in measure ? measure.step : undefined;
}

/** The distinct step names the thresholds refer to (`p99[login]<300` → login), in their first order. */
export function thresholdStepNames(thresholds: readonly Threshold[]): string[] {
  const names = new Set<string>();
  for (const t of thresholds) {
    const step = stepOf(t.measure);
    if (step !== undefined) names.add(step);
  }
  return [...names];
}

/**
 * One message per threshold that names a step the test does not have, with the closest step name
 * (at most 2 edits away) as a suggestion: `threshold "p99[logn]<300" names step "logn", which the test
 * does not have (steps: login, create, read); did you mean "login"?`.
 */
export function unknownStepProblems(thresholds: readonly Threshold[], stepNames: readonly string[]): string[] {
  const known = new Set(stepNames);
  const listed = stepNames.length > 0 ? `steps: ${stepNames.join(', ')}` : 'it has no named steps';
  return thresholds.flatMap((t) => {
    const step = stepOf(t.measure);
    if (step === undefined || known.has(step)) return [];
    const suggestion = closestStep(step, stepNames);
    return [`threshold "${t.expression}" names step "${step}", which the test does not have (${listed})${suggestion === undefined ? '' : `; did you mean "${suggestion}"?`}`];
  });
}

const MAX_SUGGESTION_EDITS = 2;

function closestStep(typed: string, stepNames: readonly string[]): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of stepNames) {
    const distance = levenshtein(typed, name);
    if (distance <= MAX_SUGGESTION_EDITS && (!best || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Insertions, deletions and substitutions turning a into b (src/cli/closestName.ts is out of api/'s reach). */
function levenshtein(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** A rate in percent, 0 of nothing (as the error rate of a test with no completed request). */
function percentOf(part: number, whole: number): number {
  return whole > 0 ? round3((part / whole) * 100) : 0;
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
    case 'stepLatency':
      return stepFigures(figures, measure.step)?.latency[measure.metric] ?? null;
    case 'stepErrorRate': {
      const step = stepFigures(figures, measure.step);
      return step ? percentOf(step.error_count, step.completed) : null;
    }
    case 'stepErrorCount':
      return stepFigures(figures, measure.step)?.error_count ?? null;
    case 'stepRps':
      return stepFigures(figures, measure.step)?.rps ?? null;
    case 'checkPassRate': {
      const checks = figures.checks;
      return checks && checks.passes + checks.fails > 0 ? percentOf(checks.passes, checks.passes + checks.fails) : null;
    }
    case 'iterationDuration':
      return figures.iterations?.duration[measure.metric] ?? null;
    case 'droppedIterations':
      return figures.iterations?.dropped ?? null;
    case 'failedIterations':
      return figures.iterations?.failed ?? null;
    case 'failedIterationRate': {
      const iterations = figures.iterations;
      return iterations ? percentOf(iterations.failed, iterations.completed + iterations.failed) : null;
    }
  }
}

function stepFigures(figures: ThresholdFigures, step: string): StepFigures | undefined {
  return figures.requests?.find((r) => r.name === step);
}

/**
 * A threshold without a measured value (no completed request, no such step, no check evaluated, no
 * iteration figures) fails: nothing proves it holds.
 */
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
    const actual = result.actual === null ? `no value (${whyNoValue(t.measure)})` : `actual ${withUnit(result.actual, t.measure)}`;
    const miss = result.ok || result.actual === null ? '' : ` (${missDescription(t, result.actual)})`;
    return `${result.ok ? '✓' : '✗'} ${t.expression}: ${actual}${miss}`;
  });
}

function whyNoValue(measure: Measure): string {
  switch (measure.kind) {
    case 'latency':
    case 'errorRate':
    case 'errorCount':
    case 'rps':
      return 'no request completed';
    case 'stepLatency':
    case 'stepErrorRate':
    case 'stepErrorCount':
    case 'stepRps':
      return `no request of step "${measure.step}" completed`;
    case 'checkPassRate':
      return 'no check was evaluated';
    case 'iterationDuration':
      return 'no iteration completed';
    case 'droppedIterations':
    case 'failedIterations':
    case 'failedIterationRate':
      return 'no iteration figures';
  }
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
    case 'stepLatency':
    case 'iterationDuration':
      return `${formatNumber(value)} ms`;
    case 'stepErrorRate':
    case 'checkPassRate':
    case 'failedIterationRate':
      return `${formatNumber(value)}%`;
    case 'stepErrorCount':
      return counted(value, 'error');
    case 'stepRps':
      return `${formatNumber(value)} req/s`;
    case 'droppedIterations':
      return counted(value, 'dropped iteration');
    case 'failedIterations':
      return counted(value, 'failed iteration');
  }
}

/** `1 dropped iteration`, `3 dropped iterations` (the whole test's `errors` keep their plural always). */
function counted(value: number, noun: string): string {
  return `${formatNumber(value)} ${noun}${value === 1 ? '' : 's'}`;
}

/** At most 3 decimals, no trailing zeros: 245.1, 0.123, 40. */
export function formatNumber(value: number): string {
  return String(round3(value));
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
