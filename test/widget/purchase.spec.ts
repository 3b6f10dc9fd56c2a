/**
 * Purchases through the built widget against the real kit and the emulator, with no HTTP stubs: the merchant's
 * page lives on its own origin and carries only the script tag (served by the kit) and the element.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { expect, test, type FrameLocator, type Page } from '@playwright/test';
import { createApp } from '../../server/http/app.js';
import { createSilentLogger } from '../../server/logger.js';
import { startPolarFront, testWithPolarFront, type PolarFront } from '../helpers/polar-origin.js';
import { startTestKit, type TestKit } from '../helpers/test-kit.js';
import {
  ensureWidgetBuilt,
  events,
  expectNoAxeViolations,
  fixturePage,
  recordEvents,
  startStaticServer,
  WIDGET_DIST,
  type StaticServer,
} from './fixtures.js';

const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const SANDBOX = 'https://sandbox.polar.sh';

type Shop = { kit: TestKit; kitUrl: string; server: Server; site: StaticServer; close(): Promise<void> };

/**
 * The kit (with its emulator) served by the kit's own app, `/widget/` included, and a merchant site on another
 * origin whose pages load the widget from the kit.
 */
async function openShop(emulator: Parameters<typeof startTestKit>[0] = {}): Promise<Shop> {
  ensureWidgetBuilt();
  const kit = await startTestKit(emulator);
  const server = createServer(
    createApp({ api: kit.kit.router, logger: createSilentLogger(), distDir: path.dirname(WIDGET_DIST) }),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const kitUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const site = await startStaticServer();
  const script = `<script src="${kitUrl}/widget/polar-checkout.js"></script>`;
  site.page(
    '/pricing.html',
    fixturePage(`<polar-pricing-table api-base="${kitUrl}" locale="en-US"></polar-pricing-table>`, {
      script,
    }),
  );
  site.page(
    '/lifetime.html',
    fixturePage(
      `<polar-pricing-table api-base="${kitUrl}" products="${LIFETIME}" success-url="${site.url}/thanks.html?checkout_id={CHECKOUT_ID}"></polar-pricing-table>`,
      { script },
    ),
  );
  site.page(
    '/thanks.html',
    fixturePage(`<polar-order-status api-base="${kitUrl}" locale="en-US"></polar-order-status>`, { script }),
  );
  return {
    kit,
    kitUrl,
    server,
    site,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await site.close();
      await kit.close();
    },
  };
}

async function pay(frame: FrameLocator, email: string): Promise<void> {
  await frame.getByLabel('Email').fill(email);
  await frame.getByLabel('Cardholder name').fill('Jane Buyer');
  await frame.getByLabel('Card number').fill('4242 4242 4242 4242');
  await frame.getByLabel('Expiration date').fill('12 / 34');
  await frame.getByLabel('CVC').fill('123');
  await frame.getByRole('button', { name: /^Pay/ }).click();
}

const dialogFrame = (page: Page) => page.frameLocator('polar-checkout-dialog iframe');

/**
 * Opens the pricing page of the site at `siteUrl`, keeps it there after a success (to look at the events), clicks the Lifetime License's
 * Buy now, and returns the checkout dialog once it has the focus.
 */
async function openLifetimeCheckout(page: Page, siteUrl: string) {
  await page.goto(`${siteUrl}/pricing.html`);
  await page.evaluate(() =>
    document.addEventListener('polar-checkout-success', (event) => event.preventDefault()),
  );
  await page.getByRole('button', { name: 'Buy now', description: 'Lifetime License' }).click();
  const dialog = page.getByRole('dialog', { name: 'Checkout' });
  await expect(dialog).toBeFocused();
  return dialog;
}

