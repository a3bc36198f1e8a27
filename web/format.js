const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

export const DASH = '—';

export function formatCount(value) {
  return value === null || value === undefined ? DASH : integer.format(value);
}

/** Latencies keep about three significant digits: 0.412 ms, 4.12 ms, 41.2 ms, 412 ms. */
export function formatMs(value) {
  if (value === null || value === undefined) return DASH;
  const digits = value < 1 ? 3 : value < 10 ? 2 : value < 100 ? 1 : 0;
  return `${value.toFixed(digits)} ms`;
}

export function formatRate(value) {
  if (value === null || value === undefined || !Number.isFinite(value)) return DASH;
  return `${value.toFixed(value < 100 ? 1 : 0)} req/s`;
}

export function formatDuration(ms) {
  if (ms === null || ms === undefined) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** How long ago an ISO time was; clock differences between machines must not show as negative. */
export function formatAge(iso, nowMs) {
  if (!iso) return DASH;
  const ageMs = Math.max(0, nowMs - Date.parse(iso));
  if (ageMs < 60_000) return `${(ageMs / 1000).toFixed(ageMs < 10_000 ? 1 : 0)} s ago`;
  if (ageMs < 3_600_000) return `${Math.floor(ageMs / 60_000)} min ago`;
  return `${Math.floor(ageMs / 3_600_000)} h ago`;
}

/** Times carry their zone (the browser's): orchestrator, drivers and reader may each be somewhere else. */
const clock = new Intl.DateTimeFormat('en-GB', { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false, timeZoneName: 'short' });

export function formatTime(iso) {
  if (!iso) return DASH;
  return clock.format(new Date(iso));
}

export function formatDateTime(iso) {
  if (!iso) return DASH;
  const date = new Date(iso);
  return `${date.toLocaleDateString('en-CA')} ${clock.format(date)}`;
}

/** Today's times need no date; older ones do. */
export function formatWhen(iso, nowMs) {
  if (!iso) return DASH;
  const sameDay = new Date(iso).toDateString() === new Date(nowMs).toDateString();
  return sameDay ? formatTime(iso) : formatDateTime(iso);
}

export function formatPercent(fraction) {
  return `${(fraction * 100).toFixed(fraction > 0 && fraction < 0.1 ? 1 : 0)} %`;
}
