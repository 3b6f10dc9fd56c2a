import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { EmulatorOptions } from '../../emulator/app.js';
import { createKitListener } from '../../server/http/app.js';
import { createKit } from '../../server/index.js';
import type { Kit, KitOptions } from '../../server/index.js';
import { createSilentLogger } from '../../server/logger.js';
import { startEmulator } from './emulator.js';

export const TEST_ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';
/** Standard-scheme secret (`whsec_` + base64 of 32 bytes), as the emulator and new Polar endpoints use. */
export const TEST_WEBHOOK_SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw3Ov9Qwz1Z7U=';

export type TestKitOptions = {
  kit?: Partial<KitOptions>;
  emulator?: EmulatorOptions;
  /** Register the kit's webhook URL at the emulator. @default true */
  registerWebhook?: boolean;
};

export type TestKit = {
  /** The kit's base URL, e.g. `http://127.0.0.1:41234`. */
  url: string;
  kit: Kit;
  emulator: Awaited<ReturnType<typeof startEmulator>>;
  dbPath: string;
  adminToken: string;
  webhookSecret: string;
  /** `fetch` against the kit. */
  fetch(pathname: string, init?: RequestInit): Promise<Response>;
  /** `fetch` against the kit with the admin bearer token. */
  admin(pathname: string, init?: RequestInit): Promise<Response>;
  /** `POST` JSON to the emulator's control API (`/_emulator/...`), failing on a non-2xx answer. */
  control<T = unknown>(pathname: string, body?: unknown): Promise<T>;
  close(): Promise<void>;
};

/**
 * Starts the emulator and the standalone kit on ephemeral loopback ports with a temp SQLite file, and points
 * the emulator's webhooks at the kit (retries scaled to milliseconds).
 */
export async function startTestKit(options: TestKitOptions = {}): Promise<TestKit> {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-test-'));
  const dbPath = path.join(dir, 'kit.sqlite');
  const emulator = await startEmulator({ timeScale: 0.001, ...options.emulator });
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const logger = createSilentLogger();
  const kit = createKit({
    accessToken: 'polar_oat_test_token',
    webhookSecret: TEST_WEBHOOK_SECRET,
    server: 'local',
    apiUrl: emulator.url,
    databasePath: dbPath,
    publicUrl: url,
    adminToken: TEST_ADMIN_TOKEN,
    logger,
    polarTimeoutSeconds: 3,
    checkoutLimitPerMinute: 10_000,
    ...options.kit,
  });
  // As `polar-kit start` serves it: webhook deliveries go straight to the kit's handler.
  server.on('request', createKitListener({ api: kit.router, webhooks: kit.webhookHandler, logger }));
  if (options.registerWebhook !== false) {
    emulator.webhooks.createEndpoint({ url: `${url}/api/webhooks/polar`, secret: TEST_WEBHOOK_SECRET });
  }

  const emulatorUrl = emulator.url.replace(/\/+$/, '');
  return {
    url,
    kit,
    emulator,
    dbPath,
    adminToken: TEST_ADMIN_TOKEN,
    webhookSecret: TEST_WEBHOOK_SECRET,
    fetch: (pathname, init) => fetch(`${url}${pathname}`, init),
    admin: (pathname, init = {}) =>
      fetch(`${url}${pathname}`, {
        ...init,
        headers: {
          ...(init.headers as Record<string, string> | undefined),
          authorization: `Bearer ${TEST_ADMIN_TOKEN}`,
        },
      }),
    async control<T>(pathname: string, body?: unknown): Promise<T> {
      const response = await fetch(`${emulatorUrl}${pathname}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body ?? {}),
      });
      const text = await response.text();
      if (!response.ok) throw new Error(`emulator ${pathname} answered ${response.status}: ${text}`);
      return (text ? JSON.parse(text) : undefined) as T;
    },
    async close() {
      // A test may already have stopped the emulator to play an outage.
      await emulator.close().catch(() => undefined);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await kit.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Polls `probe` until it returns something other than `undefined`/`null`/`false`, then returns it.
 * Throws with `what` after `timeoutMs`.
 */
export async function waitFor<T>(
  probe: () => T | Promise<T>,
  what: string,
  { timeoutMs = 5_000, intervalMs = 20 }: { timeoutMs?: number; intervalMs?: number } = {},
): Promise<Exclude<T, undefined | null | false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined && value !== null && value !== false)
        return value as Exclude<T, undefined | null | false>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