test.describe('buying through the widget, with the kit and the emulator', () => {
  let shop: Shop;
  test.beforeAll(async () => {
    shop = await openShop();
  });
  test.afterAll(async () => shop?.close());

  test('renders a card with the right price for every catalog product', async ({ page }) => {
    await page.goto(`${shop.site.url}/pricing.html`);
    const cards = async () =>
      Object.fromEntries(
        await page
          .locator('polar-pricing-table [part~="plan"]')
          .evaluateAll((plans) =>
            plans.map((plan) => [
              plan.querySelector('[part="name"]')?.textContent,
              plan.querySelector('[part="price"]')?.textContent?.replace(/\s+/g, ' ').trim(),
            ]),
          ),
      );
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(4);
    expect(await cards()).toEqual({
      'Free Plan': 'Free',
      'Monthly Plan': '$19.99 /mo per month',
      'Lifetime License': '$149',
      'Tip Jar': 'Pay what you want from $1',
    });
    await expect(page.locator('polar-pricing-table [part="saving"]')).toHaveText(/^Save \d+%$/);
    await page.locator('polar-pricing-table [part="interval-option"]', { hasText: 'Yearly' }).click();
    await expect(page.getByRole('radio', { name: /Yearly/ })).toBeChecked();
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(3);
    expect(await cards()).toEqual({
      'Yearly Plan': '$49.99 /yr per year',
      'Lifetime License': '$149',
      'Tip Jar': 'Pay what you want from $1',
    });
    await expectNoAxeViolations(page);
  });

  test('pays in the widget’s own dialog on the emulator’s hosted page, and the order is the kit’s', async ({
    page,
  }) => {
    await recordEvents(page);
    const dialog = await openLifetimeCheckout(page, shop.site.url);
    await expect(dialogFrame(page).getByRole('heading', { name: 'Lifetime License' })).toBeVisible();
    await expect(page.locator('polar-checkout-dialog [part="status"]')).toBeHidden();
    await pay(dialogFrame(page), 'overlay@example.com');
    await expect
      .poll(async () => (await events(page)).map((e) => e.type), { timeout: 15_000 })
      .toContain('polar-checkout-success');
    const fired = await events(page);
    const open = fired.find((e) => e.type === 'polar-checkout-open')?.detail as {
      checkout_id: string;
      checkout_url: string;
      mode: string;
    };
    expect(open.mode).toBe('overlay');
    expect(new URL(open.checkout_url).origin).toBe(new URL(shop.kit.emulator.url).origin);
    expect(fired.map((e) => e.type)).toEqual([
      'polar-checkout-start',
      'polar-checkout-open',
      'polar-checkout-confirmed',
      'polar-checkout-success',
    ]);
    const success = fired[3]!.detail as {
      checkout_id: string;
      order: { paid: boolean; product_id: string; total_amount: number } | null;
    };
    expect(success.checkout_id).toBe(open.checkout_id);
    expect(success.order).toMatchObject({ paid: true, product_id: LIFETIME, total_amount: 14900 });
    // The kit recorded it from the emulator's signed webhooks.
    const orders = (await (await shop.kit.admin('/api/orders/overlay%40example.com')).json()) as Array<{
      checkout_id: string;
    }>;
    expect(orders.map((o) => o.checkout_id)).toContain(open.checkout_id);
    await page.getByRole('button', { name: 'Close checkout' }).click();
    await expect(dialog).toHaveCount(0);
    await expect(
      page.getByRole('button', { name: 'Buy now', description: 'Lifetime License' }),
    ).toBeFocused();
  });

  test('goes to the merchant’s success page after paying, where the order status shows the receipt', async ({
    page,
  }) => {
    await page.goto(`${shop.site.url}/lifetime.html`);
    await page.locator('polar-pricing-table [part="cta"]').click();
    await pay(dialogFrame(page), 'thanks@example.com');
    await page.waitForURL(new RegExp(`^${shop.site.url}/thanks\\.html\\?checkout_id=`), { timeout: 15_000 });
    await expect(page.locator('polar-order-status [part="status"]')).toHaveText(
      'Thank you! Your payment was received.',
      {
        timeout: 15_000,
      },
    );
    await expect(page.locator('polar-order-status dd').nth(0)).toHaveText('Lifetime License');
    await expect(page.locator('polar-order-status dd').nth(1)).toHaveText('$149');
    await expectNoAxeViolations(page);
  });

  test('Escape inside the hosted page closes the dialog and returns focus', async ({ page }) => {
    await page.goto(`${shop.site.url}/pricing.html`);
    const cta = page.getByRole('button', { name: 'Buy now', description: 'Lifetime License' });
    await cta.click();
    await dialogFrame(page).getByLabel('Email').focus();
    await page.keyboard.press('Escape');
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toHaveCount(0);
    await expect(cta).toBeFocused();
  });

  test('mode="redirect" goes to the emulator’s hosted page', async ({ page }) => {
    await page.goto(`${shop.site.url}/pricing.html`);
    await page.locator('polar-pricing-table').evaluate((el) => el.setAttribute('mode', 'redirect'));
    await page.getByRole('button', { name: 'Buy now', description: 'Lifetime License' }).click();
    await page.waitForURL(new RegExp(`^${shop.kit.emulator.url.replace(/\/$/, '')}/checkout/polar_c_`));
    await expect(page.getByRole('heading', { name: 'Lifetime License' })).toBeVisible();
  });
});

