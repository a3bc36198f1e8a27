const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h|d)/g;

/**
 * A k6-style duration, `30s`, `1m30s`, `500ms`, `2h` (and `90d`), in seconds; a bare number is seconds. Undefined
 * when it is not one. One parser for the CLI's flags and for scenario and plan files.
 */
export function durationSeconds(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!DURATION.test(value)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) seconds += Number(amount) * (UNIT_SECONDS[unit ?? 's'] ?? 1);
  return seconds;
}

/** Whether a text is a duration with its unit (`10s`), not a bare number: `warmup: 200` is a count, `warmup: 10s` a time. */
export function hasDurationUnit(text: string): boolean {
  return DURATION.test(text.trim());
}

/** k6's `duration:target` stage, `30s:500`: over 30 s the rate moves to 500 req/s per driver. Undefined when it is not one. */
export function parseStageText(text: string): { duration_s: number; target_rps: number } | undefined {
  const [duration, target, extra] = text.split(':');
  if (extra !== undefined || duration === undefined || target === undefined || target.trim() === '') return undefined;
  const seconds = durationSeconds(duration);
  const rate = Number(target);
  if (seconds === undefined || !(seconds > 0) || !Number.isFinite(rate) || rate < 0) return undefined;
  return { duration_s: seconds, target_rps: rate };
}
