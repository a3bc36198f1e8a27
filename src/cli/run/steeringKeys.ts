import type { TestDetailView } from '../../api/index.js';
import { describeSteering } from '../../api/steeringText.js';
import { constantRate, type Scenario, type SteeringChange } from '../../protocol/index.js';

/** What `+`, `-` and `p` do on the terminal of `stampede run`. */
export type SteeringKey = '+' | '-' | 'p';

/** One press changes the rate or the VUs by this much. */
const STEP = 0.1;
const KEY_OF: Record<string, SteeringKey> = { '+': '+', '=': '+', '-': '-', _: '-', p: 'p', P: 'p' };

/**
 * The change a key asks of the test as it stands: `p` pauses or resumes; `+`/`-` move a plain test's rate,
 * or each scenario's rate or VUs, by 10 % of what it is now (its last change, else its config's constant
 * value). Undefined when there is nothing to move (an unpaced test, ramping scenarios never steered).
 */
export function steeringFor(key: SteeringKey, view: TestDetailView): SteeringChange | undefined {
  if (key === 'p') return { paused: !view.paused };
  const factor = key === '+' ? 1 + STEP : 1 - STEP;
  const drivers = Math.max(1, view.driver_ids.length);
  const scenarios = view.config.scenarios;
  if (!scenarios) {
    const rate = lastSteered(view, (c) => c.rate) ?? plainRate(view, drivers);
    return rate === undefined ? undefined : { rate: roundRate(rate * factor) };
  }
  const changes: NonNullable<SteeringChange['scenarios']> = {};
  for (const [name, scenario] of Object.entries(scenarios)) {
    const rate = lastSteered(view, (c) => c.scenarios?.[name]?.rate) ?? configured(scenario, 'rate', 'total_rate', drivers);
    const vus = lastSteered(view, (c) => c.scenarios?.[name]?.vus) ?? configured(scenario, 'vus', 'total_vus', drivers);
    if (scenario.executor.endsWith('arrival-rate') && rate !== undefined) changes[name] = { rate: roundRate(rate * factor) };
    else if (scenario.executor.endsWith('-vus') && vus !== undefined) changes[name] = { vus: Math.max(0, key === '+' ? Math.max(vus + 1, Math.round(vus * factor)) : Math.min(vus - 1, Math.round(vus * factor))) };
  }
  return Object.keys(changes).length > 0 ? { scenarios: changes } : undefined;
}

/** The progress view's line about steering: the keys, and the last change. */
export function steeringLine(view: TestDetailView): string {
  const last = view.steering.at(-1);
  const state = view.paused ? 'paused' : last ? `last change: ${describeSteering(last.change)}` : 'not steered';
  return `keys: + faster  - slower  p pause/resume · ${state}`;
}

/** A key pressed, or undefined for any other input. */
export function steeringKeyOf(input: string): SteeringKey | undefined {
  return KEY_OF[input];
}

function lastSteered(view: TestDetailView, pick: (change: SteeringChange) => number | undefined): number | undefined {
  for (let i = view.steering.length - 1; i >= 0; i--) {
    const value = pick(view.steering[i]!.change);
    if (value !== undefined) return value;
  }
  return undefined;
}

/** A plain test's fixed rate over every driver; a staged one's planned rate now. */
function plainRate(view: TestDetailView, drivers: number): number | undefined {
  const config = view.config;
  if (config.stages) return view.aggregate.interval?.planned_rps ?? undefined;
  const rate = constantRate({ test_type: config.test_type ?? '', test_message_delay: config.test_message_delay ?? 0, throughput_per_driver: config.throughput_per_driver ?? undefined });
  return rate === undefined ? undefined : rate * drivers;
}

/** A scenario's per-driver or total value as a total, when its config gives one. */
function configured(scenario: Scenario, perDriver: string, total: string, drivers: number): number | undefined {
  const fields = scenario as Record<string, unknown>;
  if (typeof fields[total] === 'number') return fields[total];
  return typeof fields[perDriver] === 'number' ? fields[perDriver] * drivers : undefined;
}

function roundRate(rate: number): number {
  return Math.max(0.001, Math.round(rate * 1000) / 1000);
}
