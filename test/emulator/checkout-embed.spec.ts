import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type FrameLocator, type Page } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;
type Recorded = { origin: string; data: Json };

const SUCCESS_BASE = 'http://127.0.0.1:9/thanks';

/**
 * The merchant's page: another loopback origin that embeds the checkout URL given in `?src=` in an iframe
 * and records every message it receives.
 */
const PARENT_PAGE = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Shop</title></head>
<body><main><h1>Shop</h1><div id="slot"></div></main>
<script>
  window.received = [];
  window.addEventListener('message', (event) => {
    window.received.push({ origin: event.origin, data: event.data });
  });
  const frame = document.createElement('iframe');
  frame.title = 'Checkout';
  frame.style.width = '100%';
  frame.style.height = '900px';
  frame.src = new URLSearchParams(location.search).get('src');
  document.getElementById('slot').append(frame);
</script>
</body></html>`;

let emulator: Emulator;
let parent: http.Server;
let parentOrigin: string;

test.beforeAll(async () => {
  emulator = await startEmulator();
  parent = http.createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PARENT_PAGE);
  });
  await new Promise<void>((resolve) => parent.listen(0, '127.0.0.1', resolve));
  parentOrigin = `http://127.0.0.1:${(parent.address() as AddressInfo).port}`;
});

test.afterAll(async () => {
  await new Promise((resolve) => parent?.close(resolve));
  await emulator?.close();
});

function rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  return emulatorRest(emulator.url, method, path, body);
}

async function createCheckout(embedOrigin: string | null, withSuccessUrl = true): Promise<Json> {
  const { body: list } = await rest('GET', '/v1/products/?limit=100');
  const product = (list.items as Json[]).find((p) => p.name === 'Lifetime License');
  const { status, body } = await rest('POST', '/v1/checkouts/', {
    products: [product?.id],
    ...(withSuccessUrl ? { success_url: `${SUCCESS_BASE}?checkout_id={CHECKOUT_ID}` } : {}),
    ...(embedOrigin ? { embed_origin: embedOrigin } : {}),
  });
  expect(status).toBe(201);
  return body;
}

/** Opens the merchant page with the checkout inside, as embed.js would (`embed=true`). */
async function openEmbedded(page: Page, checkout: Json, asEmbedJsDoes = true): Promise<FrameLocator> {
  const src = new URL(checkout.url);
  if (asEmbedJsDoes) {
    src.searchParams.set('embed', 'true');
    src.searchParams.set('embed_origin', parentOrigin);
    src.searchParams.set('theme', 'light');
  }
  await page.goto(`${parentOrigin}/?src=${encodeURIComponent(src.href)}`);
  const frame = page.frameLocator('iframe[title="Checkout"]');
  await expect(frame.getByRole('heading', { level: 1 })).toBeVisible();
  return frame;
}

async function received(page: Page): Promise<Recorded[]> {
  return page.evaluate(() => (window as unknown as { received: Recorded[] }).received);
}

async function pay(frame: FrameLocator): Promise<void> {
  await frame.getByLabel('Email').fill('embed@example.com');
  await frame.getByLabel('Cardholder name').fill('Jane Buyer');
  await frame.getByLabel('Card number').fill('4242 4242 4242 4242');
  await frame.getByLabel('Expiration date').fill('12 / 34');
  await frame.getByLabel('CVC').fill('123');
  await frame.getByRole('button', { name: /^Pay/ }).click();
}

