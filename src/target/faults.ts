/** Misbehaviour injected into /ping; all zero means a plain, fast pong. */
export type FaultSettings = { delayMs: number; delayMsMax: number; errorRate: number; dropRate: number };
export type FaultKey = keyof FaultSettings;

export const NO_FAULTS: FaultSettings = { delayMs: 0, delayMsMax: 0, errorRate: 0, dropRate: 0 };

/** Ten minutes: far beyond any useful injected latency and well inside setTimeout's 32-bit range. */
export const MAX_DELAY_MS = 600_000;

export const FAULT_FLAGS = {
  delayMs: 'delay-ms',
  delayMsMax: 'delay-ms-max',
  errorRate: 'error-rate',
  dropRate: 'drop-rate',
} as const satisfies Record<FaultKey, string>;

export const FAULT_QUERY_PARAMS: Record<FaultKey, string> = {
  delayMs: 'delay_ms',
  delayMsMax: 'delay_ms_max',
  errorRate: 'error_rate',
  dropRate: 'drop_rate',
};

const UPPER_BOUNDS: Record<FaultKey, number> = { delayMs: MAX_DELAY_MS, delayMsMax: MAX_DELAY_MS, errorRate: 1, dropRate: 1 };

/** A fault setting out of range or not a number; the message names where it came from (flag or query parameter). */
export class FaultSettingError extends Error {
  override readonly name = 'FaultSettingError';
}

/**
 * Applies the raw overrides `read` finds on top of `base`. A minimum delay given alone makes the delay
 * fixed at it; a maximum given alone keeps the base minimum. `label` names a key in error messages.
 */
export function resolveFaults(
  base: FaultSettings,
  read: (key: FaultKey) => string | undefined,
  label: (key: FaultKey) => string,
): FaultSettings {
  const override = (key: FaultKey): number | undefined => {
    const raw = read(key);
    return raw === undefined ? undefined : parseFaultValue(raw, UPPER_BOUNDS[key], label(key));
  };
  const delayMs = override('delayMs');
  const settings: FaultSettings = {
    delayMs: delayMs ?? base.delayMs,
    delayMsMax: override('delayMsMax') ?? delayMs ?? base.delayMsMax,
    errorRate: override('errorRate') ?? base.errorRate,
    dropRate: override('dropRate') ?? base.dropRate,
  };
  if (settings.delayMsMax < settings.delayMs) {
    throw new FaultSettingError(
      `${label('delayMsMax')} (${settings.delayMsMax}) must be >= ${label('delayMs')} (${settings.delayMs})`,
    );
  }
  return settings;
}

function parseFaultValue(raw: string, upperBound: number, label: string): number {
  const value = raw.trim() === '' ? NaN : Number(raw);
  if (!(value >= 0 && value <= upperBound)) {
    throw new FaultSettingError(`${label} must be a number from 0 to ${upperBound}, got "${raw}"`);
  }
  return value;
}

export function hasFaults(faults: FaultSettings): boolean {
  return faults.delayMsMax > 0 || faults.errorRate > 0 || faults.dropRate > 0;
}

/** Uniform in [delayMs, delayMsMax]; exactly delayMs when the range is empty. */
export function pickDelayMs(faults: FaultSettings): number {
  return faults.delayMs + Math.random() * (faults.delayMsMax - faults.delayMs);
}

export function happensAtRate(rate: number): boolean {
  return Math.random() < rate;
}
