import { isIP } from 'node:net';
import { z } from 'zod';

/** Where the kit's Polar calls go: the local emulator, Polar's sandbox, or Polar itself. */
export type PolarServer = 'local' | 'sandbox' | 'production';

/**
 * Which proxies in front of the kit to believe about the client's address (`X-Forwarded-For`), in the forms
 * Express's `trust proxy` setting takes: `false` (none: the socket address is the client), `true` (any: the
 * left-most address, which clients can forge), a hop count, or addresses, subnets and the names `loopback`,
 * `linklocal`, `uniquelocal`.
 */
export type TrustProxy = boolean | number | readonly string[];

/** The `LOG_LEVEL` values pino understands. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/**
 * The kit's whole configuration, grouped by concern. Built once by `loadConfig` from an env object;
 * everything else receives it (or a slice of it) as a parameter.
 */
export type Config = {
  readonly http: {
    /** @default 8000 */
    readonly port: number;
    /** @default '127.0.0.1' */
    readonly host: string;
    /** The kit's public base URL, without a trailing slash. @default 'http://localhost:PORT' */
    readonly publicUrl: string;
    /**
     * Origins allowed for CORS, success URLs and embed origins (the public URL's origin is always allowed).
     * `'loopback'` allows any `http(s)://localhost|127.0.0.1|[::1]` origin on any port.
     * @default 'loopback' in local mode, [] otherwise
     */
    readonly allowedOrigins: readonly string[] | 'loopback';
    /** Where Polar sends the buyer after paying; `{CHECKOUT_ID}` is replaced by the checkout id. */
    readonly successUrl: string;
  };
  readonly db: {
    /** @default './data/kit.sqlite' */
    readonly path: string;
    /**
     * `DATABASE_SYNCHRONOUS`: `full` fsyncs the log on every commit, so an acknowledged webhook survives a power
     * cut; `normal` survives a process crash only, and is faster on slow disks.
     * @default 'full'
     */
    readonly synchronous: 'full' | 'normal';
  };
  readonly polar: {
    /** @default 'local' when `POLAR_ACCESS_TOKEN` is unset, else 'sandbox' */
    readonly server: PolarServer;
    /** `null` in local mode without a token (the emulator accepts any token). */
    readonly accessToken: string | null;
    /** Overrides the base URL the server implies. No trailing slash. */
    readonly apiUrl: string | null;
    /** `null` in local mode until the start command generates one. */
    readonly webhookSecret: string | null;
    readonly organizationId: string | null;
    /** The port of the emulator that `polar-kit start` runs in local mode. @default 8001 */
    readonly emulatorPort: number;
  };
  readonly proxy: {
    /** `TRUST_PROXY`: what the per-IP rate limits take as the client's address. @default false */
    readonly trust: TrustProxy;
  };
  readonly reconcile: {
    /** `KIT_RECONCILE_INTERVAL` in milliseconds: how often to reconcile with Polar; `null` = never. @default null */
    readonly intervalMs: number | null;
  };
  readonly admin: {
    /** Bearer token of the admin endpoints; `null` disables them (every call answers 401). */
    readonly token: string | null;
  };
  readonly log: {
    /** @default 'info' */
    readonly level: LogLevel;
  };
};

/** Every variable `loadConfig` reads, in the order `.env.example` lists them. */
export const ENV_VARS = [
  'PORT',
  'HOST',
  'PUBLIC_URL',
  'DATABASE_PATH',
  'DATABASE_URL',
  'DATABASE_SYNCHRONOUS',
  'POLAR_ACCESS_TOKEN',
  'POLAR_SERVER',
  'POLAR_API_URL',
  'POLAR_WEBHOOK_SECRET',
  'POLAR_ORGANIZATION_ID',
  'POLAR_EMULATOR_PORT',
  'KIT_ADMIN_TOKEN',
  'KIT_ALLOWED_ORIGINS',
  'KIT_SUCCESS_URL',
  'KIT_RECONCILE_INTERVAL',
  'TRUST_PROXY',
  'LOG_LEVEL',
] as const;

/** One bad variable: its name and what to do about it (never its value when it is a secret). */
export type ConfigIssue = { variable: string; message: string };

