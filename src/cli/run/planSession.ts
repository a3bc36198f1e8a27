import { setTimeout as sleep } from 'node:timers/promises';
import { dirname } from 'node:path';
import { createPlanBody, fieldErrors, parseInput, type CreatePlanBody, type PlanView } from '../../api/index.js';
import { UsageError } from '../usageError.js';
import { readYamlMapping } from './scenarioFile.js';
import { resolveDataFiles, type DataUpload } from './dataFiles.js';
import { OrchestratorError, type OrchestratorClient, type TestDetailView } from './orchestratorClient.js';
import type { ProgressView } from './progressView.js';

/** Reads a plan file (YAML, of which JSON is a part) and checks it as the orchestrator would: a problem exits 2 naming its path. */
export function readPlanFile(file: string): { body: CreatePlanBody; uploads: DataUpload[] } {
  const content = readYamlMapping(file, 'plan', 'name, tests, and defaults such as target') as { data?: unknown; tests?: unknown };
  const uploads = withDataIds(content, dirname(file));
  if (Array.isArray(content.tests)) for (const test of content.tests) if (typeof test === 'object' && test !== null) uploads.push(...withDataIds(test as { data?: unknown }, dirname(file)));
  const parsed = parseInput(createPlanBody, content);
  if (!parsed.success) throw new UsageError(`--plan ${file}: ${fieldErrors(parsed.error).map(({ field, message }) => `${field}: ${message}`).join('; ')}`);
  return { body: content as CreatePlanBody, uploads };
}

/** A plan's (or one of its tests') data files, each replaced by its data id; the files to upload. */
function withDataIds(keys: { data?: unknown }, baseDir: string): DataUpload[] {
  const { data, uploads } = resolveDataFiles(keys.data, baseDir);
  if (data) keys.data = data;
  return uploads;
}

export type PlanSessionOptions = {
  client: OrchestratorClient;
  body: CreatePlanBody;
  /** a fresh live view for each test attempt */
  progress: () => ProgressView;
  /** one line a person reads: a test started, an attempt's verdict */
  say: (line: string) => void;
  interrupted: Promise<unknown>;
  pollIntervalMs?: number;
};

export type PlanOutcome = { plan: PlanView; interrupted: boolean };

const POLL_INTERVAL_MS = 250;
/** After Ctrl-C: the running test's drivers finish their requests in flight and report. */
const CANCEL_WAIT_MS = 30_000;

/** Posts the plan and follows it to its end: each attempt's test live, a line per attempt's verdict. */
export async function runPlanSession(options: PlanSessionOptions): Promise<PlanOutcome> {
  const { client } = options;
  const interval = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  let interrupted = false;
  void options.interrupted.then(() => (interrupted = true));
  let plan = await client.createPlan(options.body);
  options.say(`plan ${plan.plan_id} "${plan.name}": ${plan.tests.length} test${plan.tests.length === 1 ? '' : 's'}`);
  const watch = new AttemptWatch(client, options);
  while (plan.state !== 'finished') {
    await watch.follow(plan);
    await Promise.race([sleep(interval), options.interrupted]);
    if (interrupted) return { plan: await cancel(client, plan, interval), interrupted: true };
    plan = await client.getPlan(plan.plan_id);
  }
  await watch.follow(plan);
  return { plan, interrupted: false };
}

async function cancel(client: OrchestratorClient, plan: PlanView, interval: number): Promise<PlanView> {
  let current = await client.cancelPlan(plan.plan_id).catch((error: unknown) => {
    if (error instanceof OrchestratorError && error.status === 409) return client.getPlan(plan.plan_id);
    throw error;
  });
  const deadline = Date.now() + CANCEL_WAIT_MS;
  while (current.state !== 'finished' && Date.now() < deadline) {
    await sleep(interval);
    current = await client.getPlan(plan.plan_id);
  }
  return current;
}

/** Shows the attempt running now, and says once how each attempt ended. */
class AttemptWatch {
  #testId: string | undefined;
  #progress: ProgressView | undefined;
  readonly #told = new Set<string>();

  constructor(
    private readonly client: OrchestratorClient,
    private readonly options: PlanSessionOptions,
  ) {}

  async follow(plan: PlanView): Promise<void> {
    for (const test of plan.tests) {
      for (const attempt of test.attempts) {
        const key = `${test.name}#${attempt.attempt}`;
        if (attempt.verdict === null && attempt.test_id !== null && this.#testId !== attempt.test_id) this.begin(test.name, attempt.attempt, attempt.test_id);
        if (attempt.verdict !== null && !this.#told.has(key)) {
          this.#told.add(key);
          if (attempt.test_id !== null && this.#testId === attempt.test_id) await this.end(attempt.test_id);
          this.options.say(`${test.name} attempt ${attempt.attempt}: ${attempt.verdict}${attempt.reason ? ` (${attempt.reason})` : ''}`);
        }
      }
    }
    if (this.#testId && this.#progress) this.#progress.update(await this.client.getTest(this.#testId));
  }

  private begin(name: string, attempt: number, testId: string): void {
    this.options.say(`${name}: attempt ${attempt}, test ${testId}`);
    this.#testId = testId;
    this.#progress = this.options.progress();
  }

  private async end(testId: string): Promise<void> {
    const view: TestDetailView = await this.client.getTest(testId);
    this.#progress?.finish(view);
    this.#testId = undefined;
    this.#progress = undefined;
  }
}
