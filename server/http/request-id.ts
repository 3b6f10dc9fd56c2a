import { randomUUID } from 'node:crypto';
import type { RequestHandler } from 'express';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Gives every request an id: the caller's `X-Request-Id` when it is short and plain, else a new UUID.
 * The id is echoed in the response header and in problem bodies, and logged with failures.
 */
export const requestId: RequestHandler = (req, res, next) => {
  if (typeof req.id !== 'string') {
    const given = req.get('x-request-id');
    req.id = given !== undefined && SAFE_ID.test(given) ? given : randomUUID();
  }
  res.setHeader('X-Request-Id', req.id);
  next();
};
