/**
 * `polar-kit doctor`: checks the setup the kit would start with, one line per check with what to fix.
 * Reads only: it never migrates the database, creates secrets or changes anything at Polar.
 */
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { loadMigrations } from '../server/db/migrate.js';
import { ConfigError, loadConfig } from '../server/config.js';
import type { Config } from '../server/config.js';
import { readEnvironment } from '../server/main.js';
import { parseArgs } from 'node:util';
import type { CliCommand } from './command.js';
import {
  EXIT,
  configuredWebhookSecret,
  createCliGateway,
  describeError,
  tryParseArgs,
  polarBaseUrl,
} from './context.js';

const HELP = `Usage: polar-kit doctor [options]

Checks the configuration the kit would start with, from the environment and .env, and prints one line per
check (✓ passed, ! worth a look, ✗ failed) with what to do about each failure:

  configuration     every variable parses (see .env.example)
  Polar             the API (or the local emulator) answers with POLAR_ACCESS_TOKEN
  organization      the token sees the organization
  products          the organization has products to sell
  webhook secret    POLAR_WEBHOOK_SECRET looks like a Polar secret (whsec_... with valid base64, or polar_whs_...)
  database          DATABASE_PATH is writable and migrated (or can be created)
  webhook URL       Polar has an endpoint for PUBLIC_URL/api/webhooks/polar (a warning when not)
  admin token       KIT_ADMIN_TOKEN is set, so the admin endpoints are usable

It only reads: nothing is migrated, generated or changed at Polar.

Options:
  --timeout SECS    how long to wait for Polar (default 5)
  -h, --help        show this help

Exit codes: 0 every check passed (warnings allowed), 1 a check failed, 2 bad usage.`;

type Check = { ok: boolean | 'warn'; name: string; detail: string; fix?: string };

export const command: CliCommand = {
  help: HELP,
  async run(args) {
    const parsed = tryParseArgs('doctor', () =>
      parseArgs({
        args,
        strict: true,
        allowPositionals: false,
        options: {
          timeout: { type: 'string', default: '5' },
          help: { type: 'boolean', short: 'h', default: false },
        },
      }),
    );
    if (!parsed) return EXIT.usage;
    const timeout = Number(parsed.values.timeout);
    if (!(timeout > 0 && timeout <= 120)) {
      console.error(
        `polar-kit doctor: --timeout must be a number of seconds from 0 to 120 (got "${parsed.values.timeout}").`,
      );
      return EXIT.usage;
    }

    const checks: Check[] = [];
    const print = (check: Check) => {
      checks.push(check);
      const mark = check.ok === true ? '✓' : check.ok === 'warn' ? '!' : '✗';
      console.log(`${mark} ${check.name.padEnd(15)} ${check.detail}`);
      if (check.fix) console.log(`  ${' '.repeat(15)} fix: ${check.fix}`);
    };

    const env = readEnvironment();
    const config = loadConfigOrIssues(env);
    if ('issues' in config) {
      print({
        ok: false,
        name: 'configuration',
        detail: config.issues.join('; '),
        fix: 'correct the variables named above in the environment or .env (see .env.example)',
      });
      return finish(checks);
    }
    print({
      ok: true,
      name: 'configuration',
      detail: `${config.polar.server} mode${existsSync(path.resolve('.env')) ? ', with .env' : ''}`,
    });

    for (const check of await polarChecks(config, timeout)) print(check);
    print(webhookSecretCheck(config));
    print(databaseCheck(config));
    print(adminTokenCheck(config));
    if (config.polar.server !== 'local' && !config.http.publicUrl.startsWith('https://')) {
      print({
        ok: 'warn',
        name: 'public URL',
        detail: `PUBLIC_URL is ${config.http.publicUrl}; buyers and Polar's webhooks should reach the kit over HTTPS.`,
        fix: 'serve the kit behind an HTTPS proxy and set PUBLIC_URL to its https:// address',
      });
    }
    return finish(checks);
  },
};

function finish(checks: Check[]): number {
  const failed = checks.filter((c) => c.ok === false).length;
  console.log(failed === 0 ? '\nAll checks passed.' : `\n${failed} check${failed === 1 ? '' : 's'} failed.`);
  return failed === 0 ? EXIT.ok : EXIT.failure;
}

function loadConfigOrIssues(env: Record<string, string | undefined>): Config | { issues: string[] } {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError)
      return { issues: error.issues.map((issue) => `${issue.variable} ${issue.message}`) };
    throw error;
  }
}

