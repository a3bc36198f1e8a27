import { TEST_TYPES, type TestConfigMessage, type TestType } from '../../protocol/index.js';
import { avalanche } from './avalanche.js';
import type { LoadModel, LoadPlan } from './loadModel.js';
import { tsunami } from './tsunami.js';

export type { LoadModel, LoadPlan } from './loadModel.js';
export { DEFAULT_CONCURRENCY } from './avalanche.js';

/** One entry per name of src/protocol/loadModels.ts: the type makes a missing one a compile error. */
const LOAD_MODELS: { readonly [T in TestType]: LoadModel } = {
  AVALANCHE: avalanche,
  TSUNAMI: tsunami,
};

/** The plan of a test's load model; a type this driver does not know is an error, never another model. */
export function loadPlanFor(config: TestConfigMessage, concurrency: number): LoadPlan {
  const model = Object.hasOwn(LOAD_MODELS, config.test_type) ? LOAD_MODELS[config.test_type] : undefined;
  if (!model) throw new Error(`unknown test_type ${JSON.stringify(config.test_type)} (this driver runs ${TEST_TYPES.join(', ')})`);
  return model.plan(config, concurrency);
}