/** Start-up failed because of the environment; `issues` lists every bad variable at once. */
export class ConfigError extends Error {
  readonly issues: readonly ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      `Invalid configuration (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n` +
        issues.map((issue) => `  - ${issue.variable}: ${issue.message}`).join('\n'),
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
const SERVERS = ['local', 'sandbox', 'production'] as const;
const SECRET_VARS = new Set([
  'POLAR_ACCESS_TOKEN',
  'POLAR_WEBHOOK_SECRET',
  'KIT_ADMIN_TOKEN',
  'DATABASE_URL',
]);
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

const PORT_MESSAGE = 'must be a whole number from 0 to 65535 (0 picks any free port)';
const port = z
  .string()
  .regex(/^\d{1,5}$/, PORT_MESSAGE)
  .transform(Number)
  .refine((value) => value <= 65535, PORT_MESSAGE);

const httpUrl = z.string().refine(isHttpUrl, 'must be an absolute http:// or https:// URL');

const secret = (hint: string) =>
  z
    .string()
    .refine(
      (value) => value.trim() === value && value.length > 0,
      `must be non-empty, without surrounding spaces (${hint})`,
    );

const oneOf = <T extends readonly [string, ...string[]]>(values: T) =>
  z.string().transform((value, ctx) => {
    const lower = value.trim().toLowerCase();
    if ((values as readonly string[]).includes(lower)) return lower as T[number];
    const hint = didYouMean(lower, values);
    ctx.addIssue({
      code: 'custom',
      message: `must be one of ${values.join(', ')}${hint ? ` (did you mean "${hint}"?)` : ''}`,
    });
    return z.NEVER;
  });

const originList = z.string().transform((value, ctx) => {
  const origins: string[] = [];
  for (const entry of value
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)) {
    const origin = parseOrigin(entry);
    if (origin === null) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an origin; write scheme://host[:port] with nothing after it, e.g. https://shop.example.com`,
      });
      continue;
    }
    origins.push(origin);
  }
  return origins;
});

const PROXY_NAMES = new Set(['loopback', 'linklocal', 'uniquelocal']);
const trustProxy = z.string().transform((value, ctx): TrustProxy => {
  const trimmed = value.trim();
  const lower = trimmed.toLowerCase();
  if (lower === 'true') return true;
  if (lower === 'false') return false;
  if (/^\d+$/.test(trimmed)) return Number(trimmed) === 0 ? false : Number(trimmed);
  const entries = trimmed
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
  for (const entry of entries) {
    if (!isTrustedAddress(entry)) {
      ctx.addIssue({
        code: 'custom',
        message: `"${entry}" is not an IP address, a subnet (10.0.0.0/8, fd00::/8) or one of loopback, linklocal, uniquelocal; write true, a hop count (1 for one proxy) or a comma-separated list of those`,
      });
    }
  }
  if (entries.length === 0) {
    ctx.addIssue({
      code: 'custom',
      message: 'write true, a hop count or a comma-separated list of addresses',
    });
  }
  return entries.map((entry) => (PROXY_NAMES.has(entry.toLowerCase()) ? entry.toLowerCase() : entry));
});

/** setInterval's longest delay is 2^31 - 1 ms; a longer one would fire at once, over and over. */
const MAX_INTERVAL_SECONDS = Math.floor(2 ** 31 / 1000) - 1;
const INTERVAL_MESSAGE = `must be a whole number of seconds from 1 to ${MAX_INTERVAL_SECONDS}, or 0 to turn it off`;
const intervalSeconds = z
  .string()
  .regex(/^\s*\d+\s*$/, INTERVAL_MESSAGE)
  .transform((value) => Number(value.trim()))
  .refine((value) => value <= MAX_INTERVAL_SECONDS, INTERVAL_MESSAGE);

const EnvSchema = z.object({
  PORT: port.optional(),
  HOST: z.string().min(1, 'must be a host name or IP address').optional(),
  PUBLIC_URL: httpUrl.optional(),
  DATABASE_PATH: z.string().min(1, 'must be a file path').optional(),
  DATABASE_URL: z
    .string()
    .refine(() => false, 'PostgreSQL is not supported yet; unset DATABASE_URL and use DATABASE_PATH')
    .optional(),
  DATABASE_SYNCHRONOUS: oneOf(['full', 'normal'] as const).optional(),
  POLAR_ACCESS_TOKEN: secret('an organization access token from your Polar settings').optional(),
  POLAR_SERVER: oneOf(SERVERS).optional(),
  POLAR_API_URL: httpUrl.optional(),
  POLAR_WEBHOOK_SECRET: secret('the secret shown when you created the webhook endpoint in Polar').optional(),
  POLAR_ORGANIZATION_ID: z.string().min(1).optional(),
  POLAR_EMULATOR_PORT: port.optional(),
  KIT_ADMIN_TOKEN: secret('any long random string')
    .refine((value) => value.length >= 16, 'must be at least 16 characters long')
    .optional(),
  KIT_ALLOWED_ORIGINS: originList.optional(),
  KIT_SUCCESS_URL: httpUrl.optional(),
  KIT_RECONCILE_INTERVAL: intervalSeconds.optional(),
  TRUST_PROXY: trustProxy.optional(),
  LOG_LEVEL: oneOf(LOG_LEVELS).optional(),
});

/**
 * Parses the kit's configuration from an env object. Empty strings count as unset. Every problem is
 * collected and thrown at once as one `ConfigError`; secret values are never part of a message.
 * @throws {ConfigError} when any variable is invalid.
 */
