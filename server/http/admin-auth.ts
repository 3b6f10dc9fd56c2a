import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors.js';

/**
 * Requires `Authorization: Bearer <token>`. The comparison runs on SHA-256 digests with `timingSafeEqual`,
 * so neither the token's content nor its length leaks through timing. A `null` token locks the route.
 */
export function requireAdmin(token: string | null): RequestHandler {
  const expected = token === null ? null : digest(token);
  return (req, res, next) => {
    if (expected === null || !isAdminRequest(req.get('authorization'), expected)) {
      res.setHeader('WWW-Authenticate', 'Bearer realm="polar-kit"');
      next(
        new AppError('UNAUTHORIZED', {
          detail: 'Send the admin token as "Authorization: Bearer <KIT_ADMIN_TOKEN>".',
        }),
      );
      return;
    }
    next();
  };
}

/** True when the `Authorization` header carries the admin token (constant-time compare). */
export function hasAdminToken(header: string | undefined, token: string | null): boolean {
  return token !== null && isAdminRequest(header, digest(token));
}

function isAdminRequest(header: string | undefined, expected: Buffer): boolean {
  if (header === undefined) return false;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) return false;
  return timingSafeEqual(digest(match[1]!), expected);
}

function digest(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}
