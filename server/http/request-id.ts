import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives a request its id, once: the caller's `X-Request-Id` when it is short and plain, else a new UUID.
 * The id is echoed in the response header and in problem bodies, and logged with failures.
 */
export function assignRequestId(req: IncomingMessage, res: ServerResponse): void {
  if (typeof req.id !== 'string') {
    const given = req.headers['x-request-id'];
    req.id = typeof given === 'string' && SAFE_ID.test(given) ? given : randomUUID();
  }
  res.setHeader('X-Request-Id', req.id);
}

/** {@link assignRequestId} as Express middleware. */
export const requestId: RequestHandler = (req, res, next) => {
  assignRequestId(req, res);
  next();
};
