/**
 * Errors the emulator answers with, in Polar's two body shapes: `{"error": "<Name>", "detail": "..."}` and the
 * 422 validation shape `{"detail": [{loc, msg, type}]}` (polar-reference.md section 2).
 */
import type { ErrorRequestHandler } from 'express';
import type { ZodError } from 'zod';

export type ValidationIssue = { loc: (string | number)[]; msg: string; type: string; input?: unknown };

/** A Polar-shaped API error: thrown by routes and domain actions, rendered by {@link errorHandler}. */
export class PolarApiError extends Error {
  readonly status: number;
  readonly error: string;
  readonly detail: string | ValidationIssue[];
  readonly headers: Record<string, string>;

  constructor(
    status: number,
    error: string,
    detail: string | ValidationIssue[],
    headers: Record<string, string> = {},
  ) {
    super(typeof detail === 'string' ? detail : `${error}: ${detail.map((d) => d.msg).join('; ')}`);
    this.name = 'PolarApiError';
    this.status = status;
    this.error = error;
    this.detail = detail;
    this.headers = headers;
  }

  /** The JSON body Polar sends for this error. */
  toJSON(): object {
    return typeof this.detail === 'string'
      ? { error: this.error, detail: this.detail }
      : { detail: this.detail };
  }
}

/** 404 `ResourceNotFound`. */
export function notFound(detail = 'Not found'): PolarApiError {
  return new PolarApiError(404, 'ResourceNotFound', detail);
}

/** 403 `NotPermitted` (or another 403 class such as `AlreadyCanceledSubscription`). */
export function notPermitted(detail: string, error = 'NotPermitted'): PolarApiError {
  return new PolarApiError(403, error, detail);
}

/** 401 `Unauthorized`. */
export function unauthorized(detail = 'Unauthorized'): PolarApiError {
  return new PolarApiError(401, 'Unauthorized', detail);
}

/** 400 with a Polar error class name (`PaymentError`, `BadRequest`). */
export function badRequest(error: string, detail: string): PolarApiError {
  return new PolarApiError(400, error, detail);
}

/** 422 with one or more validation issues. */
export function validationError(issues: ValidationIssue[]): PolarApiError {
  return new PolarApiError(422, 'RequestValidationError', issues);
}

/** 422 with one issue at `loc` (for example `['body', 'email']`). */
export function invalid(
  loc: (string | number)[],
  msg: string,
  type = 'value_error',
  input?: unknown,
): PolarApiError {
  return validationError([{ loc, msg, type, ...(input === undefined ? {} : { input }) }]);
}

/** Turns a zod error on a request part into Polar's 422 issues, `loc` prefixed with that part. */
export function fromZodError(error: ZodError, where: 'body' | 'query' | 'path'): PolarApiError {
  return validationError(
    error.issues.map((issue) => ({
      loc: [where, ...issue.path.map((p) => (typeof p === 'symbol' ? String(p) : p))],
      msg: issue.message,
      type: issue.code === 'invalid_type' ? 'missing' : issue.code,
    })),
  );
}

/** Express error middleware rendering {@link PolarApiError}, body-parser errors and anything else. */
export const errorHandler: ErrorRequestHandler = (err, _req, res, _next) => {
  if (res.headersSent) return;
  if (err instanceof PolarApiError) {
    res.status(err.status).set(err.headers).json(err.toJSON());
    return;
  }
  const status = typeof err?.status === 'number' ? err.status : 500;
  if (status === 400 && err?.type === 'entity.parse.failed') {
    res.status(422).json({ detail: [{ loc: ['body'], msg: 'JSON decode error', type: 'json_invalid' }] });
    return;
  }
  if (status >= 400 && status < 500) {
    res.status(status).json({ error: 'BadRequest', detail: String(err?.message ?? 'Bad request') });
    return;
  }
  res.status(500).json({ error: 'InternalServerError', detail: 'Internal server error' });
};
