import { pino } from 'pino';
import type { Logger, LoggerOptions } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/**
 * Paths pino blanks out wherever they appear in a log object: request credentials and every secret the
 * kit holds, at the top level and one level down (`config.polar.accessToken`, `req.headers.authorization`).
 */
export const REDACTED_PATHS = [
  'accessToken',
  'webhookSecret',
  'adminToken',
  'token',
  'secret',
  'client_secret',
  'authorization',
  'cookie',
  '*.accessToken',
  '*.webhookSecret',
  '*.adminToken',
  '*.token',
  '*.secret',
  '*.client_secret',
  '*.authorization',
  '*.cookie',
  '*.*.accessToken',
  '*.*.webhookSecret',
  '*.*.token',
  '*.*.client_secret',
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["webhook-signature"]',
  'headers.authorization',
  'headers.cookie',
  'headers["webhook-signature"]',
];

export type LoggerConfig = {
  /** @default 'info' */
  level?: LogLevel;
  /** Where lines go; @default stdout, through {@link logDestination} */
  destination?: pino.DestinationStream;
};

/**
 * The kit's log stream to a file descriptor or path: each line is written with one `write(2)` as it is logged,
 * the way Node writes `console.log` to a file or a pipe on Linux. pino's default stdout stream hands every write
 * to libuv's thread pool instead: under webhook load that is a round trip between threads for most request
 * lines, and cost the kit about 5 % of its webhook throughput (`npm run bench`). Written at once, a line is
 * also never lost when the process dies. The price is Node's own: a log reader that stops reading stalls the
 * process once the pipe is full.
 */
export function logDestination(dest: number | string = 1): pino.DestinationStream {
  return pino.destination({ dest, sync: true });
}

/** Creates the kit's pino logger (JSON lines) with secrets redacted. */
export function createLogger(options: LoggerConfig = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'polar-kit' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return pino(pinoOptions, options.destination ?? logDestination(1));
}

/** A logger that writes nothing: for tests and embedders who bring their own. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
