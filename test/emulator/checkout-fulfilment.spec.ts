/**
 * The hosted checkout page waits for fulfilment before it reports success, as Polar's does: the order created
 * and the merchant's `checkout.updated` webhook delivered (heard on the checkout's event stream). The merchant's
 * webhook endpoint is served by the test, which decides when (and whether) it answers 2xx.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect, test, type FrameLocator, type Page } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Recorded = { data: Json; at: number };

/** The merchant's page: embeds the checkout given in `?src=` and records every message with its time. */
const PARENT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Shop</h1></main>
<script>
  window.received = [];
  window.addEventListener('message', (event) => window.received.push({ data: event.data, at: Date.now() }));
  const frame = document.createElement('iframe');
  frame.title = 'Checkout';
  frame.style.width = '100%';
  frame.style.height = '900px';
  frame.src = new URLSearchParams(location.search).get('src');
  document.querySelector('main').append(frame);
</script>
</body></html>`;

/**
 * The merchant: serves the page above and a webhook endpoint that answers 200 to everything except the
 * `checkout.updated` event of a paid checkout, which gets `paidUpdate()`'s answer.
 */
type Merchant = {
  origin: string;
  webhookUrl: string;
  /** When the endpoint answered 2xx to the paid `checkout.updated`, if it did. */
  deliveredAt: number | null;
  /** When a browser asked for the success page, if it did. */
  thanksAt: number | null;
  paidUpdates: number;
  paidUpdate: () => Promise<number>;
  close(): Promise<void>;
};

let emulator: Emulator | undefined;
let merchant: Merchant | undefined;

test.afterEach(async () => {
  await emulator?.close();
  await merchant?.close();
  emulator = undefined;
  merchant = undefined;
});

async function startMerchant(): Promise<Merchant> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST') {
      if (req.url?.startsWith('/thanks')) m.thanksAt = Date.now();
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PARENT_PAGE);
      return;
    }
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const event = JSON.parse(Buffer.concat(chunks).toString('utf8')) as Json;
      if (event.type !== 'checkout.updated' || event.data.status !== 'succeeded') {
        res.writeHead(200).end();
        return;
      }
      m.paidUpdates += 1;
      void m.paidUpdate().then((status) => {
        if (res.destroyed) return;
        if (status >= 200 && status < 300) m.deliveredAt = Date.now();
        res.writeHead(status).end();
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const m: Merchant = {
    origin,
    webhookUrl: `${origin}/webhooks/polar`,
    deliveredAt: null,
    thanksAt: null,
    paidUpdates: 0,
    paidUpdate: async () => 200,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  return m;
}

async function createCheckout(extra: Json): Promise<Json> {
  const { body: list } = await emulatorRest(emulator!.url, 'GET', '/v1/products/?limit=100');
  const product = (list.items as Json[]).find((p) => p.name === 'Lifetime License');
  const { status, body } = await emulatorRest(emulator!.url, 'POST', '/v1/checkouts/', {
    products: [product?.id],
    ...extra,
  });
  expect(status).toBe(201);
  return body;
}

async function openEmbedded(page: Page, checkout: Json): Promise<FrameLocator> {
  const src = new URL(checkout.url);
  src.searchParams.set('embed', 'true');
  await page.goto(`${merchant!.origin}/?src=${encodeURIComponent(src.href)}`);
  const frame = page.frameLocator('iframe[title="Checkout"]');
  await expect(frame.getByRole('heading', { level: 1 })).toBeVisible();
  return frame;
}

async function pay(frame: FrameLocator | Page, card = '4242 4242 4242 4242'): Promise<void> {
  await frame.getByLabel('Email').fill('buyer@example.com');
  await frame.getByLabel('Cardholder name').fill('Jane Buyer');
  await frame.getByLabel('Card number').fill(card);
  await frame.getByLabel('Expiration date').fill('12 / 34');
  await frame.getByLabel('CVC').fill('123');
  await frame.getByRole('button', { name: /^Pay/ }).click();
}

async function events(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    (window as unknown as { received: Recorded[] }).received.map((m) => String(m.data.event)),
  );
}

/**
 * A merchant whose answer to the paid `checkout.updated` waits for `release(status)`, an emulator delivering to
 * it, and a checkout of it opened embedded in `page`.
 */
async function embeddedWithHeldAnswer(page: Page) {
  merchant = await startMerchant();
  let release: (status: number) => void = () => undefined;
  merchant.paidUpdate = () => new Promise<number>((resolve) => (release = resolve));
  emulator = await startEmulator({ webhook: { url: merchant.webhookUrl } });
  const checkout = await createCheckout({ embed_origin: merchant.origin });
  const frame = await openEmbedded(page, checkout);
  return { release: (status: number) => release(status), frame };
}

test.describe('hosted checkout page waiting for fulfilment', () => {
  test('posts success only once the checkout.updated webhook was answered 2xx', async ({ page }) => {
    const { release, frame } = await embeddedWithHeldAnswer(page);

    await pay(frame);
    await expect.poll(() => merchant!.paidUpdates).toBe(1);
    // Paid and the order exists; only the merchant's answer is missing.
    await expect(frame.getByRole('status')).toHaveText('Waiting confirmation from Polar Kit Demo');
    await page.waitForTimeout(300);
    expect(await events(page)).toEqual(['loaded', 'confirmed']);

    release(200);
    await expect.poll(() => events(page)).toEqual(['loaded', 'confirmed', 'success']);
    const success = await page.evaluate(() =>
      (window as unknown as { received: Recorded[] }).received.find((m) => m.data.event === 'success'),
    );
    expect(success!.at).toBeGreaterThanOrEqual(merchant!.deliveredAt!);
    await expect(frame.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
  });

  test('keeps listening across the authentication step', async ({ page }) => {
    const { release, frame } = await embeddedWithHeldAnswer(page);

    await pay(frame, '4000 0025 0000 3155');
    await frame.getByRole('button', { name: 'Complete authentication' }).click();
    await expect.poll(() => merchant!.paidUpdates).toBe(1);
    await expect(frame.getByRole('status')).toHaveText('Waiting confirmation from Polar Kit Demo');
    release(204);
    await expect.poll(() => events(page)).toEqual(['loaded', 'confirmed', 'success']);
  });

  test('gives up after its wait when the webhook never gets a 2xx: confirmation, no success', async ({
    page,
  }) => {
    merchant = await startMerchant();
    merchant.paidUpdate = async () => 500;
    emulator = await startEmulator({
      timeScale: 0.001,
      fulfilmentTimeoutMs: 1_500,
      webhook: { url: merchant.webhookUrl },
    });
    const checkout = await createCheckout({ embed_origin: merchant.origin });
    const frame = await openEmbedded(page, checkout);

    await pay(frame);
    await expect(frame.getByRole('status')).toHaveText('Waiting confirmation from Polar Kit Demo');
    await expect(frame.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
    expect(merchant.paidUpdates).toBeGreaterThan(0);
    expect(merchant.deliveredAt).toBeNull();
    await page.waitForTimeout(300);
    expect(await events(page)).toEqual(['loaded', 'confirmed']);
  });

  test('does not redirect to the success URL when fulfilment times out outside a frame', async ({ page }) => {
    merchant = await startMerchant();
    merchant.paidUpdate = async () => 500;
    emulator = await startEmulator({
      timeScale: 0.001,
      fulfilmentTimeoutMs: 1_000,
      webhook: { url: merchant.webhookUrl },
    });
    const checkout = await createCheckout({ success_url: `${merchant.origin}/thanks` });
    await page.goto(checkout.url);

    await pay(page);
    await expect(page.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
    await page.waitForTimeout(300);
    expect(page.url()).toBe(checkout.url);
  });

  test('redirects to the success URL once the webhook was delivered', async ({ page }) => {
    merchant = await startMerchant();
    merchant.paidUpdate = () => new Promise((resolve) => setTimeout(() => resolve(200), 300));
    emulator = await startEmulator({ webhook: { url: merchant.webhookUrl } });
    const checkout = await createCheckout({ success_url: `${merchant.origin}/thanks` });
    await page.goto(checkout.url);

    await pay(page);
    await page.waitForURL(`${merchant.origin}/thanks`);
    expect(merchant.thanksAt).toBeGreaterThanOrEqual(merchant.deliveredAt!);
  });
});
