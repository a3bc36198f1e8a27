import { z } from 'zod';
import { HEADER_NAME, HTTP_METHODS, REQUEST_LIMITS, requestName, TEMPLATE_NAMES } from '../protocol/index.js';
import { HTTP_ORIGIN_PATTERN, PATH_CHAR, wholeString } from './httpUrl.js';

/**
 * `requests` as the REST API takes it: the protocol's request spec (src/protocol/requests.ts) written
 * so that JSON Schema states every rule. Texts are patterns (a template is `{{name}}` from the known
 * list, `{{` appears nowhere else), the method is one of the list as written, and the two rules no
 * schema can state are made to always hold instead of refused: `{{random_int:A:B}}` with A > B means
 * B..A, and a name that repeats an earlier one gets ` #2`, ` #3`… Everything this accepts, the wire
 * schema accepts.
 */

const TEMPLATE = `\\{\\{(?:${TEMPLATE_NAMES.filter((name) => name !== 'random_int').join('|')}|random_int:-?[0-9]{1,15}:-?[0-9]{1,15})\\}\\}`;
/** Text in which `{{` only opens a template: any character but `{`, a `{` not followed by another, or a template. */
const templatedText = (forbidden: string) => wholeString(`(?:[^{${forbidden}]|\\{[^{${forbidden}]|${TEMPLATE})*\\{?`);
const URL_PATTERN = wholeString(`${HTTP_ORIGIN_PATTERN}(?:/(?:${PATH_CHAR}|${TEMPLATE})*)?(?:\\?(?:${PATH_CHAR}|\\?|${TEMPLATE})*)?`);
const HEADER_VALUE_PATTERN = templatedText('\\x00\\x0a\\x0d');
const BODY_PATTERN = templatedText('');
/** JavaScript's whitespace (what String.prototype.trim removes), spelled out so every regex engine reads it alike. */
const JS_SPACE = '\\t\\n\\v\\f\\r \\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff';
const NAME_PATTERN = wholeString(`[^${JS_SPACE}](?:[\\s\\S]*[^${JS_SPACE}])?`);
/** The protocol's header-name rule, read alike by every regex engine. */
const HEADER_NAME_PATTERN = wholeString(HEADER_NAME.source.replace(/^\^|\$$/g, ''));
const METHODS_WITHOUT_BODY = ['GET', 'HEAD'] as const;
/**
 * Text limits over REST: a POST body is at most 64 KiB as a whole (413 past that), so no one field may
 * claim more; the wire's limits (REQUEST_LIMITS) are wider, for other publishers.
 */
const REST_TEXT_LIMITS = { url: 2_048, headerValue: 2_048, body: 16_384 } as const;
/** Room for the ` #100` a repeated name may get. */
const NAME_MAX_LENGTH = REQUEST_LIMITS.nameLength - ` #${REQUEST_LIMITS.requests}`.length;

/** `{{random_int:A:B}}` with A > B is the range B..A: the order is no reason to refuse a test. */
function orderRandomIntBounds(text: string): string {
  return text.replace(/\{\{random_int:(-?\d+):(-?\d+)\}\}/g, (whole, a: string, b: string) => (Number(a) > Number(b) ? `{{random_int:${b}:${a}}}` : whole));
}

const templated = (pattern: RegExp, max: number, what: string) => z.string().max(max, `must be at most ${max} characters`).regex(pattern, what).transform(orderRandomIntBounds);

const TEMPLATES_NOTE = `templates: ${TEMPLATE_NAMES.map((name) => (name === 'random_int' ? '{{random_int:A:B}}' : `{{${name}}}`)).join(', ')}`;

export const restRequestSpec = z
  .strictObject({
    name: z.string().max(NAME_MAX_LENGTH).regex(NAME_PATTERN, 'must not be empty or start or end with a space').optional().meta({ description: 'what its figures are called; default `METHOD path`' }),
    method: z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }).default('GET'),
    url: templated(URL_PATTERN, REST_TEXT_LIMITS.url, 'must be an http(s) URL whose scheme, host and port have no template').meta({ description: `${TEMPLATES_NOTE} after the origin` }),
    headers: z
      .record(z.string().regex(HEADER_NAME_PATTERN), templated(HEADER_VALUE_PATTERN, REST_TEXT_LIMITS.headerValue, 'must not contain CR, LF or NUL, and {{ only as a template'), {
        error: (issue) => (issue.code === 'invalid_key' ? 'is not a valid header name' : undefined),
      })
      .refine((headers) => Object.keys(headers).length <= REQUEST_LIMITS.headers, `at most ${REQUEST_LIMITS.headers} headers`)
      .optional()
      .meta({ maxProperties: REQUEST_LIMITS.headers, description: TEMPLATES_NOTE }),
    body: templated(BODY_PATTERN, REST_TEXT_LIMITS.body, '{{ only as a template').optional().meta({ description: `sent as is (UTF-8); ${TEMPLATES_NOTE}` }),
    allow_body: z.boolean().optional().meta({ description: 'a body on GET or HEAD only with this set' }),
    weight: z.int('must be a whole number').min(1, 'must be >= 1').max(REQUEST_LIMITS.weight).default(1).meta({ description: 'its share of the mix' }),
    expect_status: z.array(z.int().min(100, 'must be an HTTP status (100-599)').max(599, 'must be an HTTP status (100-599)')).min(1).max(REQUEST_LIMITS.expectStatus).optional().meta({ description: 'statuses that count as success; default every status below 400' }),
  })
  .superRefine((request, ctx) => {
    if (request.body !== undefined && (METHODS_WITHOUT_BODY as readonly string[]).includes(request.method) && !request.allow_body) {
      ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${request.method} request has no body unless allow_body is true` });
    }
  })
  .meta({
    // The refinement above, as JSON Schema: a body on GET (the default method) or HEAD needs allow_body.
    allOf: [{ if: { required: ['body'], anyOf: [{ not: { required: ['method'] } }, { properties: { method: { enum: [...METHODS_WITHOUT_BODY] } }, required: ['method'] }] }, then: { properties: { allow_body: { const: true } }, required: ['allow_body'] } }],
  });

/** Each name once: a repeat (given or derived) becomes `name #2`, `name #3`…, never one already taken. */
function uniqueNames(requests: z.output<typeof restRequestSpec>[]): z.output<typeof restRequestSpec>[] {
  const taken = new Set(requests.flatMap((r) => (r.name === undefined ? [] : [r.name])));
  const seen = new Set<string>();
  return requests.map((request) => {
    const name = requestName(request);
    if (!seen.has(name)) {
      seen.add(name);
      return request;
    }
    let n = 2;
    while (seen.has(`${name} #${n}`) || taken.has(`${name} #${n}`)) n += 1;
    seen.add(`${name} #${n}`);
    return { ...request, name: `${name} #${n}` };
  });
}

export const restRequestList = z
  .array(restRequestSpec)
  .min(1, 'must name at least one request')
  .max(REQUEST_LIMITS.requests, `at most ${REQUEST_LIMITS.requests} requests`)
  .transform(uniqueNames);
