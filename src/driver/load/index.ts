import type { TestConfigMessage } from '../../protocol/index.js';
import { plannedDurationMs, stageSegments } from '../../protocol/loadShape.js';
import { TEST_TYPES, type TestType } from '../../protocol/testTypes.js';
import { avalanche } from './avalanche.js';
import type { LoadModel, LoadPlan } from './loadModel.js';
import { stagedPacer } from './pacers.js';
import { SteeredPacer } from './steeredPacer.js';
import { tsunami } from './tsunami.js';

export type { LoadModel, LoadPlan } from './loadModel.js';
export { DEFAULT_CONCURRENCY } from './avalanche.js';

/** One entry per name of src/protocol/loadModels.ts: the type makes a missing one a compile error. */
const LOAD_MODELS: { readonly [T in TestType]: LoadModel } = {
  AVALANCHE: avalanche,
  TSUNAMI: tsunami,
};

/**
 * The plan of a test's measured workload. The model decides how many may be in flight and its own pace;
 * a shape overrides the pace: stages pace every model by their ramping rate (TSUNAMI's test_message_delay
 * is then only the mean gap, for spec-only readers), and duration_s closes the start window. A paced plan
 * can be steered (SteeredPacer).
 */
export function loadPlanFor(config: TestConfigMessage, concurrency: number): LoadPlan {
  const plan = modelOf(config).plan(config, concurrency);
  const segments = config.stages ? stageSegments(config.stages, config.start_rps) : undefined;
  const pacer = segments ? stagedPacer(segments) : plan.pacer;
  // Stages end on the plan's clock too: a rate steered in their place runs until then.
  const windowMs = config.duration_s !== undefined ? config.duration_s * 1000 : segments ? plannedDurationMs(segments) : undefined;
  return { ...plan, pacer: pacer && new SteeredPacer(pacer), startWindowMs: windowMs };
}

/**
 * The warm-up: the start of the same plan, cut after warmup_count_per_driver requests or warmup_s seconds,
 * whichever comes first; undefined without a warm-up.
 */
export function warmupPlanFor(config: TestConfigMessage, concurrency: number): LoadPlan | undefined {
  const count = config.warmup_count_per_driver;
  const seconds = config.warmup_s;
  if (!(count !== undefined && count > 0) && seconds === undefined) return undefined;
  const workload = loadPlanFor(config, concurrency);
  return { ...workload, count: count !== undefined && count > 0 ? count : workload.count, startWindowMs: seconds === undefined ? undefined : seconds * 1000 };
}

/** A type this driver does not know is an error, never another model. */
function modelOf(config: TestConfigMessage): LoadModel {
  const model = Object.hasOwn(LOAD_MODELS, config.test_type) ? LOAD_MODELS[config.test_type] : undefined;
  if (!model) throw new Error(`unknown test_type ${JSON.stringify(config.test_type)} (this driver runs ${TEST_TYPES.join(', ')})`);
  return model;
}
