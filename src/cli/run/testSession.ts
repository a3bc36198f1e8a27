import { setTimeout as sleep } from 'node:timers/promises';
import { OrchestratorError, type CreateTestBody, type OrchestratorClient, type TestDetailView } from './orchestratorClient.js';
import type { ProgressView } from './progressView.js';
import { isFinished } from './testState.js';

export type SessionOptions = {
  client: OrchestratorClient;
  body: CreateTestBody;
  progress: ProgressView;
  /** settles on Ctrl-C: the test is then cancelled */
  interrupted: Promise<unknown>;
  onCreated?: (test: TestDetailView) => void;
  pollIntervalMs?: number;
};

export type SessionOutcome = { test: TestDetailView; interrupted: boolean };

const POLL_INTERVAL_MS = 250;
/**
 * The orchestrator marks a test cancelled once every driver sent its final report, which a driver sends
 * when its requests in flight settle; wait that long for it, not forever.
 */
const CANCEL_WAIT_MS = 5_000;

/** Creates and triggers one test, shows its progress until it is finished or interrupted (then cancels it). */
export async function runTestSession(options: SessionOptions): Promise<SessionOutcome> {
  const { client, progress } = options;
  const interval = options.pollIntervalMs ?? POLL_INTERVAL_MS;
  let interrupted = false;
  void options.interrupted.then(() => (interrupted = true));
  let test = await client.createTest(options.body);
  options.onCreated?.(test);
  while (!isFinished(test)) {
    progress.update(test);
    await Promise.race([sleep(interval), options.interrupted]);
    if (interrupted) return { test: await cancel(client, test, progress, interval), interrupted: true };
    test = await client.getTest(test.test_id);
  }
  progress.finish(test);
  return { test, interrupted: false };
}

async function cancel(client: OrchestratorClient, test: TestDetailView, progress: ProgressView, interval: number): Promise<TestDetailView> {
  let current = await client.cancelTest(test.test_id).catch((error: unknown) => {
    // 409: it finished on its own meanwhile, which is as good as cancelled.
    if (error instanceof OrchestratorError && error.status === 409) return client.getTest(test.test_id);
    throw error;
  });
  const deadline = Date.now() + CANCEL_WAIT_MS;
  const settled = (t: TestDetailView) => isFinished(t);
  while (!settled(current) && Date.now() < deadline) {
    progress.update(current);
    await sleep(interval);
    current = await client.getTest(test.test_id);
  }
  progress.finish(current);
  return current;
}
