import type { CaptureSpec } from '../../protocol/flowMatchers.js';
import { compileJsonPath, evaluateJsonPath, type JsonPath } from '../../protocol/jsonPath.js';
import { jsonBody } from './checks.js';
import type { FlowResponse } from './flowResponse.js';

/** A capture ready to run: its path parsed, its pattern compiled, its header name lower-cased. */
type CompiledCapture = { json: JsonPath } | { header: string } | { regex: RegExp } | { status: true };

/** Compiled once per spec object: captures run on every request of a load test. */
const compiledCaptures = new WeakMap<CaptureSpec, CompiledCapture>();

export type CapturedValues = { values: Record<string, string | string[]>; missing: string[] };

/**
 * Runs a step's captures. `missing` names the variables that found nothing although neither the
 * capture nor the step is optional. `parsedJson` lets the step's checks share one parse of the body.
 */
export function captureAll(captures: Record<string, CaptureSpec>, response: FlowResponse, stepOptional: boolean, parsedJson = jsonBody(response)): CapturedValues {
  const values: Record<string, string | string[]> = {};
  const missing: string[] = [];
  for (const [name, spec] of Object.entries(captures)) {
    const value = captureValue(spec, response, parsedJson);
    if (value !== undefined) values[name] = value;
    else if (!spec.optional && !stepOptional) missing.push(name);
  }
  return { values, missing };
}

/** What one capture finds as text (a list for a wildcard path), or undefined when it finds nothing. */
export function captureValue(spec: CaptureSpec, response: FlowResponse, parsedJson: () => unknown): string | string[] | undefined {
  const capture = compiledCapture(spec);
  if ('json' in capture) return jsonCapture(capture.json, parsedJson());
  if ('header' in capture) return firstValue(headerValue(response.headers, capture.header));
  if ('regex' in capture) return firstGroup(capture.regex, response.body);
  return response.status === 0 ? undefined : String(response.status);
}

function compiledCapture(spec: CaptureSpec): CompiledCapture {
  let capture = compiledCaptures.get(spec);
  if (capture === undefined) {
    capture = compile(spec);
    compiledCaptures.set(spec, capture);
  }
  return capture;
}

function compile(spec: CaptureSpec): CompiledCapture {
  if ('json' in spec) return { json: compileJsonPath(spec.json) };
  if ('header' in spec) return { header: spec.header.toLowerCase() };
  // The schema compiled the same pattern, so this does not throw.
  if ('regex' in spec) return { regex: new RegExp(spec.regex) };
  return { status: true };
}

/** `document` is undefined when the body is not JSON. JSON null counts as nothing found. */
function jsonCapture(path: JsonPath, document: unknown): string | string[] | undefined {
  if (document === undefined) return undefined;
  const result = evaluateJsonPath(path, document);
  if (!result.found) return undefined;
  if (!path.listed) return textOf(result.value);
  const texts = (result.value as unknown[]).map(textOf).filter((text) => text !== undefined);
  return texts.length === 0 ? undefined : texts;
}

/** A JSON value as a variable holds it: strings as they are, objects and arrays as JSON. */
function textOf(value: unknown): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value;
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** Own names only: a header named `constructor` must not find the prototype's. */
function headerValue(headers: FlowResponse['headers'], name: string): string | string[] | undefined {
  return Object.hasOwn(headers, name) ? headers[name] : undefined;
}

function firstValue(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

/** Not global, so the shared RegExp keeps no state between calls. */
function firstGroup(regex: RegExp, body: string): string | undefined {
  const match = regex.exec(body);
  if (match === null) return undefined;
  return match.length > 1 ? match[1] : match[0];
}
