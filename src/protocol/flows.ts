import { z } from 'zod';
import { durationSeconds } from './duration.js';
import { captureMap, checkList, type CaptureSpec, type CheckSpec } from './flowMatchers.js';
import { bodyProblem, REQUEST_LIMITS, requestFields } from './requests.js';

/**
 * A scenario's flow: what one iteration of a virtual user does, step after step. A step is a request
 * (the fields of a `requests` entry, plus captures and checks), a `think` pause, a `loop` of nested
 * steps, or a `group` whose steps also count under its name. The schemas keep what the user wrote (no
 * transforms), so the orchestrator's published config decodes on the driver to the same value.
 */

export const FLOW_LIMITS = { steps: 200, depth: 4, loopCount: 10_000, thinkMs: 3_600_000 } as const;

/** `500ms`, `2s`, `200ms..800ms` (uniform), a number of ms, or `{mean_ms, distribution: exponential}`. */
export type ThinkSpec = string | number | { mean_ms: number; distribution: 'exponential' };

/** A think time as the driver draws it. */
export type ThinkTime = { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number } | { kind: 'exponential'; meanMs: number };

const THINK_EXAMPLES = 'a duration such as "500ms", a range "200ms..800ms", a number of ms, or {mean_ms: 300, distribution: exponential}';

/** The think time a spec means, or why it means none. */
export function thinkTime(spec: ThinkSpec): ThinkTime | string {
  if (typeof spec === 'number') return withinThinkLimit({ kind: 'fixed', ms: spec });
  if (typeof spec === 'object') return withinThinkLimit({ kind: 'exponential', meanMs: spec.mean_ms });
  const [low, high, extra] = spec.split('..');
  if (extra !== undefined) return `must be ${THINK_EXAMPLES}, got "${spec}"`;
  const lowMs = thinkMillis(low ?? '');
  if (high === undefined) return lowMs === undefined ? `must be ${THINK_EXAMPLES}, got "${spec}"` : withinThinkLimit({ kind: 'fixed', ms: lowMs });
  const highMs = thinkMillis(high);
  if (lowMs === undefined || highMs === undefined) return `must be ${THINK_EXAMPLES}, got "${spec}"`;
  if (lowMs > highMs) return `a range runs from the shorter time to the longer, got "${spec}"`;
  return withinThinkLimit({ kind: 'uniform', minMs: lowMs, maxMs: highMs });
}

/** A bare number in a text is milliseconds, as the number form is. */
function thinkMillis(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed);
  const seconds = durationSeconds(trimmed);
  return seconds === undefined ? undefined : seconds * 1000;
}

function withinThinkLimit(think: ThinkTime): ThinkTime | string {
  const longest = think.kind === 'fixed' ? think.ms : think.kind === 'uniform' ? think.maxMs : think.meanMs;
  if (!(longest >= 0) || longest > FLOW_LIMITS.thinkMs) return `must be from 0 to ${FLOW_LIMITS.thinkMs} ms`;
  return think;
}

const thinkSpec = z
  .union([z.string(), z.number(), z.strictObject({ mean_ms: z.number(), distribution: z.literal('exponential') })], { error: `must be ${THINK_EXAMPLES}` })
  .superRefine((spec, ctx) => {
    const think = thinkTime(spec);
    if (typeof think === 'string') ctx.addIssue({ code: 'custom', message: think });
  });

export type RequestStep = {
  name?: string | undefined;
  method: (typeof import('./requests.js').HTTP_METHODS)[number];
  url: string;
  headers?: Record<string, string> | undefined;
  body?: string | undefined;
  allow_body?: boolean | undefined;
  expect_status?: number[] | undefined;
  capture?: Record<string, CaptureSpec> | undefined;
  check?: CheckSpec[] | undefined;
  /** every capture of the step may find nothing without failing the iteration */
  optional?: boolean | undefined;
  /** a failed check ends the iteration (as failed) */
  abort_on_check_failure?: boolean | undefined;
};
export type ThinkStep = { think: ThinkSpec };
export type LoopStep = { loop: { count: number; steps: FlowStep[] } };
export type GroupStep = { group: { name: string; steps: FlowStep[] } };
export type FlowStep = RequestStep | ThinkStep | LoopStep | GroupStep;

