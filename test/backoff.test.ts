import assert from 'node:assert/strict';
import { afterEach, describe, it, mock } from 'node:test';
import { KAFKA_RETRY_BACKOFF, retryWithBackoff } from '../src/bus/index.js';

/** Records the delays the helper asks for (it sleeps with setTimeout) while still waiting 0 ms. */
function recordDelays(): number[] {
  const delays: number[] = [];
  const realSetTimeout = globalThis.setTimeout;
  mock.method(globalThis, 'setTimeout', (callback: () => void, ms?: number) => {
    delays.push(ms ?? 0);
    return realSetTimeout(callback, 0);
  });
  return delays;
}

function failingTimes<T>(failures: number, value: T): { attempt: () => Promise<T>; calls: () => number } {
  let calls = 0;
  return {
    attempt: async () => {
      calls += 1;
      if (calls <= failures) throw new Error(`broker not available (attempt ${calls})`);
      return value;
    },
    calls: () => calls,
  };
}

describe('retryWithBackoff (the one retry loop for Kafka)', () => {
  afterEach(() => mock.restoreAll());

  it('retries until success, each wait a random share (full jitter) of a doubling window capped at maxDelayMs', async () => {
    const randoms = [0.5, 0.25, 1, 0.75, 0.1, 0.9, 1, 0.5];
    mock.method(Math, 'random', () => randoms.shift() ?? 0.5);
    const delays = recordDelays();
    const { attempt, calls } = failingTimes(8, 'published');
    const failures: number[] = [];
    const result = await retryWithBackoff(attempt, { firstDelayMs: 100, maxDelayMs: 1_000, stopped: () => false, onFailure: (_error, n) => failures.push(n) });
    assert.equal(result, 'published');
    assert.equal(calls(), 9);
    assert.deepEqual(failures, [1, 2, 3, 4, 5, 6, 7, 8]);
    // windows 100, 200, 400, 800, then the 1,000 cap; each wait is random × window
    assert.deepEqual(delays, [50, 50, 400, 600, 100, 900, 1_000, 500]);
  });

  it('jitters even the first attempt when asked (a retry after a failure seen elsewhere)', async () => {
    mock.method(Math, 'random', () => 0.5);
    const delays = recordDelays();
    await retryWithBackoff(failingTimes(0, true).attempt, { firstDelayMs: 200, maxDelayMs: 1_000, delayFirstAttempt: true, stopped: () => false, onFailure: () => undefined });
    assert.deepEqual(delays, [100]);
  });

  it('ends with undefined once stopped, without another attempt', async () => {
    recordDelays();
    let stop = false;
    const { attempt, calls } = failingTimes(Infinity, 'never');
    const result = await retryWithBackoff(attempt, {
      ...KAFKA_RETRY_BACKOFF,
      stopped: () => stop,
      onFailure: (_error, n) => {
        if (n === 3) stop = true;
      },
    });
    assert.equal(result, undefined);
    assert.equal(calls(), 3);
  });

  it('rethrows at once an error marked permanent, without retrying it', async () => {
    recordDelays();
    const refused = new Error('SASL_AUTHENTICATION_FAILED');
    let calls = 0;
    const failures: number[] = [];
    const attempt = async () => {
      calls += 1;
      throw calls < 3 ? new Error('broker not available') : refused;
    };
    const options = { ...KAFKA_RETRY_BACKOFF, stopped: () => false, isPermanent: (error: unknown) => error === refused, onFailure: (_error: unknown, n: number) => failures.push(n) };
    await assert.rejects(retryWithBackoff(attempt, options), (error) => error === refused);
    assert.equal(calls, 3);
    assert.deepEqual(failures, [1, 2]);
  });

  it('gives up on nothing by itself: 200 failures in a row are retried', async () => {
    recordDelays();
    const { attempt, calls } = failingTimes(200, 'finally');
    assert.equal(await retryWithBackoff(attempt, { ...KAFKA_RETRY_BACKOFF, stopped: () => false, onFailure: () => undefined }), 'finally');
    assert.equal(calls(), 201);
  });
});
