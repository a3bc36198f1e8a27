import type { CheckSpec } from '../../protocol/flowMatchers.js';
import { compileJsonPath, evaluateJsonPath, type JsonPath } from '../../protocol/jsonPath.js';
import type { FlowResponse } from './flowResponse.js';

type JsonCheck = Extract<CheckSpec, { json: string }>;

/** Parsed once per check object: checks run on every request of a load test. */
const checkPaths = new WeakMap<JsonCheck, JsonPath>();

/**
 * The body parsed as JSON, at most once however many captures and checks read it; undefined when it
 * is not JSON or was cut at the flow body bound (a cut document may still parse, as something else).
 */
export function jsonBody(response: FlowResponse): () => unknown {
  let parsed: { document: unknown } | undefined;
  return () => {
    parsed ??= { document: parseWholeBody(response) };
    return parsed.document;
  };
}

function parseWholeBody(response: FlowResponse): unknown {
  if (response.bodyTruncated) return undefined;
  try {
    return JSON.parse(response.body);
  } catch {
    return undefined;
  }
}

/**
 * Whether a check passes. No response (status 0) fails every check. A body cut at the flow body bound
 * is judged on the part read: body_contains fails when its text is not there (it may be further on),
 * and json checks fail, exists: false too, as they do on any body that is not JSON.
 * `render` fills the templates of body_contains and of a string that equals expects.
 */
export function checkPasses(check: CheckSpec, response: FlowResponse, parsedJson: () => unknown, render: (template: string) => string): boolean {
  if (response.status === 0) return false;
  if ('status' in check) return Array.isArray(check.status) ? check.status.includes(response.status) : check.status === response.status;
  if ('body_contains' in check) return response.body.includes(render(check.body_contains));
  if ('max_ms' in check) return response.durationMs <= check.max_ms;
  return jsonCheckPasses(check, parsedJson(), render);
}

function jsonCheckPasses(check: JsonCheck, document: unknown, render: (template: string) => string): boolean {
  if (document === undefined) return false;
  const result = evaluateJsonPath(checkPath(check), document);
  if (check.exists !== undefined) return result.found === check.exists;
  return result.found && matchesExpected(result.value, check.equals, render);
}

function checkPath(check: JsonCheck): JsonPath {
  let path = checkPaths.get(check);
  if (path === undefined) {
    path = compileJsonPath(check.json);
    checkPaths.set(check, path);
  }
  return path;
}

/** An expected string is rendered and compared as text with a found string, number or boolean; other values by JSON equality. */
function matchesExpected(found: unknown, expected: unknown, render: (template: string) => string): boolean {
  if (typeof expected !== 'string') return jsonEquals(found, expected);
  const text = render(expected);
  if (typeof found === 'string') return found === text;
  return (typeof found === 'number' || typeof found === 'boolean') && String(found) === text;
}

function jsonEquals(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((item, i) => jsonEquals(item, b[i]));
  if (!isObject(a) || !isObject(b)) return false;
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((key) => Object.hasOwn(b, key) && jsonEquals(a[key], b[key]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
