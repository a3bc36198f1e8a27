/**
 * The syntax of a request template, `{{name}}`: what the REST body, the wire and the driver agree is
 * valid. No zod here: every load worker parses templates, and zod would cost each about 3 MB.
 */

export const TEMPLATE_NAMES = ['seq', 'uuid', 'driver_id', 'test_id', 'random_int', 'now_ms'] as const;
export type TemplateName = (typeof TEMPLATE_NAMES)[number];

/**
 * A piece of a templated text: a literal, a value made per request, or (in a flow) a variable: a
 * capture of an earlier step, `vu`, `iteration` or `data.COLUMN`.
 */
export type TemplatePart = { literal: string } | { name: Exclude<TemplateName, 'random_int'> } | { name: 'random_int'; min: number; max: number } | { variable: string };

/**
 * `request`: the templates of round two only; `flow`: a flow step's, where any other name is a variable
 * (its definition is checked against the flow: src/protocol/flowVariables.ts).
 */
export type TemplateMode = 'request' | 'flow';

/** A variable's name in a flow: an identifier, or `data.` and a column's identifier. */
export const VARIABLE_NAME = /^(?:data\.)?[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** Every `{{…}}` of a text (global: for `matchAll` and `replace`). */
export const TEMPLATE_PATTERN = /\{\{([^{}]*)\}\}/g;
const TEMPLATE_PREFIX = '{{';

export function hasTemplates(text: string): boolean {
  return text.includes(TEMPLATE_PREFIX);
}

/** Splits a text into literals and templates; an unknown or malformed template is an error naming it. */
export function parseTemplate(text: string, mode: TemplateMode = 'request'): { ok: true; parts: TemplatePart[] } | { ok: false; message: string } {
  const parts: TemplatePart[] = [];
  let last = 0;
  for (const match of text.matchAll(TEMPLATE_PATTERN)) {
    if (match.index > last) parts.push({ literal: text.slice(last, match.index) });
    const part = templatePart(match[1]!.trim(), mode);
    if (typeof part === 'string') return { ok: false, message: `${match[0]}: ${part}` };
    parts.push(part);
    last = match.index + match[0].length;
  }
  if (last < text.length) parts.push({ literal: text.slice(last) });
  const stray = parts.find((p) => 'literal' in p && p.literal.includes(TEMPLATE_PREFIX));
  if (stray) return { ok: false, message: 'has an unclosed {{' };
  return { ok: true, parts };
}

function templatePart(expression: string, mode: TemplateMode): TemplatePart | string {
  const [name, ...args] = expression.split(':');
  if (name === 'random_int') {
    const [min, max] = args.map((a) => (/^-?\d{1,15}$/.test(a.trim()) ? Number(a) : NaN));
    if (args.length !== 2 || !Number.isSafeInteger(min) || !Number.isSafeInteger(max)) return 'random_int takes two whole numbers, {{random_int:A:B}}';
    if (min! > max!) return 'random_int needs A <= B';
    return { name, min: min!, max: max! };
  }
  const known = (TEMPLATE_NAMES as readonly string[]).includes(name ?? '') && args.length === 0;
  if (!known && mode === 'flow' && VARIABLE_NAME.test(expression)) return { variable: expression };
  if (!known) return mode === 'flow' ? `not a template or variable name (templates: ${TEMPLATE_NAMES.join(', ')}; variables: a capture's name, vu, iteration, data.COLUMN)` : `unknown template (known: ${TEMPLATE_NAMES.join(', ')})`;
  return { name: name as Exclude<TemplateName, 'random_int'> };
}
