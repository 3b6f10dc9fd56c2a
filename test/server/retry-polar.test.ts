import { describe, expect, it } from 'vitest';
import { AppError } from '../../server/errors.js';
import { retryPolar } from '../../server/polar/retry-polar.js';

/** A call that fails with `failures` in turn, then answers 'ok'; counts its calls. */
function flaky(failures: unknown[]) {
  let calls = 0;
  return {
    calls: () => calls,
    fn: async () => {
      const failure = failures[calls++];
      if (failure !== undefined) throw failure;
      return 'ok';
    },
  };
}

describe('retryPolar', () => {
  it("waits Polar's Retry-After (up to the limit) after a rate limit and backs off after an outage", async () => {
    const call = flaky([
      new AppError('POLAR_RATE_LIMITED', { headers: { 'Retry-After': '0.002' } }),
      new AppError('POLAR_UNAVAILABLE'),
      new AppError('POLAR_RATE_LIMITED', { headers: { 'Retry-After': '120' } }),
      new AppError('POLAR_RATE_LIMITED'),
    ]);
    const waits: Array<[number, number]> = [];
    const answer = await retryPolar(call.fn, {
      retries: 4,
      backoffMs: (attempt) => attempt,
      maxRetryAfterMs: 3,
      onRetry: (_error, attempt, delayMs) => void waits.push([attempt, delayMs]),
    });
    expect(answer).toBe('ok');
    expect(call.calls()).toBe(5);
    expect(waits).toEqual([
      [1, 2],
      [2, 2],
      [3, 3],
      [4, 4],
    ]);
  });

  it('throws the last failure once the retries are spent', async () => {
    const last = new AppError('POLAR_UNAVAILABLE', { detail: 'third' });
    const call = flaky([new AppError('POLAR_UNAVAILABLE'), new AppError('POLAR_UNAVAILABLE'), last]);
    await expect(retryPolar(call.fn, { retries: 2, backoffMs: () => 1 })).rejects.toBe(last);
    expect(call.calls()).toBe(3);
  });

  it('throws any other error at once', async () => {
    for (const error of [new AppError('POLAR_REJECTED'), new TypeError('bug')]) {
      const call = flaky([error]);
      await expect(retryPolar(call.fn, { retries: 5, backoffMs: () => 1 })).rejects.toBe(error);
      expect(call.calls()).toBe(1);
    }
  });
});
