import { expect, test, type Page } from '@playwright/test';
import type { CheckoutRequest } from '../../contract/contract.js';
import {
  CATALOG,
  checkoutResponse,
  ensureWidgetBuilt,
  expectNoAxeViolations,
  events,
  fixturePage,
  PAID_ORDER,
  problem,
  recordEvents,
  routeProducts,
  startStaticServer,
  statusResponse,
  type StaticServer,
} from './fixtures.js';

let site: StaticServer;
/** A second origin for the stand-in hosted checkout page. */
let checkoutHost: StaticServer;

test.beforeAll(async () => {
  ensureWidgetBuilt();
  [site, checkoutHost] = await Promise.all([startStaticServer(), startStaticServer()]);
});
test.afterAll(async () => Promise.all([site?.close(), checkoutHost?.close()]));

type Setup = { secret?: string; body?: string; checkoutStatus?: number };

/** Serves a page with a pricing table, and stubs the kit: products, checkout creation and status. */
async function setUp(
  page: Page,
  setup: Setup = {},
): Promise<{ requests: CheckoutRequest[]; headers: Record<string, string>[] }> {
  const requests: CheckoutRequest[] = [];
  const headers: Record<string, string>[] = [];
  await recordEvents(page);
  await routeProducts(page, CATALOG.slice(0, 2));
  await page.route('**/api/checkout', async (route) => {
    requests.push(route.request().postDataJSON() as CheckoutRequest);
    headers.push(route.request().headers());
    if (setup.checkoutStatus) {
      return route.fulfill({
        status: setup.checkoutStatus,
        contentType: 'application/problem+json',
        body: JSON.stringify(problem('PRODUCT_ARCHIVED', setup.checkoutStatus)),
      });
    }
    return route.fulfill({ status: 201, json: checkoutResponse(checkoutHost.url, setup.secret) });
  });
  await page.route('**/api/checkout/*', (route) =>
    route.fulfill({ json: statusResponse({ status: 'succeeded', order: PAID_ORDER }) }),
  );
  const name = `/c${Math.random().toString(36).slice(2)}.html`;
  site.page(name, fixturePage(setup.body ?? '<polar-pricing-table locale="en-US"></polar-pricing-table>'));
  await page.goto(site.url + name);
  return { requests, headers };
}

const dialog = (page: Page) => page.getByRole('dialog', { name: 'Checkout' });
const frame = (page: Page) => page.frameLocator('polar-checkout-dialog iframe');
const proButton = (page: Page) => page.locator('polar-pricing-table [part="cta"]').nth(1);

