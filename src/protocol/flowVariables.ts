import type { CheckSpec } from './flowMatchers.js';
import { isRequestStep, type FlowStep, type RequestStep } from './flows.js';
import { parseTemplate } from './templates.js';

/** Variables every VU has from its first step: its id across the fleet and its iteration number. */
export const VU_VARIABLES = ['vu', 'iteration'] as const;

export type VariableProblem = { path: (string | number)[]; variable: string; message: string };

const DATA_PREFIX = 'data.';

/** `data.COLUMN`: a column of the scenario's data source. */
export function isDataVariable(variable: string): boolean {
  return variable.startsWith(DATA_PREFIX);
}

/** The variables of a data source's columns. */
export function dataVariables(columns: readonly string[]): string[] {
  return columns.map((column) => DATA_PREFIX + column);
}

/** Every `data.COLUMN` a flow uses, by column, with the first step path using it. */
export function dataColumnsUsed(flow: readonly FlowStep[]): Map<string, (string | number)[]> {
  const used = new Map<string, (string | number)[]>();
  // Every data variable is "undefined" to a flow given no columns: that finds each use with its path.
  for (const problem of undefinedVariables(flow, [])) {
    if (!isDataVariable(problem.variable)) continue;
    const column = problem.variable.slice(DATA_PREFIX.length);
    if (!used.has(column)) used.set(column, problem.path);
  }
  return used;
}

/**
 * Every use of a variable that nothing defines before it: a step may use what `provided` names (the VU's
 * own variables, a data source's columns) and what earlier steps capture; its checks may also use its
 * own captures. Found before the test starts, so a typo is a 400 naming the step, not a run of empty values.
 */
export function undefinedVariables(flow: readonly FlowStep[], provided: readonly string[]): VariableProblem[] {
  const defined = new Set<string>([...VU_VARIABLES, ...provided]);
  const problems: VariableProblem[] = [];
  walk(flow, [], defined, problems);
  return problems;
}

function walk(flow: readonly FlowStep[], path: (string | number)[], defined: Set<string>, problems: VariableProblem[]): void {
  flow.forEach((step, index) => {
    const at = [...path, index];
    if (isRequestStep(step)) {
      reportUndefined(requestTexts(step), at, defined, problems);
      for (const name of Object.keys(step.capture ?? {})) defined.add(name);
      reportUndefined(checkTextsOf(step.check ?? []), at, defined, problems);
    } else if ('loop' in step) walk(step.loop.steps, [...at, 'loop', 'steps'], defined, problems);
    else if ('group' in step) walk(step.group.steps, [...at, 'group', 'steps'], defined, problems);
  });
}

/** The templated texts of a request, each at its path within the step. */
function requestTexts(step: RequestStep): [(string | number)[], string][] {
  const texts: [(string | number)[], string][] = [[['url'], step.url]];
  for (const [name, value] of Object.entries(step.headers ?? {})) texts.push([['headers', name], value]);
  if (step.body !== undefined) texts.push([['body'], step.body]);
  return texts;
}

function checkTextsOf(checks: readonly CheckSpec[]): [(string | number)[], string][] {
  return checks.flatMap((check, index): [(string | number)[], string][] => {
    if ('body_contains' in check) return [[['check', index, 'body_contains'], check.body_contains]];
    if ('equals' in check && typeof check.equals === 'string') return [[['check', index, 'equals'], check.equals]];
    return [];
  });
}

function reportUndefined(texts: [(string | number)[], string][], at: (string | number)[], defined: ReadonlySet<string>, problems: VariableProblem[]): void {
  for (const [path, text] of texts) {
    const parsed = parseTemplate(text, 'flow');
    if (!parsed.ok) continue;
    for (const part of parsed.parts) {
      if (!('variable' in part) || defined.has(part.variable)) continue;
      problems.push({ path: [...at, ...path], variable: part.variable, message: undefinedMessage(part.variable, defined) });
    }
  }
}

function undefinedMessage(variable: string, defined: ReadonlySet<string>): string {
  const known = [...defined].join(', ');
  if (isDataVariable(variable)) return `uses {{${variable}}}, but the scenario has no data source with that column (defined here: ${known})`;
  return `uses {{${variable}}}, which no earlier step captures (defined here: ${known})`;
}