test.describe('a catalog in several currencies, with HTML characters in names', () => {
  const TRICKY = '<img src=x onerror="window.__pwned=1"> Pro & "Team"';
  let shop: Shop;
  test.beforeAll(async () => {
    shop = await openShop({
      emulator: {
        catalog: {
          products: [
            {
              name: 'Euro Plan',
              recurring_interval: 'month',
              currency: 'eur',
              price: { type: 'fixed', amount: 1250 },
            },
            { name: 'Yen Pack', currency: 'jpy', price: { type: 'fixed', amount: 1500 } },
            {
              name: TRICKY,
              description: '<b>bold?</b>',
              recurring_interval: 'month',
              currency: 'gbp',
              price: { type: 'fixed', amount: 999 },
            },
          ],
        },
      },
    });
  });
  test.afterAll(async () => shop?.close());

  test('formats each price in its currency and the locale, and shows names as text', async ({ page }) => {
    shop.site.page(
      '/world.html',
      fixturePage(`<polar-pricing-table api-base="${shop.kitUrl}" locale="de-DE"></polar-pricing-table>`, {
        script: `<script src="${shop.kitUrl}/widget/polar-checkout.js"></script>`,
      }),
    );
    await page.goto(`${shop.site.url}/world.html`);
    await expect(page.locator('polar-pricing-table [part~="plan"]')).toHaveCount(3);
    const cards = Object.fromEntries(
      await page.locator('polar-pricing-table [part~="plan"]').evaluateAll((plans) =>
        plans.map((plan) => [
          plan.querySelector('[part="name"]')?.textContent,
          // Intl puts a no-break space between amount and symbol.
          plan.querySelector('.amount')?.textContent?.replace(/\u00a0/g, ' '),
        ]),
      ),
    );
    expect(cards).toEqual({ 'Euro Plan': '12,50 €', 'Yen Pack': '1.500 ¥', [TRICKY]: '9,99 £' });
    await expect(page.locator('polar-pricing-table [part="description"]')).toHaveText('<b>bold?</b>');
    await expect(page.locator('polar-pricing-table img, polar-pricing-table b')).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    await expectNoAxeViolations(page);
  });
});

test.describe('buying through Polar’s official embed', () => {
  let shop: Shop;
  let front: PolarFront;
  // The browser reaches "https://sandbox.polar.sh" at the emulator (over HTTPS, so the hosted page's event stream
  // streams), and the embed's origin check passes for real.
  const polarTest = testWithPolarFront(() => front);
  test.beforeAll(async () => {
    shop = await openShop({ emulator: { publicUrl: SANDBOX } });
    front = await startPolarFront(shop.kit.emulator.app);
  });
  test.afterAll(async () => {
    await front?.close();
    await shop?.close();
  });

  polarTest(
    'drives the real @polar-sh/checkout embed when the checkout is on Polar’s origin',
    async ({ page }) => {
      await recordEvents(page);
      const requested: string[] = [];
      page.on('request', (request) => requested.push(request.url()));
      const dialog = await openLifetimeCheckout(page, shop.site.url);
      const frame = dialogFrame(page);
      await expect(frame.getByRole('heading', { name: 'Lifetime License' })).toBeVisible();
      // The embed module was loaded lazily from beside the widget, and its frame sits inside our dialog.
      expect(requested.some((url) => /\/widget\/polar-checkout-embed-[0-9a-f]{10}\.js$/.test(url))).toBe(
        true,
      );
      const src = new URL((await page.locator('polar-checkout-dialog iframe').getAttribute('src'))!);
      expect(src.origin).toBe(SANDBOX);
      expect(src.searchParams.get('embed_origin')).toBe(shop.site.url);
      // `loaded` came through the embed: the loading message is gone and the page is not locked by the embed.
      await expect(page.locator('polar-checkout-dialog [part="status"]')).toBeHidden();
      await expect(page.locator('main')).toHaveAttribute('inert', '');
      await pay(frame, 'embed@example.com');
      await expect
        .poll(async () => (await events(page)).map((e) => e.type), { timeout: 15_000 })
        .toContain('polar-checkout-success');
      const fired = await events(page);
      expect(fired.find((e) => e.type === 'polar-checkout-open')?.detail).toMatchObject({ mode: 'embed' });
      expect(fired.map((e) => e.type)).toContain('polar-checkout-confirmed');
      expect(fired.find((e) => e.type === 'polar-checkout-success')?.detail).toMatchObject({
        order: { paid: true, product_id: LIFETIME },
      });
      const spinnerStyle = () =>
        page.evaluate(() =>
          [...document.querySelectorAll('style')].some((s) => s.textContent?.includes('polar-loader')),
        );
      expect(await spinnerStyle()).toBe(true);
      await page.getByRole('button', { name: 'Close checkout' }).click();
      await expect(dialog).toHaveCount(0);
      await expect(page.locator('iframe')).toHaveCount(0);
      await expect(page.locator('body')).not.toHaveClass(/polar-no-scroll/);
      expect(await spinnerStyle()).toBe(false);
      await expect(page.locator('main')).not.toHaveAttribute('inert');
    },
  );
});
