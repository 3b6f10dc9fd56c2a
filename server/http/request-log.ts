import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';

/** Path segments that identify a person are logged as their route parameter, never as the value. */
const PERSONAL_SEGMENTS: Array<[RegExp, string]> = [
  [/^(\/api\/orders\/)[^/]+/, '$1:email'],
  [/^(\/api\/customers\/)[^/]+/, '$1:key'],
];

/**
 * One log line per finished request: method, path (no query, no emails or customer keys), status, duration
 * and request id. Health checks log at `debug` so probes do not drown the log.
 */
export function requestLog(logger: Logger): RequestHandler {
  return (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      let path = req.originalUrl.split('?')[0] ?? '';
      for (const [pattern, replacement] of PERSONAL_SEGMENTS) path = path.replace(pattern, replacement);
      const entry = {
        requestId: req.id,
        method: req.method,
        path,
        status: res.statusCode,
        ms: Number((process.hrtime.bigint() - started) / 1000n) / 1000,
      };
      if (path === '/api/health') logger.debug(entry, 'request');
      else logger.info(entry, 'request');
    });
    next();
  };
}
