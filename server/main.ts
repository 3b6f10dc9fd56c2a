/**
 * The standalone kit: reads the environment (and `.env`), serves the API, the widget build and the demo,
 * and shuts down cleanly. The only module that reads `process.env`.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseEnv } from 'node:util';
import { ConfigError, loadConfig } from './config.js';
import type { Config } from './config.js';
import { createKitListener } from './http/app.js';
import { createKit } from './index.js';
import type { Kit, KitOptions } from './index.js';
import { createLogger } from './logger.js';
import type { Logger } from './logger.js';

export type StandaloneOptions = {
  config: Config;
  logger: Logger;
  /** Overrides `config.polar.apiUrl` (the start command passes the emulator it started). */
  apiUrl?: string | null;
  /** Overrides `config.polar.webhookSecret` (generated secrets in local mode). */
  webhookSecret?: string | null;
  /** Overrides `config.admin.token`. */
  adminToken?: string | null;
  /** Access token to use when `config.polar.accessToken` is unset (local mode). */
  fallbackAccessToken?: string;
  /** Where the widget and demo builds live. @default '<repo>/dist' */
  distDir?: string;
  /** Origins the demo may frame besides Polar's (the emulator's checkout pages). */
  frameOrigins?: readonly string[];
  /** Extra kit options (hooks, identify). */
  kitOptions?: Partial<KitOptions>;
};

export type Standalone = {
  kit: Kit;
  server: Server;
  /** The address it listens on, e.g. `http://127.0.0.1:8000`. */
  url: string;
  port: number;
  /** Stops accepting connections, lets in-flight requests finish (up to 5 s), then closes the database. */
  close(): Promise<void>;
};

/** Generated local-mode secrets, kept beside the database so a restart keeps them. */
export type LocalSecrets = { webhookSecret: string; adminToken: string };

const DIST_DIR = fileURLToPath(new URL('../dist/', import.meta.url));
const LOCAL_ACCESS_TOKEN = 'polar_oat_local_emulator';

/** The process environment over the `.env` file of `cwd` (a real variable wins over the file). */
export function readEnvironment(cwd: string = process.cwd()): Record<string, string | undefined> {
  const file = path.join(cwd, '.env');
  const fromFile = existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

/**
 * Reads `secrets.json` in `dataDir`, filling in (and saving, mode 0600) whatever is missing: a `whsec_`
 * webhook secret under Polar's standard scheme and a random admin token. Values given explicitly win.
 */
export function loadOrCreateSecrets(
  dataDir: string,
  given: { webhookSecret?: string | null; adminToken?: string | null },
): LocalSecrets {
  const file = path.join(dataDir, 'secrets.json');
  let stored: Partial<LocalSecrets> = {};
  if (existsSync(file)) {
    try {
      stored = JSON.parse(readFileSync(file, 'utf8')) as Partial<LocalSecrets>;
    } catch {
      stored = {};
    }
  }
  const secrets: LocalSecrets = {
    webhookSecret:
      given.webhookSecret ?? stored.webhookSecret ?? `whsec_${randomBytes(32).toString('base64')}`,
    adminToken: given.adminToken ?? stored.adminToken ?? randomBytes(24).toString('base64url'),
  };
  const toStore = {
    webhookSecret: given.webhookSecret ? stored.webhookSecret : secrets.webhookSecret,
    adminToken: given.adminToken ? stored.adminToken : secrets.adminToken,
  };
  if (toStore.webhookSecret !== stored.webhookSecret || toStore.adminToken !== stored.adminToken) {
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${JSON.stringify(toStore, null, 2)}\n`, { mode: 0o600 });
  }
  return secrets;
}

/** Creates the kit and the standalone app, and listens on `config.http.host:port` (0 = any free port). */
export async function startStandalone(options: StandaloneOptions): Promise<Standalone> {
  const { config, logger } = options;
  const webhookSecret = options.webhookSecret ?? config.polar.webhookSecret;
  if (!webhookSecret)
    throw new Error('POLAR_WEBHOOK_SECRET is required (the start command generates one in local mode).');
  const kit = createKit({
    accessToken: config.polar.accessToken ?? options.fallbackAccessToken ?? LOCAL_ACCESS_TOKEN,
    webhookSecret,
    server: config.polar.server,
    apiUrl: options.apiUrl ?? config.polar.apiUrl,
    organizationId: config.polar.organizationId,
    databasePath: config.db.path,
    databaseSynchronous: config.db.synchronous,
    publicUrl: config.http.publicUrl,
    allowedOrigins: config.http.allowedOrigins,
    successUrl: config.http.successUrl,
    adminToken: options.adminToken !== undefined ? options.adminToken : config.admin.token,
    reconcileIntervalMs: config.reconcile.intervalMs,
    logger,
    ...options.kitOptions,
  });
  const listener = createKitListener({
    api: kit.router,
    webhooks: kit.webhookHandler,
    logger,
    distDir: options.distDir ?? DIST_DIR,
    trustProxy: config.proxy.trust,
    ...(options.frameOrigins ? { frameOrigins: options.frameOrigins } : {}),
  });
  let server: Server;
  try {
    // Not `app.listen`: Express 5 calls its callback on failure too, which would hide EADDRINUSE.
    server = await new Promise<Server>((resolve, reject) => {
      const s = createServer(listener);
      s.once('error', reject);
      s.listen(config.http.port, config.http.host, () => {
        s.off('error', reject);
        resolve(s);
      });
    });
  } catch (error) {
    await kit.close();
    throw error;
  }
  // Slow clients must not hold sockets forever; Polar's own webhook timeout is 10 s.
  server.requestTimeout = 30_000;
  server.headersTimeout = 15_000;
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : config.http.port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? '127.0.0.1' : config.http.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

  // Warm the product cache so the first page view does not wait for Polar; failure is not fatal.
  kit
    .refreshProducts()
    .catch((error: unknown) => logger.warn({ err: error }, 'initial products fetch failed'));

  let closing: Promise<void> | null = null;
  return {
    kit,
    server,
    url,
    port,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => server.closeAllConnections(), 5_000);
          timer.unref();
          server.close(() => {
            clearTimeout(timer);
            resolve();
          });
          server.closeIdleConnections();
        });
        await kit.close();
      })();
      return closing;
    },
  };
}

/** Resolves on the first SIGINT or SIGTERM. */
export function waitForShutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const onSignal = (signal: NodeJS.Signals) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

/** `node server/main.ts`: the kit alone, against Polar or an emulator given by `POLAR_API_URL`. */
export async function main(): Promise<number> {
  let config: Config;
  try {
    config = loadConfig(readEnvironment());
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      return 2;
    }
    throw error;
  }
  const logger = createLogger({ level: config.log.level });
  if (config.polar.server === 'local' && !config.polar.apiUrl) {
    console.error('Local mode needs an emulator: run "npx polar-kit start", or set POLAR_API_URL.');
    return 2;
  }
  const secrets =
    config.polar.server === 'local'
      ? loadOrCreateSecrets(path.dirname(path.resolve(config.db.path)), {
          webhookSecret: config.polar.webhookSecret,
          adminToken: config.admin.token,
        })
      : null;
  const standalone = await startStandalone({
    config,
    logger,
    ...(secrets ? { webhookSecret: secrets.webhookSecret, adminToken: secrets.adminToken } : {}),
  });
  logger.info({ url: standalone.url, polar: config.polar.server }, 'kit listening');
  const signal = await waitForShutdownSignal();
  logger.info({ signal }, 'shutting down');
  await standalone.close();
  return 0;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  process.exitCode = await main();
}
