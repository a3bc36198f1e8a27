import { durationSeconds, hasDurationUnit, parseStageText } from '../../api/index.js';
import { UsageError } from '../usageError.js';

/** A flag's k6-style duration (the parser scenario files use too), or a UsageError naming the flag. */
export function parseDuration(text: string, flag: string): number {
  const seconds = durationSeconds(text);
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--${flag} must be a duration > 0 such as 30s, 1m30s or 500ms, got "${text}"`);
  return seconds;
}

/** `--stage 30s:500`, k6's `duration:target`: over 30 s the rate moves to 500 req/s per driver. */
export function parseStage(text: string): { duration_s: number; target_rps: number } {
  const stage = parseStageText(text);
  if (!stage) throw new UsageError(`--stage must be DURATION:TARGET_RPS such as 30s:500, got "${text}"`);
  return stage;
}

/** `--warmup 200` is a count of requests; `--warmup 10s` is a time (a time needs its unit). */
export function parseWarmup(text: string | undefined): { warmup_count_per_driver?: number; warmup_s?: number } {
  if (text === undefined) return {};
  if (/^\d+$/.test(text.trim())) return { warmup_count_per_driver: Number(text) };
  const seconds = hasDurationUnit(text) ? durationSeconds(text) : undefined;
  if (seconds === undefined || !(seconds > 0)) throw new UsageError(`--warmup must be a count of requests (200) or a duration (10s), got "${text}"`);
  return { warmup_s: seconds };
}
