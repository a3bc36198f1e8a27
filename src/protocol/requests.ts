import { z } from 'zod';
import { parseTemplate, TEMPLATE_PATTERN, type TemplateMode } from './templates.js';

/**
 * The `requests` extension of a test: a weighted mix of HTTP requests with templates (their syntax is
 * in templates.ts), so the REST body, the wire and the driver agree on what is valid.
 */

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'] as const;
export type HttpMethod = (typeof HTTP_METHODS)[number];

export const REQUEST_LIMITS = { requests: 100, headers: 100, bodyBytes: 1_000_000, weight: 1_000_000, nameLength: 200, urlLength: 8_000, expectStatus: 100 } as const;

/** RFC 9110 token characters. */
export const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const HEADER_VALUE_FORBIDDEN = /[\r\n\0]/;
/** The origin must be fixed (one connection pool per origin): templates may only follow it. */
const FIXED_ORIGIN = /^https?:\/\/[^/?#{}]+([/?#]|$)/i;

const templatedText = (mode: TemplateMode) =>
  z.string().superRefine((text, ctx) => {
    const parsed = parseTemplate(text, mode);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

const requestUrl = (mode: TemplateMode) =>
  z
  .string()
  .trim()
  .max(REQUEST_LIMITS.urlLength)
  .superRefine((text, ctx) => {
    if (!FIXED_ORIGIN.test(text)) {
      ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL whose scheme, host and port have no template' });
      return;
    }
    const parsed = parseTemplate(text, mode);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.message });
      return;
    }
    if (!URL.canParse(text.replace(TEMPLATE_PATTERN, '0'))) ctx.addIssue({ code: 'custom', message: 'must be an http(s) URL' });
  });

const headers = (mode: TemplateMode) =>
  z
  .record(z.string(), z.string())
  .superRefine((record, ctx) => {
    const names = Object.keys(record);
    if (names.length > REQUEST_LIMITS.headers) ctx.addIssue({ code: 'custom', message: `at most ${REQUEST_LIMITS.headers} headers` });
    for (const [name, value] of Object.entries(record)) {
      if (!HEADER_NAME.test(name)) ctx.addIssue({ code: 'custom', path: [name], message: 'is not a valid header name' });
      else if (HEADER_VALUE_FORBIDDEN.test(value)) ctx.addIssue({ code: 'custom', path: [name], message: 'must not contain CR, LF or NUL' });
      else {
        const parsed = parseTemplate(value, mode);
        if (!parsed.ok) ctx.addIssue({ code: 'custom', path: [name], message: parsed.message });
      }
    }
  });

const METHODS_WITHOUT_BODY: ReadonlySet<string> = new Set(['GET', 'HEAD']);

/**
 * The fields of one HTTP request, with templates of the given mode: a request of the weighted mix, or a
 * flow's request step (src/protocol/flows.ts adds its captures and checks).
 */
export function requestFields(mode: TemplateMode) {
  return {
    /** what its figures are called; default `METHOD path` */
    name: z.string().trim().min(1, 'must not be empty').max(REQUEST_LIMITS.nameLength).optional(),
    method: z
      .string()
      .transform((m) => m.trim().toUpperCase())
      .pipe(z.enum(HTTP_METHODS, { error: `must be one of ${HTTP_METHODS.join(', ')}` }))
      .default('GET'),
    url: requestUrl(mode),
    headers: headers(mode).optional(),
    /** sent as is (UTF-8); templates allowed */
    body: templatedText(mode).pipe(z.string().max(REQUEST_LIMITS.bodyBytes, `must be at most ${REQUEST_LIMITS.bodyBytes} characters`)).optional(),
    /** a body on GET or HEAD only with this set: most servers ignore or refuse it */
    allow_body: z.boolean().optional(),
    /** statuses that count as success; default every status below 400 */
    expect_status: z.array(z.number().int().min(100, 'must be an HTTP status (100-599)').max(599, 'must be an HTTP status (100-599)')).min(1).max(REQUEST_LIMITS.expectStatus).optional(),
  };
}

/** A body on GET or HEAD is refused unless allow_body says it is meant. */
export function bodyProblem(request: { method: string; body?: string | undefined; allow_body?: boolean | undefined }, ctx: z.RefinementCtx): void {
  if (request.body !== undefined && METHODS_WITHOUT_BODY.has(request.method) && !request.allow_body) {
    ctx.addIssue({ code: 'custom', path: ['body'], message: `a ${request.method} request has no body unless allow_body is true` });
  }
}

export const requestSpec = z
  .strictObject({
    ...requestFields('request'),
    /** its share of the mix, a positive whole number */
    weight: z.number().int('must be a whole number').min(1, 'must be >= 1').max(REQUEST_LIMITS.weight).default(1),
  })
  .superRefine(bodyProblem);

export type RequestSpec = z.output<typeof requestSpec>;

export const requestList = z
  .array(requestSpec)
  .min(1, 'must name at least one request')
  .max(REQUEST_LIMITS.requests, `at most ${REQUEST_LIMITS.requests} requests`)
  .superRefine((requests, ctx) => {
    const seen = new Map<string, number>();
    requests.forEach((request, index) => {
      const name = requestName(request);
      const first = seen.get(name);
      if (first !== undefined) ctx.addIssue({ code: 'custom', path: [index, 'name'], message: `"${name}" is also the name of requests[${first}]: give each request its own name` });
      else seen.set(name, index);
    });
  });

/** A request's name: its own, else `METHOD path` (templates kept as written). */
export function requestName(request: Pick<RequestSpec, 'name' | 'method' | 'url'>): string {
  if (request.name !== undefined) return request.name;
  const afterOrigin = request.url.replace(/^https?:\/\/[^/?#]+/i, '');
  return `${request.method} ${afterOrigin === '' ? '/' : afterOrigin}`;
}

/** `target_url` is the shorthand for one GET. */
export function requestsOf(config: { requests?: RequestSpec[] | undefined }, targetUrl: string | undefined): RequestSpec[] | undefined {
  if (config.requests !== undefined) return config.requests;
  return targetUrl === undefined ? undefined : [{ method: 'GET', url: targetUrl, weight: 1 }];
}

/** A status code as a key of a count map, "200". */
export const statusKey = z.string().regex(/^[1-5]\d\d$/, 'must be an HTTP status');
