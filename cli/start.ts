/**
 * `polar-kit start`: the kit, standalone. In local mode (no `POLAR_ACCESS_TOKEN`) it also starts the emulator
 * and registers the kit's webhook URL there: the one place where the kit and the emulator are wired together.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import path from 'node:path';
import type { Emulator } from '../emulator/app.js';
import { ConfigError, loadConfig } from '../server/config.js';
import type { Config } from '../server/config.js';
import { createLogger } from '../server/logger.js';
import {
  loadOrCreateSecrets,
  readEnvironment,
  startStandalone,
  waitForShutdownSignal,
} from '../server/main.js';
import type { Standalone } from '../server/main.js';
import type { CliCommand } from './command.js';

const HELP = `Usage: polar-kit start

Runs the kit on PORT (8000). Without POLAR_ACCESS_TOKEN it runs in local mode: it also starts the Polar
emulator on POLAR_EMULATOR_PORT (8001) with the demo catalog, registers its own webhook URL there, and
generates a webhook secret and an admin token (kept in the data folder beside DATABASE_PATH).
Set POLAR_API_URL to use an emulator you started yourself instead.
It also serves the demo's "any website" page from a second origin on DEMO_EMBED_PORT (PORT + 2; in
sandbox and production mode only when DEMO_EMBED_PORT is set; "off" turns it off).
Behind a reverse proxy, set TRUST_PROXY (1 for one proxy hop) so the per-IP limits count the buyer, not
the proxy. KIT_RECONCILE_INTERVAL (seconds; 0, the default, is off) reconciles with Polar on a timer.

Configuration comes from the environment and from .env in the working directory (see .env.example).`;

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    if (args.length > 0) {
      console.error(`polar-kit start: unexpected argument "${args[0]}".\n\n${HELP}`);
      return 2;
    }
    let config: Config;
    const environment = readEnvironment();
    let embedPort: number | null | undefined;
    try {
      embedPort = anyWebsitePort(environment.DEMO_EMBED_PORT, environment.POLAR_ACCESS_TOKEN);
      config = loadConfig(environment);
    } catch (error) {
      if (typeof error === 'string') {
        console.error(`polar-kit start: ${error}`);
        return 2;
      }
      if (error instanceof ConfigError) {
        console.error(error.message);
        return 2;
      }
      throw error;
    }
    const logger = createLogger({ level: config.log.level });
    const local = config.polar.server === 'local';
    const secrets = local
      ? loadOrCreateSecrets(path.dirname(path.resolve(config.db.path)), {
          webhookSecret: config.polar.webhookSecret,
          adminToken: config.admin.token,
        })
      : null;
    const webhookSecret = secrets?.webhookSecret ?? config.polar.webhookSecret;
    const adminToken = secrets?.adminToken ?? config.admin.token;

    let emulator: Emulator | null = null;
    let emulatorUrl: string | null = null;
    let kit: Standalone | null = null;
    let anyWebsite: Server | null = null;
    try {
      if (local && config.polar.apiUrl === null) {
        const webhookUrl = `http://${loopbackHost(config.http.host)}:${config.http.port}/api/webhooks/polar`;
        // The emulator keeps its state beside the kit's database, so both remember the same purchases.
        const dataDir = path.dirname(path.resolve(config.db.path));
        mkdirSync(dataDir, { recursive: true });
        // Loaded only here: a kit that talks to Polar never holds the emulator's code in memory.
        const { createEmulator } = await import('../emulator/app.js');
        emulator = createEmulator({ dataFile: path.join(dataDir, 'emulator.sqlite') });
        registerKitWebhook(emulator, webhookUrl, webhookSecret!);
        emulatorUrl = (await emulator.listen(config.polar.emulatorPort, '127.0.0.1')).url.replace(/\/+$/, '');
      }
      const apiUrl = emulatorUrl ?? config.polar.apiUrl;
      kit = await startStandalone({
        config,
        logger,
        apiUrl,
        webhookSecret,
        adminToken,
        ...(apiUrl && local ? { frameOrigins: [new URL(apiUrl).origin] } : {}),
      });
      if (embedPort !== null) {
        anyWebsite = await serveAnyWebsite(
          embedPort ?? config.http.port + 2,
          config.http.host,
          config.http.publicUrl,
        );
      }
    } catch (error) {
      await kit?.close();
      await emulator?.close();
      console.error(`polar-kit start: ${startFailure(error, config)}`);
      return 1;
    }

    const lines = [
      '',
      `  Kit          ${kit.url}  (public URL ${config.http.publicUrl})`,
      `  API          ${kit.url}/api/health, ${kit.url}/api/products`,
      `  Widget       ${kit.url}/widget/polar-checkout.js`,
      `  Polar        ${emulatorUrl ? `${emulatorUrl} (local emulator)` : (config.polar.apiUrl ?? config.polar.server)}`,
      `  Database     ${path.resolve(config.db.path)}`,
    ];
    if (anyWebsite) {
      lines.splice(
        1,
        0,
        `  Demo         ${config.http.publicUrl}/  (any website: http://localhost:${(anyWebsite.address() as { port: number }).port}/)`,
      );
    }
    if (secrets)
      lines.push(`  Admin token  ${secrets.adminToken}  (send as "Authorization: Bearer <token>")`);
    else if (adminToken === null)
      lines.push('  Admin token  not set: the admin endpoints are locked (set KIT_ADMIN_TOKEN)');
    console.log(`${lines.join('\n')}\n`);

    const signal = await waitForShutdownSignal();
    logger.info({ signal }, 'shutting down');
    anyWebsite?.closeAllConnections();
    anyWebsite?.close();
    await kit.close();
    await emulator?.close();
    return 0;
  },
};

/** Points the emulator's webhooks at the kit with the kit's secret, replacing a stale registration. */
function registerKitWebhook(emulator: Emulator, url: string, secret: string): void {
  const existing = emulator.webhooks.listEndpoints().filter((endpoint) => endpoint.url === url);
  if (existing.some((endpoint) => endpoint.secret === secret && endpoint.enabled)) return;
  for (const endpoint of existing) emulator.webhooks.deleteEndpoint(endpoint.id);
  emulator.webhooks.createEndpoint({ url, secret });
}

