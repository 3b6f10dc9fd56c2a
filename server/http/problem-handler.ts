import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError, toProblem } from '../errors.js';
import type { ErrorCode } from '../../contract/errors.js';

/** The smallest logger surface the kit needs; pino satisfies it. */
export type ProblemLogger = {
  error(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
};

const BODY_PARSER_CODES: Record<string, ErrorCode> = {
  'entity.parse.failed': 'INVALID_JSON',
  'entity.too.large': 'PAYLOAD_TOO_LARGE',
  'entity.verify.failed': 'INVALID_JSON',
  'encoding.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'charset.unsupported': 'UNSUPPORTED_MEDIA_TYPE',
  'request.aborted': 'INVALID_JSON',
  'request.size.invalid': 'INVALID_JSON',
  'stream.encoding.set': 'INTERNAL',
};

/** Registered after all routes: any unmatched request becomes `ROUTE_NOT_FOUND`. */
export const notFound: RequestHandler = (req, _res, next) => {
  next(new AppError('ROUTE_NOT_FOUND', { detail: `No route for ${req.method} ${req.path}.` }));
};

/**
 * The one error middleware. `AppError` → its problem; body-parser errors → 400/413/415; anything else →
 * 500 `INTERNAL` with no detail (the message and stack go to the log with the request id, never to the client).
 */
export function problemHandler(logger: ProblemLogger): ErrorRequestHandler {
  return (err, req, res, _next) => {
    const requestId = typeof req.id === 'string' ? req.id : undefined;
    let error: AppError;
    if (isAppError(err)) {
      error = err;
    } else if (
      typeof err === 'object' &&
      err !== null &&
      typeof (err as { type?: unknown }).type === 'string'
    ) {
      const code = BODY_PARSER_CODES[(err as { type: string }).type];
      error = new AppError(code ?? 'INTERNAL', { cause: err });
    } else {
      error = new AppError('INTERNAL', { cause: err });
    }
    if (error.status >= 500)
      logger.error({ err: error.cause ?? err, requestId, path: req.path }, 'request failed');
    if (res.headersSent) {
      res.end();
      return;
    }
    for (const [name, value] of Object.entries(error.headers)) res.setHeader(name, value);
    res
      .status(error.status)
      .type('application/problem+json')
      .send(JSON.stringify(toProblem(error, { instance: req.originalUrl.split('?')[0], requestId })));
  };
}

declare module 'http' {
  interface IncomingMessage {
    /** Set by the request-id middleware. */
    id?: string;
  }
}
