import { z } from 'zod';

/**
 * The spec quotes every value, numbers too ("message_count_per_driver": "<A NUMBER>").
 * We publish spec numbers as strings and read them from strings or JSON numbers.
 */
const numericText = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export const wireNumber = z
  .union([z.number(), z.string().trim().regex(numericText, 'must be a number (or a numeric string)')])
  .transform((value) => Number(value))
  .pipe(z.number().finite());

export const wireNonNegative = wireNumber.pipe(z.number().nonnegative());
export const wireCount = wireNumber.pipe(z.number().int().nonnegative());
export const wirePositiveInt = wireNumber.pipe(z.number().int().positive());

/** Publishes a number the way the spec shows it: as a string. */
export function numberText(value: number): string {
  return String(value);
}

/** Case-insensitive enum read from the wire, normalised to the spec's upper case. */
export function upperEnum<const T extends readonly [string, ...string[]]>(values: T) {
  return z
    .string()
    .transform((value) => value.trim().toUpperCase())
    .pipe(z.enum(values));
}

/** ECMAScript dates span ±10^8 days around 1970; past that `new Date(ms).toISOString()` throws. */
const MAX_DATE_MS = 8.64e15;

/**
 * A heartbeat timestamp: the spec gives no format. We publish ISO-8601 and accept ISO-8601 or
 * epoch time (seconds or milliseconds, as number or string); the result is ISO-8601.
 */
export const wireTimestamp = z.union([z.number(), z.string()]).transform((value, ctx) => {
  const asNumber = typeof value === 'number' ? value : numericText.test(value.trim()) ? Number(value) : NaN;
  const millis = Number.isFinite(asNumber) ? (asNumber < 1e11 ? asNumber * 1000 : asNumber) : Date.parse(String(value));
  if (!Number.isFinite(millis)) {
    ctx.addIssue({ code: 'custom', message: 'must be an ISO-8601 date or epoch time' });
    return z.NEVER;
  }
  if (Math.abs(millis) > MAX_DATE_MS) {
    ctx.addIssue({ code: 'custom', message: 'is outside the range of dates' });
    return z.NEVER;
  }
  return new Date(millis).toISOString();
});
