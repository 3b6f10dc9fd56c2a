/**
 * What the kit's maintenance commands share: argument parsing with usage errors (exit 2), the configuration
 * from the environment and `.env`, and where Polar is (in local mode, the emulator `polar-kit start` runs).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError, loadConfig } from '../server/config.js';
import type { Config } from '../server/config.js';
import { readEnvironment } from '../server/main.js';
import { createPolarGateway } from '../server/polar/gateway.js';
import type { PolarGateway } from '../server/polar/gateway.js';

/** Exit codes every command keeps: scripts may rely on them. */
export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

/** The token sent to the emulator in local mode (it accepts any token unless started with --access-token). */
export const LOCAL_ACCESS_TOKEN = 'polar_oat_local_emulator';

/**
 * Runs a `parseArgs` call. On a usage error prints it with a pointer to `--help` and returns `null` (the
 * caller exits 2).
 */
export function tryParseArgs<T>(name: string, parse: () => T): T | null {
  try {
    return parse();
  } catch (error) {
    usageError(name, (error as Error).message);
    return null;
  }
}

/** Prints a usage error for `polar-kit <name>`. */
export function usageError(name: string, message: string): void {
  console.error(`polar-kit ${name}: ${message}\nRun "polar-kit ${name} --help" for the options.`);
}

/** The configuration from the environment and `.env`, or `null` after printing every problem. */
export function loadCliConfig(
  name: string,
  env: Record<string, string | undefined> = readEnvironment(),
): Config | null {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`polar-kit ${name}: ${error.message}`);
      return null;
    }
    throw error;
  }
}

/** Where the kit's Polar calls go: `POLAR_API_URL`, Polar's own URL, or in local mode the emulator's port. */
export function polarBaseUrl(config: Config): string | null {
  if (config.polar.apiUrl) return config.polar.apiUrl;
  if (config.polar.server === 'local') return `http://127.0.0.1:${config.polar.emulatorPort}`;
  return null;
}

/** The Polar gateway the kit itself would use with this configuration. */
export function createCliGateway(config: Config, timeoutSeconds = 10): PolarGateway {
  return createPolarGateway({
    accessToken: config.polar.accessToken ?? LOCAL_ACCESS_TOKEN,
    server: config.polar.server,
    baseUrl: polarBaseUrl(config),
    organizationId: config.polar.organizationId,
    timeoutSeconds,
  });
}

/**
 * The webhook secret: `POLAR_WEBHOOK_SECRET`, else (local mode) the one `polar-kit start` generated beside
 * the database; `null` when there is neither. Never creates one.
 */
export function configuredWebhookSecret(config: Config): { secret: string; source: string } | null {
  if (config.polar.webhookSecret)
    return { secret: config.polar.webhookSecret, source: 'POLAR_WEBHOOK_SECRET' };
  const file = path.join(path.dirname(path.resolve(config.db.path)), 'secrets.json');
  if (!existsSync(file)) return null;
  try {
    const stored = JSON.parse(readFileSync(file, 'utf8')) as { webhookSecret?: unknown };
    return typeof stored.webhookSecret === 'string' && stored.webhookSecret.length > 0
      ? { secret: stored.webhookSecret, source: file }
      : null;
  } catch {
    return null;
  }
}

/** The message of an error for a terminal: the problem detail of an `AppError`, else the message. */
export function describeError(error: unknown): string {
  if (error instanceof Error) {
    const detail = (error as { detail?: unknown }).detail;
    return typeof detail === 'string' && detail.length > 0 ? detail : error.message;
  }
  return String(error);
}
