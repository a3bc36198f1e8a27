import { setTimeout as sleep } from 'node:timers/promises';
import { createPlanBody, fieldErrors, type CreatePlanBody, type PlanView } from '../../api/index.js';
import { UsageError } from '../usageError.js';
import { readYamlMapping } from './scenarioFile.js';
import { OrchestratorError, type OrchestratorClient, type TestDetailView } from './orchestratorClient.js';
import type { ProgressView } from './progressView.js';

/** Reads a plan file (YAML, of which JSON is a part) and checks it as the orchestrator would: a problem exits 2 naming its path. */
export function readPlanFile(file: string): CreatePlanBody {
  const content = readYamlMapping(file, 'plan', 'name, tests, and defaults such as target');
  const parsed = createPlanBody.safeParse(content);
  if (!parsed.success) throw new UsageError(`--plan ${file}: ${fieldErrors(parsed.error).map(({ field, message }) => `${field}: ${message}`).join('; ')}`);
  return content as CreatePlanBody;
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
