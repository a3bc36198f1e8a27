import { backOff } from 'exponential-backoff';

/**
 * How every node retries Kafka after a failure: the n-th retry waits a random time between 0 and
 * min(maxDelayMs, firstDelayMs · 2^(n-1)) ("full jitter"). A broker restart under 1,000 drivers then
 * spreads their retries over the whole window instead of bringing them all back in the same instant,
 * and no node waits longer than maxDelayMs once the broker answers again.
 */
export type BackoffPolicy = { firstDelayMs: number; maxDelayMs: number };

/** Reconnecting consumers and publishing the driver's outbox. The orchestrator's grace relies on the cap. */
export const KAFKA_RETRY_BACKOFF: BackoffPolicy = { firstDelayMs: 250, maxDelayMs: 5_000 };

export type RetryOptions = BackoffPolicy & {
  /** Checked before every attempt and after every failure: once true, retrying ends. */
  stopped: () => boolean;
  /** Called after each failed attempt that will be retried (1 for the first failure). */
  onFailure: (error: unknown, failures: number) => void;
  /** An error retrying cannot fix (a refused login): rethrown at once instead of retried. */
  isPermanent?: (error: unknown) => boolean;
  /** The first attempt is itself a retry (something already failed): wait a jittered delay before it too. */
  delayFirstAttempt?: boolean;
};

class RetryStopped extends Error {}

/**
 * Runs `attempt` until it succeeds, however long that takes, backing off with full jitter between
 * attempts. Resolves with its result, or with undefined once `stopped()` is true; rejects with a permanent error.
 */
export async function retryWithBackoff<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T | undefined> {
  const stoppable = async (): Promise<T> => {
    if (options.stopped()) throw new RetryStopped();
    return attempt();
  };
  try {
    return await backOff(stoppable, {
      jitter: 'full',
      startingDelay: options.firstDelayMs,
      maxDelay: options.maxDelayMs,
      timeMultiple: 2,
      numOfAttempts: Infinity,
      delayFirstAttempt: options.delayFirstAttempt ?? false,
      retry: (error: unknown, failures: number) => {
        if (error instanceof RetryStopped || options.stopped() || options.isPermanent?.(error) === true) return false;
        options.onFailure(error, failures);
        return true;
      },
    });
  } catch (error) {
    if (error instanceof RetryStopped || options.stopped()) return undefined;
    throw error;
  }
}
