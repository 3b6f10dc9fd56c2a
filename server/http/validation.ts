import type { Request } from 'express';
import type { z } from 'zod';
import { AppError } from '../errors.js';

/**
 * Validates a JSON request body with a zod schema.
 * @throws {AppError} UNSUPPORTED_MEDIA_TYPE for a non-JSON body, VALIDATION_FAILED with one entry per problem.
 */
export function parseBody<S extends z.ZodType>(schema: S, req: Request): z.infer<S> {
  const hasBody = req.get('content-length') !== undefined || req.get('transfer-encoding') !== undefined;
  if (
    hasBody &&
    req.get('content-type') !== undefined &&
    !req.is(['application/json', 'application/*+json'])
  ) {
    throw new AppError('UNSUPPORTED_MEDIA_TYPE', { detail: 'Send the body as application/json.' });
  }
  if (
    req.body === undefined ||
    req.body === null ||
    typeof req.body !== 'object' ||
    Array.isArray(req.body)
  ) {
    throw new AppError('VALIDATION_FAILED', {
      detail: 'The body must be a JSON object.',
      errors: [{ path: '', code: 'NOT_AN_OBJECT' }],
    });
  }
  const result = schema.safeParse(req.body);
  if (result.success) return result.data;
  // Paths and field names echo the client's own keys: keep them short so a problem body stays small.
  const errors = result.error.issues.slice(0, 20).map((issue) => ({
    path: clip(issue.path.map(String).join('.'), 100),
    code: issue.code === 'unrecognized_keys' ? 'UNKNOWN_FIELD' : issue.code.toUpperCase(),
    message: clip(
      issue.code === 'unrecognized_keys'
        ? `unknown field(s): ${issue.keys.slice(0, 10).join(', ')}`
        : issue.message,
      200,
    ),
  }));
  throw new AppError('VALIDATION_FAILED', {
    detail: errors
      .map((error) => (error.path ? `${error.path}: ${error.message}` : error.message))
      .join('; '),
    errors,
  });
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 3)}...` : text;
}
