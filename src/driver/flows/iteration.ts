import { performance } from 'node:perf_hooks';
import { FLOW_BODY_LIMIT_BYTES, type CapturedOutcome, type HttpClient } from '../httpClient.js';
import type { Recorder } from '../recorder.js';
import type { RequestSequence } from '../requests/requestIterator.js';
import { captureAll } from './captures.js';
import { checkPasses, jsonBody } from './checks.js';
import { drawThinkMs, type CompiledRequest, type CompiledStep } from './compiledFlow.js';
import type { FlowFigures, IterationFailure } from './flowFigures.js';
import type { FlowResponse } from './flowResponse.js';
import type { VirtualUser } from './virtualUser.js';

/** What every iteration of a test's flows shares: where requests go and where their figures go. */
export type FlowContext = {
  client: HttpClient;
  origins: readonly string[];
  steps: Recorder;
  figures: FlowFigures;
  sequence: RequestSequence;
  driverId: string;
  testId: string;
  /** requests on the wire now */
  inFlight: { count: number };
};

/** One iteration of a VU: the steps in order, until the last or until one ends it. */
export async function runIteration(vu: VirtualUser, steps: readonly CompiledStep[], context: FlowContext): Promise<void> {
  const startedAt = performance.now();
  vu.beginIteration();
  const failure = await runSteps(vu, steps, context);
  context.figures.iterationEnded(performance.now() - startedAt, failure);
}

async function runSteps(vu: VirtualUser, steps: readonly CompiledStep[], context: FlowContext): Promise<IterationFailure | undefined> {
  for (const step of steps) {
    if (vu.interrupted) return 'interrupted';
    if (step.kind === 'think') {
      if (!(await vu.think(drawThinkMs(step.think)))) return 'interrupted';
    } else if (step.kind === 'loop') {
      for (let round = 0; round < step.count; round++) {
        const failure = await runSteps(vu, step.steps, context);
        if (failure) return failure;
      }
    } else {
      const failure = await runRequest(vu, step, context);
      if (failure) return failure;
    }
  }
  return undefined;
}

async function runRequest(vu: VirtualUser, step: CompiledRequest, context: FlowContext): Promise<IterationFailure | undefined> {
  const templateContext = { seq: context.sequence.next(), driverId: context.driverId, testId: context.testId, vars: vu.vars };
  const prepared = step.template.fixed ?? step.template.render(templateContext);
  const url = context.origins[prepared.originIndex] + prepared.path;
  const cookie = vu.cookies.cookieHeader(url);
  const request = cookie === undefined ? prepared : { ...prepared, headers: [...(prepared.headers ?? []), 'cookie', cookie] };
  recordSent(context, step);
  context.inFlight.count += 1;
  const sentAt = performance.now();
  const outcome = await context.client.sendCapturing(request, step.readsBody ? FLOW_BODY_LIMIT_BYTES : 0);
  const durationMs = performance.now() - sentAt;
  context.inFlight.count -= 1;
  recordOutcome(context, step, outcome, durationMs);
  vu.cookies.store(url, outcome.headers['set-cookie']);
  const response: FlowResponse = { status: outcome.status, headers: outcome.headers, body: outcome.body, bodyTruncated: outcome.bodyTruncated, durationMs };
  const parsedJson = jsonBody(response);
  if (step.captures) {
    const { values, missing } = captureAll(step.captures, response, step.optional, parsedJson);
    Object.assign(vu.vars, values);
    if (missing.length > 0) return 'capture_missing';
  }
  for (const check of step.checks) {
    const passed = checkPasses(check.spec, response, parsedJson, () => check.expected(templateContext));
    context.figures.checked(check.name, passed);
    if (!passed && step.abortOnCheckFailure) return 'check_failed';
  }
  return undefined;
}

function recordSent(context: FlowContext, step: CompiledRequest): void {
  context.steps.recordSent(step.stepIndex);
  for (const group of step.groupIndexes) context.figures.groups.recordSent(group);
}

/** A flow's latency is the request's own (a VU waits for it: there is no schedule to be late against). */
function recordOutcome(context: FlowContext, step: CompiledRequest, outcome: CapturedOutcome, durationMs: number): void {
  const micros = durationMs * 1000;
  for (const [recorder, index] of [[context.steps, step.stepIndex] as const, ...step.groupIndexes.map((group) => [context.figures.groups, group] as const)]) {
    if (outcome.errorKind === undefined) recorder.recordSuccess(micros, micros, outcome.status, outcome.bytes, index);
    else recorder.recordError(outcome.errorKind, outcome.errorMessage, outcome.status, outcome.bytes, index);
  }
}
