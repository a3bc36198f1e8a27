import { setTimeout as sleep } from 'node:timers/promises';
import { CANCEL_SLACK_MS, DEFAULT_TIMEOUT_MS } from '../../protocol/index.js';
import { KafkaSilence } from './kafkaSilence.js';
import { OrchestratorError, type CreateTestBody, type OrchestratorClient, type TestDetailView } from './orchestratorClient.js';
import type { ProgressView } from './progressView.js';
import { isFinished } from './testState.js';
import { steeringFor, steeringKeyOf } from './steeringKeys.js';

export type SessionOptions = {
  client: OrchestratorClient;
  body: CreateTestBody;
  progress: ProgressView;
  /** settles on Ctrl-C: the test is then cancelled */
  interrupted: Promise<unknown>;
  onCreated?: (test: TestDetailView) => void;
  pollIntervalMs?: number;
  /** Steering keys pressed on the terminal (+, -, p), as they come; absent when there is no terminal. */
  keys?: { listen: (onKey: (key: string) => void) => () => void; onProblem: (problem: string | null) => void };
};

export type SessionOutcome = { test: TestDetailView; interrupted: boolean };

const POLL_INTERVAL_MS = 250;
/** How often the orchestrator is asked when it last heard from Kafka. */
const STATUS_INTERVAL_MS = 1_000;
/** The final report's way from the driver through Kafka to the orchestrator, on top of the driver's grace. */
const REPORT_DELIVERY_MS = 2_000;

/** Creates and triggers one test, shows its progress until it is finished or interrupted (then cancels it). */
export async function runTestSession(options: SessionOptions): Promise<SessionOutcome> {
  const { client, progress } = options;
  const interval = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  let interrupted = false;
  void options.interrupted.then(() => (interrupted = true));
  let test = await client.createTest(options.body);
  options.onCreated?.(test);
  const silence = new SilenceWatch(client, progress);
  const stopKeys = options.keys?.listen((key) => void steer(key));
  /** Each key press steers the test as last seen; a refusal (the test just ended) is shown, not fatal. */
  const steer = async (pressed: string) => {
    const key = steeringKeyOf(pressed);
    const change = key && steeringFor(key, test);
    if (!change || isFinished(test)) return;
    try {
      test = await client.steerTest(test.test_id, change);
      options.keys?.onProblem(null);
    } catch (error) {
      if (!(error instanceof OrchestratorError)) throw error;
      options.keys?.onProblem(error.message);
    }
    progress.update(test);
  };
  try {
    while (!isFinished(test)) {
      progress.update(test);
      await Promise.race([sleep(interval), options.interrupted]);
      if (interrupted) return { test: await cancel(client, test, progress, interval), interrupted: true };
      test = await client.getTest(test.test_id);
      await silence.check();
    }
  } finally {
    stopKeys?.();
  }
  progress.finish(test);
  return { test, interrupted: false };
}

/**
 * A cancelled driver lets its requests in flight finish for their timeout plus a second, then sends
 * its final report; the orchestrator marks the test cancelled once every final report is in. Waiting
 * that long (not less) makes the printed summary the final one.
 */
export function cancelWaitMs(test: Pick<TestDetailView, 'config'>): number {
  return (test.config.timeout_ms ?? DEFAULT_TIMEOUT_MS) + CANCEL_SLACK_MS + REPORT_DELIVERY_MS;
}

async function cancel(client: OrchestratorClient, test: TestDetailView, progress: ProgressView, interval: number): Promise<TestDetailView> {
  let current = await client.cancelTest(test.test_id).catch((error: unknown) => {
    // 409: it finished on its own meanwhile, which is as good as cancelled.
    if (error instanceof OrchestratorError && error.status === 409) return client.getTest(test.test_id);
    throw error;
  });
  const deadline = Date.now() + cancelWaitMs(test);
  while (!isFinished(current) && Date.now() < deadline) {
    progress.update(current);
    await sleep(interval);
    current = await client.getTest(test.test_id);
  }
  progress.finish(current);
  return current;
}

/** Asks about Kafka once a second and tells the progress view when the feed has gone quiet. */
class SilenceWatch {
  readonly #silence = new KafkaSilence();
  #nextAtMs = 0;
  /** An orchestrator without GET /api/status is not asked again. */
  #unsupported = false;

  constructor(
    private readonly client: OrchestratorClient,
    private readonly progress: ProgressView,
  ) {}

  async check(): Promise<void> {
    const now = Date.now();
    if (this.#unsupported || now < this.#nextAtMs) return;
    this.#nextAtMs = now + STATUS_INTERVAL_MS;
    try {
      this.#silence.observe(await this.client.kafkaStatus(), Date.now());
    } catch (error) {
      if (!(error instanceof OrchestratorError && error.status === 404)) throw error;
      this.#unsupported = true;
      return;
    }
    this.progress.silence(this.#silence.problem(Date.now()));
  }
}
