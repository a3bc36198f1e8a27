import { UsageError } from '../usageError.js';

const UNIT_SECONDS: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600 };
const DURATION = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h))+$/;
const DURATION_PART = /(\d+(?:\.\d+)?)(ms|s|m|h)/g;

/** A k6-style duration: `30s`, `1m30s`, `500ms`, `2h`; a bare number is seconds. Undefined when it is not one. */
export function durationSeconds(text: string): number | undefined {
  const value = text.trim();
  if (/^\d+(\.\d+)?$/.test(value)) return Number(value);
  if (!DURATION.test(value)) return undefined;
  let seconds = 0;
  for (const [, amount, unit] of value.matchAll(DURATION_PART)) seconds += Number(amount) * UNIT_SECONDS[unit!]!;
  return seconds;
}

export function parseDuration(text: string, flag: string): number {
  const seconds = durationSeconds(text);
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--${flag} must be a duration > 0 such as 30s, 1m30s or 500ms, got "${text}"`);
  return seconds;
}

/** `--stage 30s:500`, k6's `duration:target`: over 30 s the rate moves to 500 req/s per driver. */
export function parseStage(text: string): { duration_s: number; target_rps: number } {
  const [duration, target, extra] = text.split(':');
  const rate = Number(target);
  if (extra !== undefined || duration === undefined || target === undefined || target.trim() === '' || !Number.isFinite(rate) || rate < 0) {
    throw new UsageError(`--stage must be DURATION:TARGET_RPS such as 30s:500, got "${text}"`);
  }
  return { duration_s: parseDuration(duration, 'stage'), target_rps: rate };
}

/** `--warmup 200` is a count of requests; `--warmup 10s` is a time. */
export function parseWarmup(text: string | undefined): { warmup_count_per_driver?: number; warmup_s?: number } {
  if (text === undefined) return {};
  if (/^\d+$/.test(text.trim())) return { warmup_count_per_driver: Number(text) };
  // A time needs its unit here: a bare number is a count.
  const seconds = DURATION.test(text.trim()) ? durationSeconds(text) : undefined;
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--warmup must be a count of requests (200) or a duration (10s), got "${text}"`);
  return { warmup_s: seconds };
}