test.describe('opening a checkout from the pricing table', () => {
  test('fires start with the request, creates the session with the page origin, and opens an accessible dialog', async ({
    page,
  }) => {
    const { requests, headers } = await setUp(page);
    await proButton(page).click();
    await expect(dialog(page)).toBeVisible();
    await expect(frame(page).getByRole('heading', { name: 'Stand-in checkout' })).toBeVisible();
    expect(requests).toEqual([{ product_id: 'prod_pro', embed_origin: site.url }]);
    expect(headers[0]?.['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
    const fired = await events(page);
    expect(fired.slice(0, 2)).toEqual([
      {
        type: 'polar-checkout-start',
        detail: { product_id: 'prod_pro', request: { product_id: 'prod_pro', embed_origin: site.url } },
        cancelable: true,
      },
      {
        type: 'polar-checkout-open',
        detail: {
          checkout_id: 'co_polar_c_ok',
          checkout_url: `${checkoutHost.url}/checkout/polar_c_ok`,
          mode: 'overlay',
        },
        cancelable: false,
      },
    ]);
    // Focus moved into the dialog; the page behind is inert and does not scroll.
    expect(await page.evaluate(() => document.activeElement?.tagName)).toBe('POLAR-CHECKOUT-DIALOG');
    await expect(dialog(page)).toBeFocused();
    await expect(page.locator('main')).toHaveAttribute('inert', '');
    await expect(page.locator('html')).toHaveCSS('overflow', 'hidden');
    // The frame loads the hosted page with the embed parameters, and is named.
    const src = await page.locator('polar-checkout-dialog iframe').getAttribute('src');
    const url = new URL(src!);
    expect(url.origin + url.pathname).toBe(`${checkoutHost.url}/checkout/polar_c_ok`);
    expect(Object.fromEntries(url.searchParams)).toEqual({
      embed: 'true',
      embed_origin: site.url,
      theme: 'light',
    });
    await expect(page.locator('polar-checkout-dialog iframe')).toHaveAttribute('title', 'Checkout');
    await expectNoAxeViolations(page, 'polar-checkout-dialog iframe');
  });

  test('Escape closes the dialog, returns focus to the button and restores the page', async ({ page }) => {
    await setUp(page);
    await proButton(page).focus();
    await page.keyboard.press('Enter');
    await expect(dialog(page)).toBeFocused();
    await expect(frame(page).getByRole('button', { name: 'Pay' })).toBeVisible();
    await page.keyboard.press('Escape');
    await expect(dialog(page)).toHaveCount(0);
    await expect(proButton(page)).toBeFocused();
    await expect(page.locator('main')).not.toHaveAttribute('inert');
    await expect(page.locator('html')).not.toHaveCSS('overflow', 'hidden');
    expect((await events(page)).at(-1)).toEqual({
      type: 'polar-checkout-close',
      detail: { checkout_id: 'co_polar_c_ok', completed: false },
      cancelable: false,
    });
  });

  test('the close button, a close message from the hosted page and a click on the backdrop close it too', async ({
    page,
  }) => {
    await setUp(page);
    await proButton(page).click();
    await page.getByRole('button', { name: 'Close checkout' }).click();
    await expect(dialog(page)).toHaveCount(0);
    await proButton(page).click();
    await frame(page).getByRole('button', { name: 'Close' }).click();
    await expect(dialog(page)).toHaveCount(0);
    await expect(proButton(page)).toBeFocused();
    await page.setViewportSize({ width: 1200, height: 800 });
    await proButton(page).click();
    await dialog(page).click({ position: { x: 10, y: 10 } });
    await expect(dialog(page)).toBeVisible();
    await page.mouse.click(5, 5);
    await expect(dialog(page)).toHaveCount(0);
  });

  test('while the payment is confirming it cannot be closed; success reports the order, then it closes', async ({
    page,
  }) => {
    await setUp(page);
    await proButton(page).click();
    await frame(page).getByRole('button', { name: 'Pay' }).click();
    await expect(page.getByRole('button', { name: 'Close checkout' })).toBeDisabled();
    await dialog(page).focus();
    await page.keyboard.press('Escape');
    await frame(page).getByRole('button', { name: 'Close' }).click();
    await expect(dialog(page)).toBeVisible();
    await frame(page).getByRole('button', { name: 'Finish' }).click();
    await expect
      .poll(async () => (await events(page)).map((e) => e.type))
      .toContain('polar-checkout-success');
    const fired = await events(page);
    expect(fired.find((e) => e.type === 'polar-checkout-confirmed')?.detail).toEqual({
      checkout_id: 'co_polar_c_ok',
    });
    expect(fired.find((e) => e.type === 'polar-checkout-success')).toEqual({
      type: 'polar-checkout-success',
      detail: { checkout_id: 'co_polar_c_ok', order: PAID_ORDER, success_url: null },
      cancelable: true,
    });
    await expect(page.getByRole('button', { name: 'Close checkout' })).toBeEnabled();
    await frame(page).getByRole('button', { name: 'Close' }).click();
    await expect(dialog(page)).toHaveCount(0);
    expect((await events(page)).at(-1)?.detail).toEqual({ checkout_id: 'co_polar_c_ok', completed: true });
  });

  test('a success with a merchant success URL navigates there, unless the page cancels the event', async ({
    page,
  }) => {
    site.page('/thanks.html', fixturePage('<p>Thanks</p>'));
    await setUp(page);
    // The stand-in page reads its success URL from the query the way Polar reads the checkout's success_url.
    await page.evaluate((thanks) => {
      document.addEventListener('polar-checkout-open', () => {
        const observer = new MutationObserver(() => {
          const frame = document.querySelector('polar-checkout-dialog iframe') as HTMLIFrameElement | null;
          if (frame && !frame.src.includes('success=')) frame.src += `&success=${encodeURIComponent(thanks)}`;
          if (frame) observer.disconnect();
        });
        observer.observe(document.body, { childList: true, subtree: true });
      });
    }, `${site.url}/thanks.html?checkout_id=co_polar_c_ok`);
    await proButton(page).click();
    await frame(page).getByRole('button', { name: 'Finish' }).click();
    await page.waitForURL(`${site.url}/thanks.html?checkout_id=co_polar_c_ok`);
  });

  test('ignores POLAR_CHECKOUT messages from any other origin or window', async ({ page }) => {
    await setUp(page);
    await proButton(page).click();
    await expect(frame(page).getByRole('button', { name: 'Pay' })).toBeVisible();
    await page.evaluate(() => window.postMessage({ type: 'POLAR_CHECKOUT', event: 'close' }, '*'));
    await page.waitForTimeout(200);
    await expect(dialog(page)).toBeVisible();
  });

  test('a double click creates one checkout', async ({ page }) => {
    const { requests } = await setUp(page);
    await proButton(page).dblclick();
    await expect(dialog(page)).toBeVisible();
    await page.waitForTimeout(200);
    expect(requests).toHaveLength(1);
    await expect(page.locator('polar-checkout-dialog')).toHaveCount(1);
  });

  test('refuses a checkout URL that is not http(s)', async ({ page }) => {
    await setUp(page);
    await page.route('**/api/checkout', (route) =>
      route.fulfill({
        status: 201,
        json: { ...checkoutResponse(checkoutHost.url), checkout_url: 'javascript:window.__pwned=1' },
      }),
    );
    await proButton(page).click();
    await expect(page.getByRole('alert')).toHaveText('The checkout could not be started. Please try again.');
    await expect(dialog(page)).toHaveCount(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
    expect((await events(page)).find((e) => e.type === 'polar-error')?.detail).toMatchObject({
      code: 'BAD_RESPONSE',
    });
  });

  test('a cancelled polar-checkout-start creates no checkout', async ({ page }) => {
    const { requests } = await setUp(page);
    await page.evaluate(() =>
      document.addEventListener('polar-checkout-start', (event) => event.preventDefault()),
    );
    await proButton(page).click();
    await page.waitForTimeout(200);
    expect(requests).toEqual([]);
    await expect(dialog(page)).toHaveCount(0);
  });

  test('listeners of polar-checkout-start can add to the request; attributes fill it', async ({ page }) => {
    const { requests } = await setUp(page, {
      body: '<polar-pricing-table customer-email="buyer@example.com" success-url="https://shop.example/thanks?checkout_id={CHECKOUT_ID}"></polar-pricing-table>',
    });
    await page.evaluate(() =>
      document.addEventListener('polar-checkout-start', (event) => {
        (event as CustomEvent<{ request: { metadata?: object } }>).detail.request.metadata = {
          campaign: 'autumn',
        };
      }),
    );
    await proButton(page).click();
    await expect(dialog(page)).toBeVisible();
    expect(requests).toEqual([
      {
        product_id: 'prod_pro',
        email: 'buyer@example.com',
        success_url: 'https://shop.example/thanks?checkout_id={CHECKOUT_ID}',
        embed_origin: site.url,
        metadata: { campaign: 'autumn' },
      },
    ]);
  });

  test('when the kit refuses, fires polar-error and says so next to the plans', async ({ page }) => {
    await setUp(page, { checkoutStatus: 409 });
    await proButton(page).click();
    await expect(page.getByRole('alert')).toHaveText('The checkout could not be started. Please try again.');
    expect((await events(page)).find((e) => e.type === 'polar-error')?.detail).toEqual({
      code: 'PRODUCT_ARCHIVED',
      status: 409,
      detail: 'PRODUCT_ARCHIVED',
    });
    await expect(dialog(page)).toHaveCount(0);
    await expectNoAxeViolations(page, 'polar-checkout-dialog iframe');
  });

  test('falls back to a new tab with EMBED_TIMEOUT when the page does not load in time', async ({
    page,
    context,
  }) => {
    await setUp(page, {
      secret: 'polar_c_slow',
      body: '<polar-pricing-table load-timeout="600"></polar-pricing-table>',
    });
    const popup = context.waitForEvent('page');
    await proButton(page).click();
    await expect(dialog(page)).toBeVisible();
    await expect(page.getByRole('status')).toHaveText('Loading the checkout…');
    const tab = await popup;
    expect(tab.url()).toBe(`${checkoutHost.url}/checkout/polar_c_slow`);
    await expect(dialog(page)).toHaveCount(0);
    await expect(proButton(page)).toBeFocused();
    const fired = await events(page);
    expect(fired.find((e) => e.type === 'polar-error')?.detail).toEqual({
      code: 'EMBED_TIMEOUT',
      status: 0,
      detail: 'The checkout is taking too long to load.',
    });
    expect(fired.at(-1)?.type).toBe('polar-checkout-close');
  });

  test('when the browser blocks the new tab, the dialog offers a link instead', async ({ page }) => {
    await setUp(page, {
      secret: 'polar_c_slow',
      body: '<polar-pricing-table load-timeout="300"></polar-pricing-table>',
    });
    await page.evaluate(() => {
      window.open = () => null;
    });
    await proButton(page).click();
    const alert = page.getByRole('alert');
    await expect(alert).toContainText('The checkout is taking too long to load.');
    await expect(alert.getByRole('link', { name: 'Open the checkout in a new tab' })).toHaveAttribute(
      'href',
      `${checkoutHost.url}/checkout/polar_c_slow`,
    );
    await expect(page.locator('polar-checkout-dialog iframe')).toHaveCount(0);
    await expectNoAxeViolations(page, 'polar-checkout-dialog iframe');
  });

  test('mode="redirect" navigates to the hosted page', async ({ page }) => {
    const { requests } = await setUp(page, {
      body: '<polar-pricing-table mode="redirect"></polar-pricing-table>',
    });
    await proButton(page).click();
    await page.waitForURL(`${checkoutHost.url}/checkout/polar_c_ok`);
    expect(requests).toEqual([{ product_id: 'prod_pro' }]);
  });

  test('the dialog animates in unless reduced motion is asked for', async ({ page }) => {
    await setUp(page);
    await proButton(page).click();
    await expect(page.locator('polar-checkout-dialog [part="dialog"]')).toHaveCSS('animation-name', 'rise');
    await page.keyboard.press('Escape');
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await proButton(page).click();
    await expect(page.locator('polar-checkout-dialog [part="dialog"]')).toHaveCSS('animation-name', 'none');
  });

  test('the dialog follows the theme and stays usable at 320 px', async ({ page }) => {
    await page.emulateMedia({ reducedMotion: 'reduce' });
    await page.setViewportSize({ width: 320, height: 600 });
    await setUp(page, { body: '<polar-pricing-table theme="dark"></polar-pricing-table>' });
    await proButton(page).click();
    await expect(dialog(page)).toBeVisible();
    await expect(page.locator('polar-checkout-dialog')).toHaveAttribute('theme', 'dark');
    const box = await dialog(page).boundingBox();
    expect(box).toEqual({ x: 0, y: 0, width: 320, height: 600 });
    expect(
      new URL((await page.locator('polar-checkout-dialog iframe').getAttribute('src'))!).searchParams.get(
        'theme',
      ),
    ).toBe('dark');
    await expectNoAxeViolations(page, 'polar-checkout-dialog iframe');
  });
});

test.describe('<polar-checkout-button>', () => {
  test('opens the checkout of its product, labelled by its content', async ({ page }) => {
    const { requests } = await setUp(page, {
      body: '<polar-checkout-button product-id="prod_starter">Get <b>Starter</b></polar-checkout-button>',
    });
    const button = page.getByRole('button', { name: 'Get Starter' });
    await button.focus();
    await page.keyboard.press('Space');
    await expect(dialog(page)).toBeVisible();
    expect(requests).toEqual([{ product_id: 'prod_starter', embed_origin: site.url }]);
    await page.keyboard.press('Escape');
    await expect(button).toBeFocused();
    await expectNoAxeViolations(page, 'polar-checkout-dialog iframe');
  });

  test('has a default label', async ({ page }) => {
    await setUp(page, { body: '<polar-checkout-button product-id="prod_starter"></polar-checkout-button>' });
    await expect(page.getByRole('button', { name: 'Buy now' })).toBeVisible();
  });
});
