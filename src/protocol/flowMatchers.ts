import { z } from 'zod';
import { parseJsonPath } from './jsonPath.js';
import { HEADER_NAME } from './requests.js';
import { TEMPLATE_NAMES } from './templates.js';

/**
 * What a flow step reads from its response: `capture` (values into variables for later steps) and
 * `check` (assertions counted as passes and failures). Their evaluation is in src/driver/flows/.
 */

export const FLOW_MATCHER_LIMITS = { captures: 50, checks: 50, regexLength: 1_000, jsonPathLength: 1_000, bodyContainsLength: 10_000, nameLength: 200, statuses: 100 } as const;

/** Names a step's variables cannot take: the flow's own and the request templates'. */
const RESERVED_VARIABLE_NAMES: ReadonlySet<string> = new Set(['vu', 'iteration', 'data', ...TEMPLATE_NAMES]);
const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
const HTTP_STATUS_MESSAGE = 'must be an HTTP status (100-599)';

export const variableName = z
  .string()
  .regex(VARIABLE_NAME, 'must be a letter or _, then at most 63 letters, digits or _')
  .refine((name) => !RESERVED_VARIABLE_NAMES.has(name), { error: (issue) => `${JSON.stringify(issue.input)} is a reserved variable name` });

const jsonPathText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(FLOW_MATCHER_LIMITS.jsonPathLength)
  .superRefine((text, ctx) => {
    const parsed = parseJsonPath(text);
    if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.message });
  });

/** Compiled by the driver exactly so (`new RegExp(pattern)`, no flags). */
const regexPattern = z
  .string()
  .min(1, 'must not be empty')
  .max(FLOW_MATCHER_LIMITS.regexLength, `must be at most ${FLOW_MATCHER_LIMITS.regexLength} characters`)
  .superRefine((pattern, ctx) => {
    try {
      new RegExp(pattern);
    } catch (error) {
      ctx.addIssue({ code: 'custom', message: `does not compile: ${(error as Error).message}` });
    }
  });

const httpStatus = z.number().int('must be a whole number').min(100, HTTP_STATUS_MESSAGE).max(599, HTTP_STATUS_MESSAGE);
const checkNameText = z.string().trim().min(1, 'must not be empty').max(FLOW_MATCHER_LIMITS.nameLength);
/** A capture that finds nothing is not counted as missing. */
const optional = z.boolean().optional();

/**
 * An object of one of several strict shapes, told apart by the one key it has. z.union alone answers
 * a mistake with "Invalid input" and every shape's complaints; choosing the shape by its key first
 * reports the complaint that matters, at its field. The union stays the schema's shape (types, OpenAPI).
 */
function oneShapeOf<Shapes extends Record<string, z.ZodObject>>(shapes: Shapes) {
  const kinds = Object.keys(shapes);
  const giveOne = `give one of ${kinds.join(', ')}`;
  const chooseShape = (input: unknown, ctx: z.RefinementCtx): unknown => {
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      ctx.addIssue({ code: 'custom', message: `must be an object: ${giveOne}` });
      return input;
    }
    const given = kinds.filter((kind) => Object.hasOwn(input, kind));
    if (given.length !== 1) {
      ctx.addIssue({ code: 'custom', message: given.length === 0 ? giveOne : `${giveOne}, not ${given.join(' and ')} together` });
      return input;
    }
    const checked = shapes[given[0]!]!.safeParse(input);
    for (const issue of checked.error?.issues ?? []) ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
    return input;
  };
  return z.preprocess(chooseShape, z.union(Object.values(shapes) as Shapes[keyof Shapes][]));
}

export const captureSpec = oneShapeOf({
  /** a JSONPath into the JSON body; a wildcard captures a list */
  json: z.strictObject({ json: jsonPathText, optional }),
  /** a response header, any case; its first value */
  header: z.strictObject({ header: z.string().regex(HEADER_NAME, 'is not a valid header name'), optional }),
  /** in the body: the first group, or the whole match when the pattern has none */
  regex: z.strictObject({ regex: regexPattern, optional }),
  /** the status code */
  status: z.strictObject({ status: z.literal(true, 'must be true'), optional }),
});
export type CaptureSpec = z.output<typeof captureSpec>;

export const captureMap = z
  .record(variableName, captureSpec, { error: (issue) => (issue.code === 'invalid_key' ? issue.issues[0]?.message : undefined) })
  .refine((captures) => Object.keys(captures).length <= FLOW_MATCHER_LIMITS.captures, `at most ${FLOW_MATCHER_LIMITS.captures} captures`);

export const checkSpec = oneShapeOf({
  /** the status is this one, or one of these */
  status: z.strictObject({
    status: z.union([httpStatus, z.array(httpStatus).min(1, 'must list at least one status').max(FLOW_MATCHER_LIMITS.statuses)], { error: `${HTTP_STATUS_MESSAGE}, or a list of them` }),
    name: checkNameText.optional(),
  }),
  /** the body (as far as it was read) contains this text; templates allowed */
  body_contains: z.strictObject({
    body_contains: z.string().min(1, 'must not be empty').max(FLOW_MATCHER_LIMITS.bodyContainsLength),
    name: checkNameText.optional(),
  }),
  /** the JSON body has a value at the path equal to `equals`, or has one (`exists: true`) or not */
  json: z
    .strictObject({ json: jsonPathText, equals: z.json().optional(), exists: z.boolean().optional(), name: checkNameText.optional() })
    .superRefine((check, ctx) => {
      const hasEquals = check.equals !== undefined;
      if (hasEquals === (check.exists !== undefined)) ctx.addIssue({ code: 'custom', message: hasEquals ? 'give one of equals, exists, not both' : 'give one of equals, exists' });
    }),
  /** the request took at most this long */
  max_ms: z.strictObject({ max_ms: z.number().positive('must be > 0'), name: checkNameText.optional() }),
});
export type CheckSpec = z.output<typeof checkSpec>;

/** A step's checks; one check may be written alone, without the list around it. */
export const checkList = z.preprocess(
  (input) => (typeof input === 'object' && input !== null && !Array.isArray(input) ? [input] : input),
  z
    .array(checkSpec)
    .min(1, 'must have at least one check')
    .max(FLOW_MATCHER_LIMITS.checks, `at most ${FLOW_MATCHER_LIMITS.checks} checks`),
);

/** What a check's counts are called: its own name, else `defaultCheckName`. */
export function checkName(stepName: string, check: CheckSpec): string {
  return check.name ?? defaultCheckName(stepName, check);
}

/** `read: status 200`, `create: $.id exists`: templates are kept as written, so the name is stable. */
export function defaultCheckName(stepName: string, check: CheckSpec): string {
  return `${stepName}: ${checkDescription(check)}`;
}

function checkDescription(check: CheckSpec): string {
  if ('status' in check) return Array.isArray(check.status) ? `status in ${check.status.join(',')}` : `status ${check.status}`;
  if ('body_contains' in check) return `body contains ${JSON.stringify(check.body_contains)}`;
  if ('max_ms' in check) return `under ${check.max_ms} ms`;
  if (check.exists !== undefined) return `${check.json} ${check.exists ? 'exists' : 'absent'}`;
  return `${check.json} equals ${JSON.stringify(check.equals)}`;
}

/** Whether a capture or a check reads the response's body (a driver keeps the body only when one does). */
export const FLOW_BODY_NEEDS = {
  capture: (spec: CaptureSpec): boolean => 'json' in spec || 'regex' in spec,
  check: (spec: CheckSpec): boolean => 'json' in spec || 'body_contains' in spec,
};
