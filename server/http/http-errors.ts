import type { ErrorRequestHandler } from 'express';
import { AppError, isAppError } from '../errors.js';
import type { ErrorCode } from '../../contract/errors.js';

const BY_STATUS: Record<number, ErrorCode> = {
  400: 'VALIDATION_FAILED',
  404: 'ROUTE_NOT_FOUND',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  429: 'RATE_LIMITED',
};

/**
 * Express and its routers signal some client mistakes with `http-errors`-style errors that carry a 4xx
 * `status` but no body-parser `type`: a malformed percent-encoding in a path parameter (`/checkout/%E0%A4%A`)
 * is the common one. They are the client's fault, so they become 4xx problems instead of 500s.
 * Registered just before the problem handler.
 */
export const translateHttpErrors: ErrorRequestHandler = (err, _req, _res, next) => {
  if (
    isAppError(err) ||
    typeof err !== 'object' ||
    err === null ||
    typeof (err as { type?: unknown }).type === 'string'
  ) {
    next(err);
    return;
  }
  const status =
    (err as { status?: unknown; statusCode?: unknown }).status ??
    (err as { statusCode?: unknown }).statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = BY_STATUS[status] ?? 'VALIDATION_FAILED';
    const detail = err instanceof URIError ? 'The URL is not validly percent-encoded.' : undefined;
    next(new AppError(code, { cause: err, ...(detail ? { detail } : {}) }));
    return;
  }
  next(err);
};
