import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { HealthResponse, Product } from '../../contract/contract.js';
import { createApp } from '../../server/http/app.js';
import { createKit } from '../../server/index.js';
import { createSilentLogger } from '../../server/logger.js';
import { startTestKit } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  while (open.length > 0) await open.pop()!.close();
});

async function kit(options: Parameters<typeof startTestKit>[0] = {}): Promise<TestKit> {
  const t = await startTestKit(options);
  open.push(t);
  return t;
}

describe('GET /api/health', () => {
  it('answers ok with the database and Polar reachable', async () => {
    const t = await kit();
    const response = await t.fetch('/api/health');
    expect(response.status).toBe(200);
    const body = (await response.json()) as HealthResponse;
    expect(body).toEqual({
      status: 'ok',
      polar: 'ok',
      database: 'ok',
      version: expect.stringMatching(/^\d+\.\d+\.\d+/),
      mode: 'local',
    });
  });

  it('is degraded, not failed, when Polar is unreachable', async () => {
    const t = await kit();
    await t.emulator.close();
    const response = await t.fetch('/api/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ status: 'degraded', polar: 'unreachable', database: 'ok' });
  });
  it('answers 503 with database "error" once the database is gone', async () => {
    const t = await kit();
    await t.kit.close();
    const response = await t.fetch('/api/health');
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({ status: 'degraded', database: 'error' });
  });
});

describe('GET /api/products', () => {
  it('serves the catalogue with an ETag and answers 304 to a matching If-None-Match', async () => {
    const t = await kit();
    const first = await t.fetch('/api/products');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/^application\/json/);
    const etag = first.headers.get('etag');
    expect(etag).toMatch(/^"[\w-]+"$/);
    const products = (await first.json()) as Product[];
    expect(products.length).toBeGreaterThan(0);
    expect(products[0]).toEqual(
      expect.objectContaining({
        id: expect.any(String),
        name: expect.any(String),
        prices: expect.any(Array),
        benefits: expect.any(Array),
      }),
    );
    const again = await t.fetch('/api/products', { headers: { 'if-none-match': etag! } });
    expect(again.status).toBe(304);
    const other = await t.fetch('/api/products', { headers: { 'if-none-match': '"something-else"' } });
    expect(other.status).toBe(200);
  });

  it('keeps serving the cached catalogue when Polar goes away', async () => {
    const t = await kit({ kit: { productsTtlMs: 0 } });
    const before = await (await t.fetch('/api/products')).json();
    await t.emulator.close();
    const after = await t.fetch('/api/products');
    expect(after.status).toBe(200);
    expect(await after.json()).toEqual(before);
  });

  it('answers 502 POLAR_UNAVAILABLE when there is no cache and Polar is down', async () => {
    const t = await kit();
    await t.emulator.close();
    const response = await t.fetch('/api/products');
    expect(response.status).toBe(502);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(await response.json()).toMatchObject({ code: 'POLAR_UNAVAILABLE', status: 502 });
  });
});