test.describe('hosted checkout page inside an iframe', () => {
  test('posts loaded, confirmed and success to the embed origin, and close from its close button', async ({
    page,
  }) => {
    const checkout = await createCheckout(parentOrigin);
    const frame = await openEmbedded(page, checkout);
    await expect.poll(async () => (await received(page)).map((m) => m.data.event)).toEqual(['loaded']);

    await pay(frame);
    await expect.poll(async () => (await received(page)).length).toBe(3);
    const messages = await received(page);
    expect(messages.map((m) => m.data.event)).toEqual(['loaded', 'confirmed', 'success']);
    for (const message of messages) {
      expect(message.origin).toBe(new URL(emulator.url).origin);
      expect(message.data.type).toBe('POLAR_CHECKOUT');
    }
    expect(messages[2]?.data).toMatchObject({
      successURL: `${SUCCESS_BASE}?checkout_id=${checkout.id}`,
      redirect: true,
    });
    // The parent navigates on `success`; the frame itself stays on the emulator.
    await expect(frame.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('succeeded');

    await frame.getByRole('button', { name: 'Close checkout' }).click();
    await expect.poll(async () => (await received(page)).map((m) => m.data.event)).toContain('close');
    expect((await received(page)).at(-1)?.data).toEqual({ type: 'POLAR_CHECKOUT', event: 'close' });
  });

  test('speaks the protocol inside a frame even without embed=true, since the checkout has an embed origin', async ({
    page,
  }) => {
    const checkout = await createCheckout(parentOrigin);
    const frame = await openEmbedded(page, checkout, false);
    await expect.poll(async () => (await received(page)).map((m) => m.data.event)).toEqual(['loaded']);
    await frame.getByRole('button', { name: 'Close checkout' }).click();
    await expect
      .poll(async () => (await received(page)).map((m) => m.data.event))
      .toEqual(['loaded', 'close']);
  });

  test('posts close when the buyer presses Escape', async ({ page }) => {
    const checkout = await createCheckout(parentOrigin);
    const frame = await openEmbedded(page, checkout);
    await frame.getByLabel('Email').focus();
    await page.keyboard.press('Escape');
    await expect
      .poll(async () => (await received(page)).map((m) => m.data.event))
      .toEqual(['loaded', 'close']);
  });

  test('posts close when the buyer clicks outside the checkout', async ({ page }) => {
    const checkout = await createCheckout(parentOrigin);
    const frame = await openEmbedded(page, checkout);
    await frame.locator('main').click({ position: { x: 4, y: 4 } });
    await expect
      .poll(async () => (await received(page)).map((m) => m.data.event))
      .toEqual(['loaded', 'close']);
    await frame.getByLabel('Email').click();
    await page.waitForTimeout(200);
    expect(await received(page)).toHaveLength(2);
  });

  test('has no axe violations in the embedded layout', async ({ page }) => {
    const checkout = await createCheckout(parentOrigin);
    const frame = await openEmbedded(page, checkout);
    await expect(frame.getByRole('button', { name: 'Close checkout' })).toBeVisible();
    const results = await new AxeBuilder({ page }).include('iframe').analyze();
    expect(results.violations).toEqual([]);
    // The scan reached into the frame: the card form's labels were checked.
    expect(results.passes.map((rule) => rule.id)).toContain('label');
  });

  test('without a success URL, success says redirect: false', async ({ page }) => {
    const checkout = await createCheckout(parentOrigin, false);
    const frame = await openEmbedded(page, checkout);
    await pay(frame);
    await expect.poll(async () => (await received(page)).length).toBe(3);
    expect((await received(page))[2]?.data).toMatchObject({ event: 'success', redirect: false });
    await expect(frame.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
  });

  test('sends nothing to a parent whose origin is not the checkout’s embed origin', async ({ page }) => {
    const checkout = await createCheckout('http://127.0.0.1:1');
    const frame = await openEmbedded(page, checkout);
    await frame.getByRole('button', { name: 'Close checkout' }).click();
    await pay(frame);
    await expect(frame.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
    expect(await received(page)).toEqual([]);
  });

  test('sends nothing when the checkout has no embed origin', async ({ page }) => {
    const checkout = await createCheckout(null);
    const frame = await openEmbedded(page, checkout);
    await expect(frame.getByRole('button', { name: 'Close checkout' })).toBeVisible();
    await frame.getByRole('button', { name: 'Close checkout' }).click();
    await page.waitForTimeout(300);
    expect(await received(page)).toEqual([]);
  });
});
