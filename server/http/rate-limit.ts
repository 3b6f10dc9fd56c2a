import type { Request, RequestHandler } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { Logger as LimiterLogger } from 'express-rate-limit';
import { AppError } from '../errors.js';
import type { Logger } from '../logger.js';

export type RateLimitOptions = {
  /** Requests allowed per key within the window. */
  limit: number;
  /** @default 60_000 (one minute) */
  windowMs?: number;
  /** The `detail` of the `RATE_LIMITED` problem answered once the limit is reached. */
  detail: string;
  /** Where the limiter's configuration warnings go (instead of the console). */
  logger: Logger;
  /** Send the `RateLimit` and `RateLimit-Policy` headers (draft 7). @default true */
  standardHeaders?: boolean;
  /**
   * What a request is counted under. @default the client IP (an IPv6 address by its /56 subnet), whose
   * address checks are the ones logged
   */
  keyGenerator?: (req: Request) => string;
};

/**
 * A per-window request limiter that answers `RATE_LIMITED` (429, with `Retry-After`) through the problem
 * handler. express-rate-limit's checks of the deployment (an `X-Forwarded-For` header while `trust proxy` is
 * off, an unusable client address, …) are written to the kit's log, once each, rather than to the console.
 * Its check that `trust proxy` is not `true` is off: `TRUST_PROXY=true` is a setting the kit's configuration
 * accepts and documents on purpose (a proxy that replaces the header).
 */
export function createRateLimit(options: RateLimitOptions): RequestHandler {
  const log = options.logger;
  const logger: LimiterLogger = {
    warn: (error) => logLimiterCheck(log, error),
    error: (error) => logLimiterCheck(log, error),
  };
  return rateLimit({
    windowMs: options.windowMs ?? 60_000,
    limit: options.limit,
    standardHeaders: options.standardHeaders === false ? false : 'draft-7',
    legacyHeaders: false,
    ...(options.keyGenerator ? { keyGenerator: options.keyGenerator } : {}),
    validate: { trustProxy: false },
    logger,
    handler: (_req, res, next, limiterOptions) => {
      res.setHeader('Retry-After', String(Math.ceil(limiterOptions.windowMs / 1000)));
      next(new AppError('RATE_LIMITED', { detail: options.detail }));
    },
  });
}

/** One of express-rate-limit's checks failed: it names a setting to look at; requests are still served. */
function logLimiterCheck(log: Logger, error: unknown): void {
  if (error instanceof Error) {
    const { code, help } = error as Error & { code?: unknown; help?: unknown };
    log.warn({ code, help }, `rate limit: ${error.message}`);
  } else {
    log.warn({ detail: String(error) }, 'rate limit: a configuration check failed');
  }
}
