import { ERROR_CODES } from '../contract/errors.js';
import type { ErrorCode, Problem } from '../contract/errors.js';

const BRAND = Symbol.for('polar-checkout-kit.AppError');

export type AppErrorOptions = {
  /** Safe, human-readable detail for the client: no secrets, SQL, stacks or unescaped input. */
  detail?: string;
  cause?: unknown;
  errors?: Problem['errors'];
  /** Extra response headers (for example `Retry-After`). */
  headers?: Record<string, string>;
};

/**
 * An error the kit answers with: its `code` picks the status and title from `ERROR_CODES`.
 * Route handlers throw it; the problem handler renders it as `application/problem+json`.
 */
export class AppError extends Error {
  static readonly [BRAND] = true;
  readonly code: ErrorCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string | undefined;
  readonly errors: Problem['errors'];
  readonly headers: Record<string, string>;

  constructor(code: ErrorCode, options: AppErrorOptions = {}) {
    const entry = ERROR_CODES[code];
    super(options.detail ?? entry.title, { cause: options.cause });
    this.name = 'AppError';
    this.code = code;
    this.status = entry.status;
    this.title = entry.title;
    this.detail = options.detail;
    this.errors = options.errors;
    this.headers = options.headers ?? {};
  }
}

/** True for an `AppError`, also one from another copy of this module. */
export function isAppError(value: unknown): value is AppError {
  return (
    value instanceof AppError ||
    (typeof value === 'object' &&
      value !== null &&
      (value as { name?: unknown }).name === 'AppError' &&
      typeof (value as { code?: unknown }).code === 'string' &&
      (value as { code: string }).code in ERROR_CODES)
  );
}

/** Renders an `AppError` as a problem body. */
export function toProblem(error: AppError, extras: { instance?: string; requestId?: string } = {}): Problem {
  const problem: Problem = {
    type: 'about:blank',
    title: error.title,
    status: error.status,
    code: error.code,
  };
  if (error.detail !== undefined) problem.detail = error.detail;
  if (error.errors !== undefined) problem.errors = error.errors;
  if (extras.instance !== undefined) problem.instance = extras.instance;
  if (extras.requestId !== undefined) problem.requestId = extras.requestId;
  return problem;
}
