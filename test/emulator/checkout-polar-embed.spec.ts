/**
 * The published `@polar-sh/checkout` embed driving the emulator's hosted page. The embed only accepts messages
 * from `https://sandbox.polar.sh`, so the emulator runs with that public URL, is served over HTTPS (a throwaway
 * self-signed certificate), and the test browser resolves `sandbox.polar.sh` to it (polar-reference.md 7.6,
 * option 1, Chromium's host resolver rules): the page's real origin is then Polar's, nothing in the embed or the
 * page is patched, and the page's event stream is a real streamed response (Playwright's `route.fulfill` can
 * only answer with a complete body, so a stream cannot go through it).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test as base, type Browser } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

const POLAR_SANDBOX = 'https://sandbox.polar.sh';
const EMBED_SCRIPT = createRequire(import.meta.url).resolve('@polar-sh/checkout/embed');

/** The merchant page: loads the published embed script and opens the checkout given in `?url=`. */
const MERCHANT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title>
<script src="/embed.global.js"></script></head>
<body><main><h1>Shop</h1></main>
<script>
  window.events = [];
  window.loaded = (async () => {
    const url = new URLSearchParams(location.search).get('url');
    const checkout = await window.Polar.EmbedCheckout.create(url, { theme: 'light' });
    for (const name of ['loaded', 'confirmed', 'success', 'close']) {
      checkout.addEventListener(name, (event) => window.events.push(event.detail));
    }
    return true;
  })();
</script>
</body></html>`;

let emulator: Emulator;
let merchant: http.Server;
let merchantOrigin: string;
let polarFront: https.Server;
let certificate: { key: string; cert: string };

/** `page` in a browser that resolves sandbox.polar.sh to the emulator's HTTPS front, started for each test. */
const test = base.extend<{ polarBrowser: Browser }>({
  polarBrowser: async ({ playwright, launchOptions }, use) => {
    const port = (polarFront.address() as AddressInfo).port;
    const browser = await playwright.chromium.launch({
      ...launchOptions,
      args: [...(launchOptions.args ?? []), `--host-resolver-rules=MAP sandbox.polar.sh 127.0.0.1:${port}`],
    });
    await use(browser);
    await browser.close();
  },
  page: async ({ polarBrowser }, use) => {
    const context = await polarBrowser.newContext({ ignoreHTTPSErrors: true });
    await use(await context.newPage());
    await context.close();
  },
});

test.beforeAll(() => {
  const dir = mkdtempSync(path.join(tmpdir(), 'polar-kit-cert-'));
  try {
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=sandbox.polar.sh',
        '-addext',
        'subjectAltName=DNS:sandbox.polar.sh',
        '-keyout',
        path.join(dir, 'key.pem'),
        '-out',
        path.join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    certificate = {
      key: readFileSync(path.join(dir, 'key.pem'), 'utf8'),
      cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.beforeEach(async () => {
  emulator = await startEmulator({ publicUrl: POLAR_SANDBOX });
  polarFront = https.createServer(certificate, emulator.app);
  await new Promise<void>((resolve) => polarFront.listen(0, '127.0.0.1', resolve));
  const script = await readFile(EMBED_SCRIPT.replace(/embed\.(c?js|mjs)$/, 'embed.global.js'), 'utf8');
  merchant = http.createServer((req, res) => {
    if (req.url === '/embed.global.js') {
      res.writeHead(200, { 'content-type': 'text/javascript' }).end(script);
    } else if (req.url?.startsWith('/thanks')) {
      res
        .writeHead(200, { 'content-type': 'text/html' })
        .end('<!doctype html><title>Thanks</title><h1>Thanks</h1>');
    } else {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(MERCHANT_PAGE);
    }
  });
  await new Promise<void>((resolve) => merchant.listen(0, '127.0.0.1', resolve));
  merchantOrigin = `http://127.0.0.1:${(merchant.address() as AddressInfo).port}`;
});

test.afterEach(async () => {
  await new Promise((resolve) => merchant?.close(resolve));
  await new Promise<void>((resolve) => {
    polarFront.close(() => resolve());
    polarFront.closeAllConnections();
  });
  await emulator?.close();
});

function rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  return emulatorRest(emulator.url, method, path, body);
}

async function createCheckout(): Promise<Json> {
  const { body: list } = await rest('GET', '/v1/products/?limit=100');
  const product = (list.items as Json[]).find((p) => p.name === 'Monthly Plan');
  const { status, body } = await rest('POST', '/v1/checkouts/', {
    products: [product?.id],
    success_url: `${merchantOrigin}/thanks?checkout_id={CHECKOUT_ID}`,
    embed_origin: merchantOrigin,
  });
  expect(status).toBe(201);
  return body;
}

test.describe('hosted checkout page under the published Polar embed', () => {
  test('resolves the embed on loaded, and the embed follows success to the merchant’s success URL', async ({
    page,
  }) => {
    const checkout = await createCheckout();
    expect(checkout.url).toBe(`${POLAR_SANDBOX}/checkout/${checkout.client_secret}`);
    await page.goto(`${merchantOrigin}/?url=${encodeURIComponent(checkout.url)}`);
    expect(await page.evaluate(() => (window as unknown as { loaded: Promise<boolean> }).loaded)).toBe(true);

    const frame = page.frameLocator('iframe');
    await frame.getByLabel('Email').fill('embedded@example.com');
    await frame.getByLabel('Cardholder name').fill('Jane Buyer');
    await frame.getByLabel('Card number').fill('4242 4242 4242 4242');
    await frame.getByLabel('Expiration date').fill('12 / 34');
    await frame.getByLabel('CVC').fill('123');
    await frame.getByRole('button', { name: /^Subscribe/ }).click();

    // embed.js navigates the merchant page itself on `success` with `redirect: true`.
    await page.waitForURL(`${merchantOrigin}/thanks?checkout_id=${checkout.id}`);
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('succeeded');
  });

  test('closes the embed from the page’s close button', async ({ page }) => {
    const checkout = await createCheckout();
    await page.goto(`${merchantOrigin}/?url=${encodeURIComponent(checkout.url)}`);
    expect(await page.evaluate(() => (window as unknown as { loaded: Promise<boolean> }).loaded)).toBe(true);
    await expect(page.locator('iframe')).toHaveCount(1);
    await page.frameLocator('iframe').getByRole('button', { name: 'Close checkout' }).click();
    await expect(page.locator('iframe')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { events: Json[] }).events)).toEqual([
      { type: 'POLAR_CHECKOUT', event: 'close' },
    ]);
  });
});
