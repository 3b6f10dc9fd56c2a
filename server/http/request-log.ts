import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** Path segments that identify a person are logged as their route parameter, never as the value. */
const PERSONAL_SEGMENTS: Array<[RegExp, string]> = [
  [/^(\/api\/orders\/)[^/]+/, '$1:email'],
  [/^(\/api\/customers\/)[^/]+/, '$1:key'],
];

/**
 * One log line per finished request: method, path (no query, no emails or customer keys), status, duration
 * and request id. Health checks log at `debug` so probes do not drown the log. Call it when the request
 * arrives; it logs when the response has been sent.
 */
export function requestLogger(logger: Logger): (req: IncomingMessage, res: ServerResponse) => void {
  // The entry's keys are the five below, none of them a redacted name, so redaction cannot change the line;
  // it would still cost more than the rest of the line (pino walks every redacted path on every call).
  const lines = logger.child({}, { redact: [] });
  return (req, res) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      // Under Express the mount point is part of `originalUrl`; a plain listener sees the whole path in `url`.
      let path = ((req as { originalUrl?: string }).originalUrl ?? req.url ?? '').split('?')[0] ?? '';
      for (const [pattern, replacement] of PERSONAL_SEGMENTS) path = path.replace(pattern, replacement);
      const entry = {
        requestId: req.id,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      };
      if (path === '/api/health') lines.debug(entry, 'request');
      else lines.info(entry, 'request');
    });
  };
}

/** {@link requestLogger} as Express middleware. */
export function requestLog(logger: Logger): RequestHandler {
  const log = requestLogger(logger);
  return (req, res, next) => {
    log(req, res);
    next();
  };
}