describe('CORS', () => {
  it('grants a loopback page in local mode', async () => {
    const t = await kit();
    const response = await t.fetch('/api/products', { headers: { origin: 'http://localhost:5173' } });
    expect(response.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
  });

  it('gives a foreign origin no grant, on simple requests and on preflights', async () => {
    const t = await kit();
    const simple = await t.fetch('/api/products', { headers: { origin: 'https://evil.example' } });
    expect(simple.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await t.fetch('/api/checkout', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://evil.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('grants exactly the configured origins when KIT_ALLOWED_ORIGINS is set', async () => {
    const t = await kit({ kit: { allowedOrigins: ['https://shop.example.com'] } });
    const ok = await t.fetch('/api/checkout', {
      method: 'OPTIONS',
      headers: {
        origin: 'https://shop.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type,idempotency-key',
      },
    });
    expect(ok.status).toBe(204);
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://shop.example.com');
    expect(ok.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    const loopback = await t.fetch('/api/products', { headers: { origin: 'http://localhost:5173' } });
    expect(loopback.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('admin endpoints', () => {
  const paths = ['/api/orders/jane%40example.com', '/api/customers/user_1/access'];

  it.each(paths)(
    '%s answers 401 without a token, with a wrong one, and with another scheme',
    async (pathname) => {
      const t = await kit();
      for (const authorization of [
        undefined,
        'Bearer wrong-token-wrong-token',
        `Basic ${t.adminToken}`,
        `Bearer ${t.adminToken}x`,
        'Bearer ',
      ]) {
        const response = await t.fetch(
          pathname,
          authorization === undefined ? {} : { headers: { authorization } },
        );
        expect(response.status, String(authorization)).toBe(401);
        expect(response.headers.get('www-authenticate')).toMatch(/^Bearer/);
        expect(await response.json()).toMatchObject({ code: 'UNAUTHORIZED' });
      }
    },
  );

  it('answers with the token: no orders yet, unknown customer', async () => {
    const t = await kit();
    const orders = await t.admin('/api/orders/jane%40example.com');
    expect(orders.status).toBe(200);
    expect(await orders.json()).toEqual([]);
    const access = await t.admin('/api/customers/user_1/access');
    expect(access.status).toBe(404);
    expect(await access.json()).toMatchObject({ code: 'CUSTOMER_NOT_FOUND' });
  });

  it('are locked when no admin token is configured', async () => {
    const t = await kit({ kit: { adminToken: null } });
    const response = await t.fetch('/api/orders/jane%40example.com', {
      headers: { authorization: 'Bearer null' },
    });
    expect(response.status).toBe(401);
  });
});

describe('problem responses', () => {
  it('unknown /api routes are 404 ROUTE_NOT_FOUND problems with the request id', async () => {
    const t = await kit();
    const response = await t.fetch('/api/nope', { headers: { 'x-request-id': 'req-123' } });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(response.headers.get('x-request-id')).toBe('req-123');
    expect(await response.json()).toMatchObject({
      code: 'ROUTE_NOT_FOUND',
      status: 404,
      requestId: 'req-123',
      instance: '/api/nope',
    });
  });

  it('a request without an id gets a fresh one', async () => {
    const t = await kit();
    const response = await t.fetch('/api/health', { headers: { 'x-request-id': 'bad id with spaces' } });
    expect(response.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('the standalone app sets helmet headers', async () => {
    const t = await kit();
    const response = await t.fetch('/api/health');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain("frame-src 'self'");
    expect(response.headers.get('x-powered-by')).toBeNull();
  });
});

describe('mounting the router in a host app', () => {
  it("works under /api of any Express app, with the host app's identify hook", async () => {
    const { default: express } = await import('express');
    const t = await kit();
    const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-mount-'));
    const hosted = createKit({
      accessToken: 'polar_oat_test',
      webhookSecret: t.webhookSecret,
      server: 'local',
      apiUrl: t.emulator.url,
      databasePath: path.join(dir, 'kit.sqlite'),
      identify: (req) => req.get('x-user') ?? null,
    });
    const app = express();
    app.get('/', (_req, res) => void res.send('host home'));
    app.use('/api', hosted.router);
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({
      async close() {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
        await hosted.close();
        rmSync(dir, { recursive: true, force: true });
      },
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect(await (await fetch(`${base}/`)).text()).toBe('host home');
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    const created = await fetch(`${base}/api/checkout`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'host_user_42' },
      body: JSON.stringify({ product_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02' }),
    });
    expect(created.status).toBe(201);
    const { checkout_id } = (await created.json()) as { checkout_id: string };
    const atPolar = await fetch(`${t.emulator.url.replace(/\/+$/, '')}/v1/checkouts/${checkout_id}`, {
      headers: { authorization: 'Bearer polar_oat_test' },
    });
    expect(((await atPolar.json()) as { external_customer_id: string }).external_customer_id).toBe(
      'host_user_42',
    );
    const missing = await fetch(`${base}/api/missing`);
    expect(missing.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  it('refuses bad options at creation, naming the setting', () => {
    expect(() => createKit({ accessToken: '', webhookSecret: '' })).toThrow(/accessToken.*webhookSecret/s);
    expect(() =>
      createKit({ accessToken: 'x', webhookSecret: 'y', onOrderpaid: () => undefined } as never),
    ).toThrow(/did you mean onOrderPaid/);
  });
});

describe('widget and demo files', () => {
  it('serves dist/widget to any origin, hashed files immutable, the entry scripts briefly cached', async () => {
    const dist = mkdtempSync(path.join(tmpdir(), 'polar-kit-dist-'));
    mkdirSync(path.join(dist, 'widget'));
    writeFileSync(path.join(dist, 'widget', 'polar-checkout.js'), 'console.log(1)');
    writeFileSync(path.join(dist, 'widget', 'chunk-3fa9c1d2e4.js'), 'console.log(2)');
    mkdirSync(path.join(dist, 'demo'));
    writeFileSync(path.join(dist, 'demo', 'index.html'), '<!doctype html><title>demo</title>');
    const t = await kit();
    const server = createServer(
      createApp({ api: t.kit.router, logger: createSilentLogger(), distDir: dist }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    open.push({
      async close() {
        await new Promise<void>((resolve) => server.close(() => resolve()));
        rmSync(dist, { recursive: true, force: true });
      },
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const entry = await fetch(`${base}/widget/polar-checkout.js`, {
      headers: { origin: 'https://anywhere.example' },
    });
    expect(entry.status).toBe(200);
    expect(entry.headers.get('access-control-allow-origin')).toBe('*');
    expect(entry.headers.get('cross-origin-resource-policy')).toBe('cross-origin');
    expect(entry.headers.get('cache-control')).toBe('public, max-age=300');
    const chunk = await fetch(`${base}/widget/chunk-3fa9c1d2e4.js`);
    expect(chunk.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    const home = await fetch(`${base}/`);
    expect(await home.text()).toContain('<title>demo</title>');
    const missing = await fetch(`${base}/widget/nope.js`);
    expect(missing.status).toBe(404);
  });

  it('starts without any dist folder', async () => {
    const t = await kit();
    const app = createApp({
      api: t.kit.router,
      logger: createSilentLogger(),
      distDir: path.join(tmpdir(), 'does-not-exist-polar-kit'),
    });
    const server = createServer(app);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    expect((await fetch(`${base}/api/health`)).status).toBe(200);
    expect((await fetch(`${base}/widget/polar-checkout.js`)).status).toBe(404);
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
});

describe('rate limiting', () => {
  it('answers 429 RATE_LIMITED with Retry-After once a client creates too many checkouts', async () => {
    const t = await kit({ kit: { checkoutLimitPerMinute: 3 } });
    const statuses: number[] = [];
    let last: Response | null = null;
    for (let i = 0; i < 5; i++) {
      last = await t.fetch('/api/checkout', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ product_id: '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02' }),
      });
      statuses.push(last.status);
    }
    expect(statuses).toEqual([201, 201, 201, 429, 429]);
    expect(last!.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await last!.json()).toMatchObject({ code: 'RATE_LIMITED' });
    // Reading stays open.
    expect((await t.fetch('/api/products')).status).toBe(200);
  });
});

describe('logs', () => {
  it('redact secrets wherever they appear', async () => {
    const { createLogger } = await import('../../server/logger.js');
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void lines.push(line) },
    });
    logger.info(
      {
        config: {
          polar: { accessToken: 'polar_oat_SECRET1', webhookSecret: 'whsec_SECRET2' },
          adminToken: 'SECRET3',
        },
        req: {
          headers: {
            authorization: 'Bearer SECRET4',
            cookie: 'sid=SECRET5',
            'webhook-signature': 'v1,SECRET6',
          },
        },
        checkout: { client_secret: 'polar_c_SECRET7' },
        token: 'SECRET8',
      },
      'hello',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('hello');
    expect(lines[0]).not.toMatch(/SECRET\d/);
    expect(lines[0]).toContain('[redacted]');
  });

  it('are written to stdout as they are logged, so the lines before a kill -9 are not lost', async () => {
    const logger = fileURLToPath(new URL('../../server/logger.ts', import.meta.url));
    const script = [
      `const { createLogger } = await import(${JSON.stringify(logger)});`,
      `const logger = createLogger({ level: 'info' });`,
      `for (let n = 1; n <= 100; n++) logger.error({ n }, 'a line');`,
      `process.kill(process.pid, 'SIGKILL');`,
    ].join('\n');
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    const signal = await new Promise((resolve) => child.once('close', (_code, signal) => resolve(signal)));
    expect(signal).toBe('SIGKILL');
    const lines = out
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { n: number; msg: string });
    expect(lines.map((line) => line.n)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
  });
});

describe('request log', () => {
  it('logs one line per request without emails, customer keys or query strings', async () => {
    const { createLogger } = await import('../../server/logger.js');
    const lines: string[] = [];
    const logger = createLogger({
      level: 'info',
      destination: { write: (line: string) => void lines.push(line) },
    });
    const t = await kit();
    const server = createServer(createApp({ api: t.kit.router, logger }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    await fetch(`${base}/api/orders/jane.doe%40example.com?x=secret`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    await fetch(`${base}/api/customers/user_123/access`, {
      headers: { authorization: `Bearer ${t.adminToken}` },
    });
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const entries = lines.map(
      (line) => JSON.parse(line) as { msg: string; path: string; status: number; requestId: string },
    );
    expect(entries.filter((e) => e.msg === 'request').map((e) => [e.path, e.status])).toEqual([
      ['/api/orders/:email', 200],
      ['/api/customers/:key/access', 404],
    ]);
    const text = lines.join('\n');
    expect(text).not.toMatch(/jane|user_123|secret|test-admin-token/);
  });
});
