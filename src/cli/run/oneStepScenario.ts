import { EXECUTOR_NAMES } from '../../protocol/index.js';
import { parsePositiveInt } from '../args.js';
import { UsageError } from '../usageError.js';
import { parseDuration, parseStage } from './loadShapeFlags.js';

/** The flags that make `stampede run --target URL` a one-step scenario of virtual users. */
export const SCENARIO_FLAGS = ['executor', 'vus', 'iterations'] as const;

/** Flags of the spec's load models, which a scenario's executor replaces. */
const LOAD_MODEL_FLAGS = ['type', 'count', 'delay-ms', 'concurrency', 'warmup'] as const;

export type ScenarioFlagValues = Partial<Record<'executor' | 'vus' | 'iterations' | 'duration' | 'rate' | 'start-rate' | (typeof LOAD_MODEL_FLAGS)[number], string>> & { stage?: string[] | undefined };

/**
 * `--vus 10 --iterations 5 --target URL` and the like: one scenario named `default` (k6's name) whose flow
 * is the one request. Without --executor, --iterations means per-vu-iterations and --duration constant-vus.
 * Each flag lands on the executor's own field; what the executor then lacks or refuses is the orchestrator's
 * 400, naming the field.
 */
export function oneStepScenario(values: ScenarioFlagValues, step: Record<string, unknown>): Record<string, unknown> {
  const misplaced = LOAD_MODEL_FLAGS.find((flag) => values[flag] !== undefined);
  if (misplaced) throw new UsageError(`--${misplaced} does not go with --executor, --vus or --iterations: a scenario's executor sets the load`);
  const executor = values.executor ?? (values.iterations !== undefined ? 'per-vu-iterations' : 'constant-vus');
  if (!EXECUTOR_NAMES.includes(executor)) throw new UsageError(`--executor must be one of ${EXECUTOR_NAMES.join(', ')}, got "${executor}"`);
  return { default: { executor, flow: [step], ...executorFields(executor, values) } };
}

function executorFields(executor: string, values: ScenarioFlagValues): Record<string, unknown> {
  const fields: Record<string, unknown> = {};
  const arrivals = executor.endsWith('arrival-rate');
  if (values.vus !== undefined) fields[arrivals ? 'max_vus' : executor === 'ramping-vus' ? 'start_vus' : 'vus'] = parsePositiveInt(values.vus, 'vus', 0);
  if (values.iterations !== undefined) fields.iterations = parsePositiveInt(values.iterations, 'iterations', 0);
  if (values.duration !== undefined) fields[executor.endsWith('iterations') ? 'max_duration_s' : 'duration_s'] = parseDuration(values.duration, 'duration');
  if (values.rate !== undefined) fields.rate = Number(values.rate);
  if (values.stage !== undefined) {
    fields.stages = values.stage.map((text) => {
      const { duration_s, target_rps } = parseStage(text);
      return { duration_s, target: target_rps };
    });
  }
  if (values['start-rate'] !== undefined) fields.start_rate = Number(values['start-rate']);
  return fields;
}
