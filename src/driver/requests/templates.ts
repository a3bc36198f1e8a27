import { randomInt, randomUUID } from 'node:crypto';
import { parseTemplate, type TemplateMode, type TemplatePart } from '../../protocol/templates.js';

/** A flow's variables: captures (a list from `[*]`), `vu`, `iteration`, `data.COLUMN`. */
export type FlowVariables = Record<string, string | string[] | undefined>;

/** What a template may draw on: the request's number on this driver, the test it belongs to, and in a flow its VU's variables. */
export type TemplateContext = { seq: number; driverId: string; testId: string; vars?: FlowVariables };

export type RenderedText = (context: TemplateContext) => string;

/** How a value is written where it lands: percent-encoded in a URL, as is in headers and bodies. */
export type Escape = (value: string) => string;

export const asIs: Escape = (value) => value;

/**
 * Compiles a text once into a function of the request's context. Only the templates it holds cost
 * anything per request. The text was validated by the protocol; a bad one here is a programming error.
 */
export function compileTemplate(text: string, escape: Escape, mode: TemplateMode = 'request'): RenderedText {
  const parsed = parseTemplate(text, mode);
  if (!parsed.ok) throw new Error(`invalid template ${JSON.stringify(text)}: ${parsed.message}`);
  const pieces = parsed.parts.map((part) => renderPart(part, escape));
  return (context) => {
    let out = '';
    for (const piece of pieces) out += typeof piece === 'string' ? piece : piece(context);
    return out;
  };
}

function renderPart(part: TemplatePart, escape: Escape): string | RenderedText {
  if ('literal' in part) return part.literal;
  if ('variable' in part) return variableOf(part.variable, escape);
  switch (part.name) {
    case 'seq':
      return (c) => String(c.seq);
    case 'uuid':
      return () => randomUUID();
    case 'driver_id':
      return (c) => escape(c.driverId);
    case 'test_id':
      return (c) => escape(c.testId);
    case 'now_ms':
      return () => String(Date.now());
    case 'random_int':
      return randomIntBetween(part.min, part.max);
  }
}

/** A list (a capture through `[*]`) is written comma-separated; a variable an optional capture missed, as nothing. */
function variableOf(name: string, escape: Escape): RenderedText {
  return (c) => {
    const value = c.vars?.[name];
    if (value === undefined) return '';
    return escape(typeof value === 'string' ? value : value.join(','));
  };
}

/** crypto.randomInt covers ranges below 2^48; wider ones fall back to Math.random, which is as fair for a load test. */
function randomIntBetween(min: number, max: number): RenderedText {
  const span = max - min + 1;
  if (span <= 2 ** 48) return () => String(randomInt(min, max + 1));
  return () => String(min + Math.floor(Math.random() * span));
}