async function polarChecks(config: Config, timeout: number): Promise<Check[]> {
  const base = polarBaseUrl(config) ?? config.polar.server;
  const where =
    config.polar.server === 'local'
      ? `the local emulator at ${base}`
      : `Polar (${config.polar.server}) at ${base}`;
  const gateway = createCliGateway(config, timeout);
  try {
    await gateway.ping(timeout);
  } catch (error) {
    const status = statusOf(error);
    if (status === 401 || status === 403) {
      return [
        {
          ok: false,
          name: 'Polar',
          detail: `${where} refused the access token (HTTP ${status}).`,
          fix:
            config.polar.server === 'local'
              ? 'the emulator was started with --access-token: set POLAR_ACCESS_TOKEN to one of those tokens'
              : `create an organization access token in Polar's ${config.polar.server} dashboard (Settings → Developers) and set POLAR_ACCESS_TOKEN; sandbox and production tokens are not interchangeable`,
        },
      ];
    }
    return [
      {
        ok: false,
        name: 'Polar',
        detail: `${where} did not answer: ${describeError(error)}`,
        fix:
          config.polar.server === 'local'
            ? 'start the kit and its emulator with "npx polar-kit start", or set POLAR_API_URL to a running emulator'
            : 'check the network and POLAR_API_URL (unset it to use Polar itself)',
      },
    ];
  }
  const checks: Check[] = [{ ok: true, name: 'Polar', detail: `${where} answered with the access token.` }];
  try {
    const organization = await gateway.organizationId();
    checks.push({ ok: true, name: 'organization', detail: organization });
  } catch (error) {
    checks.push({
      ok: false,
      name: 'organization',
      detail: describeError(error),
      fix: 'set POLAR_ORGANIZATION_ID, or use an organization access token',
    });
  }
  try {
    const products = await gateway.listProducts();
    const selling = products.filter((p) => !p.is_archived);
    checks.push(
      selling.length > 0
        ? {
            ok: true,
            name: 'products',
            detail: `${selling.length} for sale: ${selling
              .slice(0, 5)
              .map((p) => p.name)
              .join(', ')}${selling.length > 5 ? ', …' : ''}`,
          }
        : {
            ok: false,
            name: 'products',
            detail: 'the organization has no unarchived products, so the pricing table would be empty.',
            fix: "create a product in Polar's dashboard (Products → New product)",
          },
    );
  } catch (error) {
    checks.push({
      ok: false,
      name: 'products',
      detail: `listing them failed: ${describeError(error)}`,
      fix: 'give the access token the products:read scope',
    });
  }
  checks.push(await webhookEndpointCheck(config, gateway));
  return checks;
}

/** Polar has an enabled endpoint pointing at this kit's webhook URL (a warning only: tokens may lack the scope). */
async function webhookEndpointCheck(
  config: Config,
  gateway: ReturnType<typeof createCliGateway>,
): Promise<Check> {
  const name = 'webhook URL';
  const wanted = `${config.http.publicUrl}/api/webhooks/polar`;
  let endpoints: Awaited<ReturnType<typeof gateway.listWebhookEndpoints>>;
  try {
    endpoints = await gateway.listWebhookEndpoints();
  } catch {
    return {
      ok: 'warn',
      name,
      detail: `could not list Polar's webhook endpoints (the token may lack webhooks:read); make sure one points at ${wanted}.`,
    };
  }
  const match = endpoints.find((e) => e.url.replace(/\/+$/, '') === wanted);
  if (match && match.enabled) return { ok: true, name, detail: `Polar delivers to ${wanted}.` };
  if (config.polar.server === 'local')
    return {
      ok: 'warn',
      name,
      detail: `no endpoint for ${wanted} yet; "polar-kit start" registers it in local mode.`,
    };
  return {
    ok: 'warn',
    name,
    detail: match
      ? `Polar's endpoint for ${wanted} is disabled.`
      : `no Polar webhook endpoint points at ${wanted} (${endpoints.length} other${endpoints.length === 1 ? '' : 's'}).`,
    fix: `in Polar (Settings → Webhooks) add or enable an endpoint for ${wanted}, and check PUBLIC_URL`,
  };
}

