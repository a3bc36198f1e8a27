import { performance } from 'node:perf_hooks';
import { FLOW_BODY_LIMIT_BYTES, type CapturedOutcome } from '../requestOutcome.js';
import type { HttpClient } from '../http1/httpClient.js';
import type { Recorder } from '../recorder.js';
import type { PreparedRequest, RequestSequence } from '../requests/requestIterator.js';
import { captureAll } from './captures.js';
import { checkPasses, jsonBody } from './checks.js';
import { drawThinkMs, type CompiledRequest, type CompiledStep } from './compiledFlow.js';
import type { FlowFigures, IterationFailure } from './flowFigures.js';
import type { FlowResponse } from './flowResponse.js';
import type { IterationRow, VirtualUser } from './virtualUser.js';

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

/**
 * One iteration of a VU: the steps in order, until the last or until one ends it. Loops are frames of a
 * stack, not recursive calls: every await is a promise and a turn of the microtask queue, and a step
 * of a load test cannot spare one per level of nesting.
 */
export async function runIteration(vu: VirtualUser, steps: readonly CompiledStep[], context: FlowContext, row?: IterationRow): Promise<void> {
  const startedAt = performance.now();
  vu.beginIteration(row);
  const frames = [{ steps, next: 0, roundsLeft: 1 }];
  let failure: IterationFailure | undefined;
  while (failure === undefined && frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    if (frame.next === frame.steps.length) {
      frame.roundsLeft -= 1;
      if (frame.roundsLeft > 0) frame.next = 0;
      else frames.pop();
      continue;
    }
    const step = frame.steps[frame.next++]!;
    if (vu.interrupted) failure = 'interrupted';
    else if (step.kind === 'request') failure = await runRequest(vu, step, context);
    else if (step.kind === 'loop') frames.push({ steps: step.steps, next: 0, roundsLeft: step.count });
    else if (!(await vu.think(drawThinkMs(step.think)))) failure = 'interrupted';
  }
  context.figures.iterationEnded(performance.now() - startedAt, failure);
}

async function runRequest(vu: VirtualUser, step: CompiledRequest, context: FlowContext): Promise<IterationFailure | undefined> {
  const templateContext = { seq: context.sequence.next(), driverId: context.driverId, testId: context.testId, vars: vu.vars };
  const request = withCookies(vu, step.template.fixed ?? step.template.render(templateContext), context);
  recordSent(context, step);
  context.inFlight.count += 1;
  const sentAt = performance.now();
  const outcome = await context.client.sendCapturing(request, step.readsBody ? FLOW_BODY_LIMIT_BYTES : 0, step.keptHeaders);
  const durationMs = performance.now() - sentAt;
  context.inFlight.count -= 1;
  recordOutcome(context, step, outcome, durationMs);
  const setCookie = outcome.headers['set-cookie'];
  if (setCookie !== undefined) vu.cookies.store(urlOf(request, context), setCookie);
  if (step.captures === undefined && step.checks.length === 0) return undefined;
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

/** The request with the VU's cookie header, when its jar holds cookies for it (a VU that never got one pays nothing). */
function withCookies(vu: VirtualUser, prepared: PreparedRequest, context: FlowContext): PreparedRequest {
  if (!vu.cookies.holdsCookies) return prepared;
  const cookie = vu.cookies.cookieHeader(urlOf(prepared, context));
  return cookie === undefined ? prepared : { ...prepared, headers: [...(prepared.headers ?? []), 'cookie', cookie] };
}

function urlOf(request: PreparedRequest, context: FlowContext): string {
  return context.origins[request.originIndex] + request.path;
}

function recordSent(context: FlowContext, step: CompiledRequest): void {
  context.steps.recordSent(step.stepIndex);
  for (const group of step.groupIndexes) context.figures.groups.recordSent(group);
}

/** A flow's latency is the request's own (a VU waits for it: there is no schedule to be late against). */
function recordOutcome(context: FlowContext, step: CompiledRequest, outcome: CapturedOutcome, durationMs: number): void {
  recordIn(context.steps, step.stepIndex, outcome, durationMs * 1000);
  for (const group of step.groupIndexes) recordIn(context.figures.groups, group, outcome, durationMs * 1000);
}

function recordIn(recorder: Recorder, index: number, outcome: CapturedOutcome, micros: number): void {
  if (outcome.errorKind === undefined) recorder.recordSuccess(micros, micros, outcome.status, outcome.bytes, index);
  else recorder.recordError(outcome.errorKind, outcome.errorMessage, outcome.status, outcome.bytes, index);
}
