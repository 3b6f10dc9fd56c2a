import { isAppError } from '../errors.js';

export type RetryPolarOptions = {
  /** How many times a failed call is tried again. */
  retries: number;
  /** How long to wait before try `attempt + 1` after an outage (`attempt` counts from 1), in ms. */
  backoffMs(attempt: number): number;
  /** The longest `Retry-After` waited for, in ms. @default no limit */
  maxRetryAfterMs?: number;
  /** Told of each failure about to be retried, with the wait ahead. */
  onRetry?(error: unknown, attempt: number, delayMs: number): void;
};

/**
 * Runs a Polar call, trying it again when Polar rate-limited it (`POLAR_RATE_LIMITED`: after its `Retry-After`,
 * or the backoff when it sent none) or was briefly unavailable (`POLAR_UNAVAILABLE`: after the backoff). Any
 * other error, or the last failure, is thrown as it came.
 */
export async function retryPolar<T>(fn: () => Promise<T>, options: RetryPolarOptions): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (error) {
      const code = isAppError(error) ? error.code : null;
      if (attempt > options.retries || (code !== 'POLAR_RATE_LIMITED' && code !== 'POLAR_UNAVAILABLE'))
        throw error;
      const retryAfter = Number(isAppError(error) ? error.headers['Retry-After'] : NaN);
      const delay =
        code === 'POLAR_RATE_LIMITED' && retryAfter > 0
          ? Math.min(retryAfter * 1000, options.maxRetryAfterMs ?? Infinity)
          : options.backoffMs(attempt);
      options.onRetry?.(error, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
