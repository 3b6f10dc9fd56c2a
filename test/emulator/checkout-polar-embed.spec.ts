/**
 * The published `@polar-sh/checkout` embed driving the emulator's hosted page. The embed only accepts messages
 * from `https://sandbox.polar.sh`, so the emulator runs with that public URL and the test browser reaches that
 * origin at the emulator over HTTPS (test/helpers/polar-origin.ts): the page's real origin is then Polar's, nothing
 * in the embed or the page is patched, and the page's event stream streams.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { expect } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';
import {
  POLAR_SANDBOX_ORIGIN as POLAR_SANDBOX,
  startPolarFront,
  testWithPolarFront,
  type PolarFront,
} from '../helpers/polar-origin.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

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
let polarFront: PolarFront;

/** `page` in a browser that reaches sandbox.polar.sh at this test's emulator. */
const test = testWithPolarFront(() => polarFront);

test.beforeEach(async () => {
  emulator = await startEmulator({ publicUrl: POLAR_SANDBOX });
  polarFront = await startPolarFront(emulator.app);
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
  await polarFront?.close();
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