function loopbackHost(host: string): string {
  return host === '0.0.0.0' || host === '::' || host === 'localhost'
    ? '127.0.0.1'
    : host.includes(':')
      ? `[${host}]`
      : host;
}

function startFailure(error: unknown, config: Config): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'EADDRINUSE') {
    return `a port is already in use (PORT=${config.http.port}, POLAR_EMULATOR_PORT=${config.polar.emulatorPort}); stop the other process or choose other ports.`;
  }
  return error instanceof Error ? error.message : String(error);
}

/**
 * The port of the demo's "any website" page: `DEMO_EMBED_PORT`, else PORT + 2 (signalled by `undefined`) in local
 * mode; `null` when it is off. Throws a message for a bad value.
 */
function anyWebsitePort(
  value: string | undefined,
  accessToken: string | undefined,
): number | null | undefined {
  const raw = value?.trim() ?? '';
  if (raw === 'off') return null;
  if (raw === '') return accessToken ? null : undefined;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw `DEMO_EMBED_PORT must be a port number (0-65535) or "off", got "${raw}".`;
  }
  return port;
}

/**
 * A second origin for the demo's "any website" page: a plain page that loads the widget from the kit with one
 * script tag and shows the pricing table, as any other site would. It serves only that page.
 */
async function serveAnyWebsite(port: number, host: string, kitUrl: string): Promise<Server> {
  const template = readFileSync(new URL('../demo/templates/any-website.html', import.meta.url), 'utf8');
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://localhost').pathname;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end();
      return;
    }
    if (pathname !== '/' && pathname !== '/index.html') {
      res.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
      return;
    }
    const origin = `http://${req.headers.host ?? `localhost:${port}`}`;
    const html = template
      .replaceAll('{{KIT_URL}}', kitUrl.replace(/\/+$/, ''))
      .replaceAll('{{PAGE_ORIGIN}}', origin.replace(/[<>"&]/g, ''));
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-cache' });
    res.end(req.method === 'HEAD' ? undefined : html);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}