const requestStep = z
  .strictObject({
    ...requestFields('flow'),
    capture: captureMap.optional(),
    check: checkList.optional(),
    optional: z.boolean().optional(),
    abort_on_check_failure: z.boolean().optional(),
  })
  .superRefine(bodyProblem);

const stepName = z.string().trim().min(1, 'must not be empty').max(REQUEST_LIMITS.nameLength);

/** The step kinds, each known by the key only it has. */
const STEP_KINDS = ['url', 'think', 'loop', 'group'] as const;

function nestedSteps(depth: number) {
  return z.array(flowStep(depth + 1)).min(1, 'must have at least one step').max(FLOW_LIMITS.steps, `at most ${FLOW_LIMITS.steps} steps`);
}

/**
 * One step, parsed by the schema of its kind so that a problem is named at its own path
 * (`flow[2].capture.token.json`) rather than as a union's "invalid input".
 */
function flowStep(depth: number): z.ZodType<FlowStep> {
  return z.unknown().transform((value, ctx) => {
    const schema = stepSchema(value, depth);
    if (typeof schema === 'string') {
      ctx.addIssue({ code: 'custom', message: schema });
      return z.NEVER;
    }
    const parsed = schema.safeParse(value);
    if (parsed.success) return parsed.data as FlowStep;
    for (const issue of parsed.error.issues) ctx.addIssue({ ...(issue as z.core.$ZodRawIssue), path: issue.path });
    return z.NEVER;
  });
}

function stepSchema(value: unknown, depth: number): z.ZodType | string {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return `must be a step: a request (with url), {think}, {loop} or {group}`;
  const kinds = STEP_KINDS.filter((key) => key in value);
  if (kinds.length !== 1) return kinds.length === 0 ? 'must be a step: a request (with url), {think}, {loop} or {group}' : `is one step: give one of ${kinds.join(', ')}`;
  const kind = kinds[0]!;
  // Top-level steps are at depth 1: a loop or group there holds the first level of nesting.
  if ((kind === 'loop' || kind === 'group') && depth > FLOW_LIMITS.depth) return `loops and groups nest at most ${FLOW_LIMITS.depth} deep`;
  switch (kind) {
    case 'url':
      return requestStep;
    case 'think':
      return z.strictObject({ think: thinkSpec });
    case 'loop':
      return z.strictObject({ loop: z.strictObject({ count: z.int('must be a whole number').min(1, 'must be >= 1').max(FLOW_LIMITS.loopCount), steps: nestedSteps(depth) }) });
    case 'group':
      return z.strictObject({ group: z.strictObject({ name: stepName, steps: nestedSteps(depth) }) });
  }
}

export const flowSteps = nestedSteps(0);

export function isRequestStep(step: FlowStep): step is RequestStep {
  return 'url' in step;
}

/** Every request step of a flow, depth first, with the groups it is in (outermost first). */
export function requestSteps(flow: readonly FlowStep[], groups: readonly string[] = []): { step: RequestStep; groups: readonly string[] }[] {
  return flow.flatMap((step) => {
    if (isRequestStep(step)) return [{ step, groups }];
    if ('loop' in step) return requestSteps(step.loop.steps, groups);
    if ('group' in step) return requestSteps(step.group.steps, [...groups, step.group.name]);
    return [];
  });
}

/** How many requests one iteration sends when nothing ends it early (loops counted). */
export function requestsPerIteration(flow: readonly FlowStep[]): number {
  return flow.reduce((sum, step) => {
    if (isRequestStep(step)) return sum + 1;
    if ('loop' in step) return sum + step.loop.count * requestsPerIteration(step.loop.steps);
    if ('group' in step) return sum + requestsPerIteration(step.group.steps);
    return sum;
  }, 0);
}
