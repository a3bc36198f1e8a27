/**
 * The JSONPath subset a flow step uses to read a JSON response: names, quoted keys, array indexes and
 * wildcards. Filters, recursive descent, slices, unions and functions are refused by name, so a path
 * copied from elsewhere fails at validation rather than finding nothing at load time. No zod here:
 * load workers evaluate paths, and zod would cost each about 3 MB.
 */

/** The supported forms, for messages and docs. */
export const JSON_PATH_SUPPORTED = "$.a.b, $.a[0], $.a[-1], $['a b'], $.items[*].id, $.a.*";

/** One step from a value to the values inside it: a key of an object, an index of an array, or every child. */
export type JsonPathStep = { key: string } | { index: number } | { every: true };

/** A parsed path. `listed`: it has a wildcard, so it finds a list of values rather than one. */
export type JsonPath = { readonly steps: readonly JsonPathStep[]; readonly listed: boolean };

export type JsonPathResult = { found: false } | { found: true; value: unknown };

const EVERY: JsonPathStep = { every: true };
const NOT_FOUND: JsonPathResult = { found: false };
/** What `.name` accepts; other keys are written `['other key']`. */
const IDENTIFIER = /^[A-Za-z_$][A-Za-z0-9_$-]*/;
const INDEX = /^-?\d+$/;
const QUOTE_ESCAPES = new Set(["'", '"', '\\']);

/** Where a step reader stopped: the step and the position just after it, or why it refused. */
type StepRead = { step: JsonPathStep; end: number } | string;

export function parseJsonPath(text: string): { ok: true; path: JsonPath } | { ok: false; message: string } {
  if (!text.startsWith('$')) return refusal(text, 'must start with $ (the root)');
  const steps: JsonPathStep[] = [];
  let at = 1;
  while (at < text.length) {
    const read = readStep(text, at);
    if (typeof read === 'string') return refusal(text, read);
    steps.push(read.step);
    at = read.end;
  }
  return { ok: true, path: { steps, listed: steps.some((step) => 'every' in step) } };
}

/** For a path a schema has already accepted: a refusal here is a bug, so it throws. */
export function compileJsonPath(text: string): JsonPath {
  const parsed = parseJsonPath(text);
  if (!parsed.ok) throw new Error(`a JSONPath that passed validation does not parse: ${parsed.message}`);
  return parsed.path;
}

function refusal(text: string, reason: string): { ok: false; message: string } {
  return { ok: false, message: `not a JSONPath this tool understands: ${JSON.stringify(text)}: ${reason}; supported: ${JSON_PATH_SUPPORTED}` };
}

function readStep(text: string, at: number): StepRead {
  if (text.startsWith('..', at)) return 'recursive descent (..) is not supported';
  if (text[at] === '.') return readDotted(text, at + 1);
  if (text[at] === '[') return readBracketed(text, at + 1);
  return `unexpected ${JSON.stringify(text[at])} at position ${at}: each step starts with . or [`;
}

/** After a `.`: a name or `*`. */
function readDotted(text: string, at: number): StepRead {
  if (text[at] === '*') return { step: EVERY, end: at + 1 };
  const name = IDENTIFIER.exec(text.slice(at))?.[0];
  if (name === undefined) return `"." at position ${at - 1} must be followed by a name (letters, digits, _, $, -) or *; write other keys as ['key']`;
  const end = at + name.length;
  if (text[end] === '(') return `functions (${name}()) are not supported`;
  return { step: { key: name }, end };
}

/** After a `[`: a quoted key, an index or `*`, then `]`. */
function readBracketed(text: string, at: number): StepRead {
  const first = text[at];
  if (first === "'" || first === '"') return readQuotedKey(text, at);
  if (first === '?') return 'filters ([?...]) are not supported';
  if (first === '(') return 'script expressions ([(...)]) are not supported';
  const close = text.indexOf(']', at);
  if (close < 0) return `"[" at position ${at - 1} is never closed`;
  const inside = text.slice(at, close);
  const end = close + 1;
  if (inside === '*') return { step: EVERY, end };
  if (inside.includes(':')) return 'slices ([start:end]) are not supported';
  if (inside.includes(',')) return 'unions ([a,b]) are not supported';
  if (!INDEX.test(inside)) return `[${inside}] is not understood: write a key as ['key'], an index as [0] or [-1], every element as [*]`;
  const index = Number(inside);
  if (!Number.isSafeInteger(index)) return `index [${inside}] is too large`;
  return { step: { index }, end };
}

/** A key in quotes, `'…'` or `"…"`; a backslash escapes either quote or itself. */
function readQuotedKey(text: string, at: number): StepRead {
  const quote = text[at];
  let key = '';
  for (let i = at + 1; i < text.length; i++) {
    const char = text[i]!;
    if (char === quote) return closeQuotedKey(text, i + 1, key);
    if (char !== '\\') {
      key += char;
      continue;
    }
    const escaped = text[i + 1] ?? '';
    if (!QUOTE_ESCAPES.has(escaped)) return `unknown escape at position ${i} (a quoted key knows only \\', \\" and \\\\)`;
    key += escaped;
    i++;
  }
  return `the quoted key at position ${at} is never closed`;
}

function closeQuotedKey(text: string, at: number, key: string): StepRead {
  if (text[at] === ']') return { step: { key }, end: at + 1 };
  if (text[at] === ',') return 'unions ([a,b]) are not supported';
  return `expected ] at position ${at}, after the quoted key`;
}

/**
 * Reads a path in a parsed JSON document (`undefined` counts as missing). A key reads only objects and
 * an index only arrays. A listed path gives every value found, and finds nothing when that is none.
 */
export function evaluateJsonPath(path: JsonPath, document: unknown): JsonPathResult {
  const values: unknown[] = [];
  collect(path.steps, 0, document, values);
  if (values.length === 0) return NOT_FOUND;
  return { found: true, value: path.listed ? values : values[0] };
}

function collect(steps: readonly JsonPathStep[], from: number, value: unknown, into: unknown[]): void {
  const step = steps[from];
  if (step === undefined) {
    if (value !== undefined) into.push(value);
    return;
  }
  if ('every' in step) {
    for (const child of childrenOf(value)) collect(steps, from + 1, child, into);
    return;
  }
  const child = childAt(value, step);
  if (child !== undefined) collect(steps, from + 1, child, into);
}

function childAt(value: unknown, step: { key: string } | { index: number }): unknown {
  if ('key' in step) return isObject(value) && Object.hasOwn(value, step.key) ? value[step.key] : undefined;
  if (!Array.isArray(value)) return undefined;
  const index = step.index < 0 ? value.length + step.index : step.index;
  return index >= 0 && index < value.length ? value[index] : undefined;
}

function childrenOf(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  return isObject(value) ? Object.values(value) : [];
}

/** An object that is not an array: what a key reads. */
function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