/** Polar's secrets: `whsec_` + base64 (standard scheme) or `polar_whs_` + text (legacy scheme). */
function webhookSecretCheck(config: Config): Check {
  const name = 'webhook secret';
  const found = configuredWebhookSecret(config);
  if (!found) {
    return config.polar.server === 'local'
      ? { ok: 'warn', name, detail: 'none yet; "polar-kit start" generates one in local mode.' }
      : {
          ok: false,
          name,
          detail: 'POLAR_WEBHOOK_SECRET is not set.',
          fix: 'copy the secret of the webhook endpoint that points at /api/webhooks/polar',
        };
  }
  const { secret, source } = found;
  const fix = `copy the secret again from the webhook endpoint in Polar (Settings → Webhooks) into ${
    source === 'POLAR_WEBHOOK_SECRET' ? 'POLAR_WEBHOOK_SECRET' : source
  }, whole and without quotes or spaces`;
  if (secret.startsWith('whsec_')) {
    const body = secret.slice('whsec_'.length);
    const bytes =
      /^[A-Za-z0-9+/]+={0,2}$/.test(body) && body.length % 4 === 0 ? Buffer.from(body, 'base64') : null;
    if (!bytes || bytes.length < 16) {
      return {
        ok: false,
        name,
        detail: `the part after whsec_ in ${source} is not valid base64 of a key (${bytes ? `${bytes.length} bytes` : 'not base64'}), so no signature would verify.`,
        fix,
      };
    }
    return { ok: true, name, detail: `whsec_… (standard scheme, ${bytes.length}-byte key) from ${source}.` };
  }
  if (secret.startsWith('polar_whs_') && secret.length > 'polar_whs_'.length + 8 && !/\s/.test(secret))
    return { ok: true, name, detail: `polar_whs_… (legacy scheme) from ${source}.` };
  return {
    ok: false,
    name,
    detail: `${source} does not look like a Polar webhook secret (expected whsec_… or polar_whs_…).`,
    fix,
  };
}

function databaseCheck(config: Config): Check {
  const name = 'database';
  const file = path.resolve(config.db.path);
  if (config.db.path === ':memory:')
    return { ok: 'warn', name, detail: ':memory: keeps nothing across restarts.' };
  const latest = loadMigrations().at(-1)?.version ?? 0;
  if (!existsSync(file)) {
    const parent = nearestExisting(path.dirname(file));
    if (!statSync(parent).isDirectory()) {
      return {
        ok: false,
        name,
        detail: `${parent} is a file, not a folder, so ${file} cannot be created.`,
        fix: 'set DATABASE_PATH to a file in a writable folder',
      };
    }
    try {
      accessSync(parent, constants.W_OK);
      return {
        ok: true,
        name,
        detail: `${file} does not exist yet; the kit creates and migrates it at start.`,
      };
    } catch {
      return {
        ok: false,
        name,
        detail: `${parent} is not writable, so ${file} cannot be created.`,
        fix: "set DATABASE_PATH to a writable place, or fix the folder's owner",
      };
    }
  }
  let db: Database.Database | null = null;
  try {
    db = new Database(file, { fileMustExist: true });
    db.pragma('busy_timeout = 3000');
    const version = db.pragma('user_version', { simple: true }) as number;
    // Take the write lock and write the header without changing it: proves the file (and its folder, for
    // the WAL) is writable without leaving a trace.
    db.exec('BEGIN IMMEDIATE');
    db.pragma(`user_version = ${version}`);
    db.exec('ROLLBACK');
    if (version > latest)
      return {
        ok: false,
        name,
        detail: `${file} is at schema version ${version}, newer than this kit knows (${latest}).`,
        fix: 'upgrade the kit, or restore a backup made by this version',
      };
    if (version < latest)
      return {
        ok: 'warn',
        name,
        detail: `${file} is writable, at schema version ${version} of ${latest}; the kit migrates it at start.`,
      };
    return { ok: true, name, detail: `${file} is writable and migrated (schema version ${version}).` };
  } catch (error) {
    return {
      ok: false,
      name,
      detail: `${file}: ${(error as Error).message}`,
      fix: 'make the file and its folder writable by the user running the kit (the WAL files live beside it)',
    };
  } finally {
    db?.close();
  }
}

function adminTokenCheck(config: Config): Check {
  if (config.admin.token) return { ok: true, name: 'admin token', detail: 'KIT_ADMIN_TOKEN is set.' };
  return config.polar.server === 'local'
    ? { ok: 'warn', name: 'admin token', detail: 'not set; "polar-kit start" generates one in local mode.' }
    : {
        ok: 'warn',
        name: 'admin token',
        detail: 'KIT_ADMIN_TOKEN is not set, so the admin endpoints answer 401.',
        fix: 'set KIT_ADMIN_TOKEN to a long random string, e.g. from "openssl rand -base64 24"',
      };
}

function nearestExisting(dir: string): string {
  let current = dir;
  while (!existsSync(current) && path.dirname(current) !== current) current = path.dirname(current);
  return current;
}

function statusOf(error: unknown): number | null {
  let current: unknown = error;
  for (let depth = 0; depth < 4 && typeof current === 'object' && current !== null; depth++) {
    const status = (current as { statusCode?: unknown }).statusCode;
    if (typeof status === 'number') return status;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}
