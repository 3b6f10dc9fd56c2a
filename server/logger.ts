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
  /** Where lines go; @default stdout */
  destination?: pino.DestinationStream;
};

/** Creates the kit's pino logger (JSON lines) with secrets redacted. */
export function createLogger(options: LoggerConfig = {}): Logger {
  const pinoOptions: LoggerOptions = {
    level: options.level ?? 'info',
    base: { name: 'polar-kit' },
    redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    serializers: { err: pino.stdSerializers.err },
  };
  return options.destination ? pino(pinoOptions, options.destination) : pino(pinoOptions);
}

/** A logger that writes nothing: for tests and embedders who bring their own. */
export function createSilentLogger(): Logger {
  return pino({ level: 'silent' });
}
