import { checkName, FLOW_BODY_NEEDS, isRequestStep, requestName, thinkTime, type CaptureSpec, type CheckSpec, type FlowStep, type RequestStep, type ThinkTime } from '../../protocol/index.js';
import { KeptHeaders } from '../http1/responseParser.js';
import { originOf, RequestTemplate } from '../requests/requestIterator.js';
import { asIs, compileTemplate, type RenderedText } from '../requests/templates.js';

/** A request step ready to run: its template compiled once, its figures' places looked up once. */
export type CompiledRequest = {
  kind: 'request';
  name: string;
  /** its per-step figures: the index of its name among the test's step names */
  stepIndex: number;
  /** the groups it is in, as indexes among the test's group names */
  groupIndexes: readonly number[];
  template: RequestTemplate;
  captures: Record<string, CaptureSpec> | undefined;
  /** `expected` renders the text a check compares with (`equals`, `body_contains`), templates and all */
  checks: readonly { spec: CheckSpec; name: string; expected: RenderedText }[];
  /** whether its captures or checks read the body (else only the head is kept) */
  readsBody: boolean;
  /** the response headers it reads: the others are never made into strings */
  keptHeaders: KeptHeaders;
  optional: boolean;
  abortOnCheckFailure: boolean;
};

export type CompiledStep = CompiledRequest | { kind: 'think'; think: ThinkTime } | { kind: 'loop'; count: number; steps: CompiledStep[] };

/** The names a test's figures are kept under, and the origins its requests go to (HttpClient's pools, same order). */
export type FlowIndex = { stepNames: readonly string[]; groupNames: readonly string[]; origins: string[] };

/** Compiles a flow; groups dissolve into their steps, which carry the groups' indexes. */
export function compileFlow(flow: readonly FlowStep[], index: FlowIndex, groups: readonly number[] = []): CompiledStep[] {
  return flow.flatMap((step): CompiledStep[] => {
    if (isRequestStep(step)) return [compileRequest(step, index, groups)];
    if ('think' in step) {
      const think = thinkTime(step.think);
      if (typeof think === 'string') throw new Error(`invalid think time ${JSON.stringify(step.think)}: ${think}`);
      return [{ kind: 'think', think }];
    }
    if ('loop' in step) return [{ kind: 'loop', count: step.loop.count, steps: compileFlow(step.loop.steps, index, groups) }];
    return compileFlow(step.group.steps, index, [...groups, indexOf(index.groupNames, step.group.name)]);
  });
}

function compileRequest(step: RequestStep, index: FlowIndex, groups: readonly number[]): CompiledRequest {
  const name = requestName(step);
  const origin = originOf(step.url);
  if (!index.origins.includes(origin)) index.origins.push(origin);
  const checks = (step.check ?? []).map((spec) => ({ spec, name: checkName(name, spec), expected: compileTemplate(expectedText(spec), asIs, 'flow') }));
  return {
    kind: 'request',
    name,
    stepIndex: indexOf(index.stepNames, name),
    groupIndexes: groups,
    template: new RequestTemplate(step, 0, index.origins.indexOf(origin), 'flow'),
    captures: step.capture,
    checks,
    readsBody: Object.values(step.capture ?? {}).some(FLOW_BODY_NEEDS.capture) || checks.some(({ spec }) => FLOW_BODY_NEEDS.check(spec)),
    keptHeaders: headersRead(step.capture),
    optional: step.optional ?? false,
    abortOnCheckFailure: step.abort_on_check_failure ?? false,
  };
}

/**
 * Set-Cookie for the VU's cookie jar (every VU has one) and the headers its captures name. Checks read
 * no header: status, body and latency only.
 */
function headersRead(captures: RequestStep['capture']): KeptHeaders {
  const captured = Object.values(captures ?? {}).flatMap((spec) => ('header' in spec ? [spec.header] : []));
  return KeptHeaders.named(['set-cookie', ...captured]);
}

/** The text a check compares with; empty for checks that compare with none. */
function expectedText(check: CheckSpec): string {
  if ('body_contains' in check) return check.body_contains;
  return 'equals' in check && typeof check.equals === 'string' ? check.equals : '';
}

function indexOf(names: readonly string[], name: string): number {
  const found = names.indexOf(name);
  if (found < 0) throw new Error(`compileFlow: ${JSON.stringify(name)} is not among the test's names`);
  return found;
}

/** Every check's name in a compiled flow, in flow order, once each. */
export function checkNamesOf(steps: readonly CompiledStep[]): string[] {
  const names = steps.flatMap((step) => (step.kind === 'request' ? step.checks.map((c) => c.name) : step.kind === 'loop' ? checkNamesOf(step.steps) : []));
  return [...new Set(names)];
}

/** A think time drawn once: fixed, uniform in its range, or exponential around its mean (capped at ten means). */
export function drawThinkMs(think: ThinkTime, random: () => number = Math.random): number {
  switch (think.kind) {
    case 'fixed':
      return think.ms;
    case 'uniform':
      return think.minMs + random() * (think.maxMs - think.minMs);
    case 'exponential':
      return Math.min(-think.meanMs * Math.log(1 - random()), 10 * think.meanMs);
  }
}