export function loadConfig(env: Record<string, string | undefined>): Config {
  const present: Record<string, string> = {};
  for (const name of ENV_VARS) {
    const value = env[name];
    if (value !== undefined && value !== '') present[name] = value;
  }
  // Each variable on its own, so a bad one never hides the checks that depend on a good one.
  const issues: ConfigIssue[] = [];
  const parsed: Record<string, unknown> = {};
  for (const [variable, schema] of Object.entries(EnvSchema.shape)) {
    const result = (schema as z.ZodType).safeParse(present[variable]);
    if (result.success) {
      parsed[variable] = result.data;
      continue;
    }
    for (const issue of result.error.issues) {
      issues.push({
        variable,
        message: SECRET_VARS.has(variable) ? stripValue(issue.message) : issue.message,
      });
    }
  }
  const e = parsed as z.infer<typeof EnvSchema>;

  const server: PolarServer =
    e.POLAR_SERVER ?? (present.POLAR_ACCESS_TOKEN === undefined ? 'local' : 'sandbox');
  if (server !== 'local') {
    if (present.POLAR_ACCESS_TOKEN === undefined) {
      issues.push({
        variable: 'POLAR_ACCESS_TOKEN',
        message: `is required when POLAR_SERVER=${server}; create an organization access token in Polar's settings`,
      });
    }
    if (present.POLAR_WEBHOOK_SECRET === undefined) {
      issues.push({
        variable: 'POLAR_WEBHOOK_SECRET',
        message: `is required when POLAR_SERVER=${server}; copy it from the webhook endpoint you created in Polar`,
      });
    }
  }
  if (issues.length > 0) throw new ConfigError(dedupe(issues));

  const portNumber = e.PORT ?? 8000;
  const publicUrl = stripTrailingSlash(e.PUBLIC_URL ?? `http://localhost:${portNumber}`);
  return {
    http: {
      port: portNumber,
      host: e.HOST ?? '127.0.0.1',
      publicUrl,
      allowedOrigins: e.KIT_ALLOWED_ORIGINS ?? (server === 'local' ? 'loopback' : []),
      successUrl: e.KIT_SUCCESS_URL ?? `${publicUrl}/success.html?checkout_id={CHECKOUT_ID}`,
    },
    db: { path: e.DATABASE_PATH ?? './data/kit.sqlite', synchronous: e.DATABASE_SYNCHRONOUS ?? 'full' },
    polar: {
      server,
      accessToken: e.POLAR_ACCESS_TOKEN ?? null,
      apiUrl: e.POLAR_API_URL === undefined ? null : stripTrailingSlash(e.POLAR_API_URL),
      webhookSecret: e.POLAR_WEBHOOK_SECRET ?? null,
      organizationId: e.POLAR_ORGANIZATION_ID ?? null,
      emulatorPort: e.POLAR_EMULATOR_PORT ?? 8001,
    },
    proxy: { trust: e.TRUST_PROXY ?? false },
    reconcile: {
      intervalMs: e.KIT_RECONCILE_INTERVAL ? e.KIT_RECONCILE_INTERVAL * 1000 : null,
    },
    admin: { token: e.KIT_ADMIN_TOKEN ?? null },
    log: { level: e.LOG_LEVEL ?? 'info' },
  };
}

/** The origin (`scheme://host[:port]`) of an http(s) origin string, or `null` if it is anything else. */
export function parseOrigin(value: string): string | null {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  if (url.username || url.password || !/^https?:\/\/[^/?#@]+\/?$/i.test(value)) return null;
  return url.origin;
}

/** True for an `http(s)://` origin on localhost, 127.0.0.1 or [::1]. */
export function isLoopbackOrigin(origin: string): boolean {
  try {
    const url = new URL(origin);
    return (url.protocol === 'http:' || url.protocol === 'https:') && LOOPBACK_HOSTS.has(url.hostname);
  } catch {
    return false;
  }
}

/**
 * An entry Express's `trust proxy` accepts: a preset name, an IP address, `address/prefix`, or an IPv4
 * `address/netmask` (with contiguous mask bits).
 */
function isTrustedAddress(entry: string): boolean {
  if (PROXY_NAMES.has(entry.toLowerCase())) return true;
  const slash = entry.indexOf('/');
  if (slash === -1) return isIP(entry) !== 0;
  const address = entry.slice(0, slash);
  const range = entry.slice(slash + 1);
  const family = isIP(address);
  if (family === 0) return false;
  if (/^\d{1,3}$/.test(range)) return Number(range) <= (family === 4 ? 32 : 128);
  if (family !== 4 || isIP(range) !== 4) return false;
  const mask = range.split('.').reduce((bits, octet) => bits * 256 + Number(octet), 0);
  const inverted = 2 ** 32 - 1 - mask;
  return (inverted & (inverted + 1)) === 0;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

function stripTrailingSlash(value: string): string {
  return value.replace(/\/+$/, '');
}

function stripValue(message: string): string {
  // zod messages here are our own fixed strings; this guards against a future default message quoting input.
  return message.replace(/"[^"]*"/g, '"…"');
}

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((issue) => {
    const key = `${issue.variable}\0${issue.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function didYouMean(value: string, options: readonly string[]): string | null {
  let best: string | null = null;
  let bestDistance = 3;
  for (const option of options) {
    const distance = levenshtein(value, option);
    if (distance < bestDistance) {
      best = option;
      bestDistance = distance;
    }
  }
  return best;
}

function levenshtein(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}
