import { expect, test, type Page } from '@playwright/test';
import type { CheckoutStatusResponse, PortalRequest } from '../../contract/contract.js';
import {
  ensureWidgetBuilt,
  expectNoAxeViolations,
  events,
  fixturePage,
  PAID_ORDER,
  problem,
  recordEvents,
  startStaticServer,
  statusResponse,
  type StaticServer,
} from './fixtures.js';

let site: StaticServer;

test.beforeAll(async () => {
  ensureWidgetBuilt();
  site = await startStaticServer();
});
test.afterAll(async () => site?.close());

async function open(page: Page, body: string, query = ''): Promise<void> {
  const name = `/s${Math.random().toString(36).slice(2)}.html`;
  site.page(name, fixturePage(body));
  await page.goto(`${site.url}${name}${query}`);
}

/** Answers the status polls with `answers` in turn (the last one repeats); returns the request times. */
async function routeStatus(
  page: Page,
  answers: Array<CheckoutStatusResponse | number>,
): Promise<{ ids: string[]; times: number[] }> {
  const seen = { ids: [] as string[], times: [] as number[] };
  await page.route('**/api/checkout/*', (route) => {
    seen.ids.push(decodeURIComponent(new URL(route.request().url()).pathname.split('/').pop()!));
    seen.times.push(Date.now());
    const answer = answers[Math.min(seen.times.length - 1, answers.length - 1)]!;
    return typeof answer === 'number'
      ? route.fulfill({
          status: answer,
          contentType: 'application/problem+json',
          body: JSON.stringify(problem(answer === 404 ? 'CHECKOUT_NOT_FOUND' : 'POLAR_UNAVAILABLE', answer)),
        })
      : route.fulfill({ json: answer });
  });
  return seen;
}

const status = (page: Page) => page.locator('polar-order-status [part="status"]');

test.describe('<polar-order-status>', () => {
  test('polls with growing delays until the order is paid, then shows the receipt', async ({ page }) => {
    const seen = await routeStatus(page, [
      statusResponse({ status: 'open' }),
      503,
      statusResponse({ status: 'succeeded' }),
      statusResponse({ status: 'succeeded', order: PAID_ORDER }),
    ]);
    await open(
      page,
      '<polar-order-status locale="en-US"></polar-order-status>',
      '?checkout_id=co_polar_c_ok',
    );
    const base = page.locator('polar-order-status [part="base"]');
    await expect(base).toHaveAttribute('aria-live', 'polite');
    await expect(status(page)).toHaveText('Waiting for the payment confirmation…');
    await expect(base).toHaveAttribute('aria-busy', 'true');
    await expectNoAxeViolations(page);
    await expect(status(page)).toHaveText('Payment received. Preparing your receipt…', { timeout: 8_000 });
    await expect(status(page)).toHaveText('Thank you! Your payment was received.', { timeout: 8_000 });
    await expect(base).toHaveAttribute('aria-busy', 'false');
    const receipt = page.locator('polar-order-status [part="receipt"]');
    await expect(receipt.locator('dd')).toHaveText(['Pro', '$29', 'order_123', 'November 23, 2026']);
    expect(seen.ids).toEqual(['co_polar_c_ok', 'co_polar_c_ok', 'co_polar_c_ok', 'co_polar_c_ok']);
    const gaps = seen.times.slice(1).map((t, i) => t - seen.times[i]!);
    expect(gaps[0]).toBeGreaterThanOrEqual(900);
    expect(gaps[2]!).toBeGreaterThan(gaps[0]! * 1.5);
    await page.waitForTimeout(2_500);
    expect(seen.times).toHaveLength(4);
    await expectNoAxeViolations(page);
  });

  test('stops at a failed or expired checkout', async ({ page }) => {
    await routeStatus(page, [statusResponse({ status: 'expired' })]);
    await open(page, '<polar-order-status checkout-id="co_1"></polar-order-status>');
    await expect(status(page)).toHaveText('This checkout has expired. Please start again.');
    await routeStatus(page, [statusResponse({ status: 'failed' })]);
    await page.locator('polar-order-status').evaluate((el) => el.setAttribute('checkout-id', 'co_2'));
    await expect(status(page)).toHaveText('The payment failed. No money was taken.');
  });

  test('reports an unknown checkout with polar-error', async ({ page }) => {
    await recordEvents(page);
    await routeStatus(page, [404]);
    await open(page, '<polar-order-status checkout-id="co_nope"></polar-order-status>');
    await expect(status(page)).toHaveText('No checkout was found for this link.');
    expect((await events(page)).find((e) => e.type === 'polar-error')?.detail).toMatchObject({
      code: 'CHECKOUT_NOT_FOUND',
      status: 404,
    });
  });

  test('gives up after poll-timeout with a button to check again', async ({ page }) => {
    await routeStatus(page, [statusResponse({ status: 'open' })]);
    await open(page, '<polar-order-status checkout-id="co_1" poll-timeout="1500"></polar-order-status>');
    await expect(status(page)).toHaveText(
      'The payment has not been confirmed yet. It can take a few minutes.',
      { timeout: 6_000 },
    );
    await routeStatus(page, [statusResponse({ status: 'succeeded', order: PAID_ORDER })]);
    await page.getByRole('button', { name: 'Check again' }).click();
    await expect(status(page)).toHaveText('Thank you! Your payment was received.');
    await expectNoAxeViolations(page);
  });

  test('without a checkout id, says there is nothing to show', async ({ page }) => {
    await open(page, '<polar-order-status></polar-order-status>');
    await expect(status(page)).toHaveText('No checkout to show.');
  });
});

test.describe('<polar-portal-button>', () => {
  test('asks the kit for a portal session for the checkout and goes there', async ({ page }) => {
    const requests: PortalRequest[] = [];
    site.page('/portal.html', fixturePage('<p>Portal</p>'));
    await page.route('**/api/portal', (route) => {
      requests.push(route.request().postDataJSON() as PortalRequest);
      return route.fulfill({
        json: { portal_url: `${site.url}/portal.html?customer_session_token=polar_cst_1` },
      });
    });
    await open(page, '<polar-portal-button></polar-portal-button>', '?checkout_id=co_polar_c_ok');
    await expectNoAxeViolations(page);
    await page.keyboard.press('Tab');
    await expect(page.getByRole('button', { name: 'Manage subscription' })).toBeFocused();
    await page.keyboard.press('Enter');
    await page.waitForURL(`${site.url}/portal.html?customer_session_token=polar_cst_1`);
    expect(requests).toEqual([{ checkout_id: 'co_polar_c_ok' }]);
  });

  test('shows an error and fires polar-error when the kit refuses', async ({ page }) => {
    await recordEvents(page);
    await page.route('**/api/portal', (route) =>
      route.fulfill({
        status: 409,
        contentType: 'application/problem+json',
        body: JSON.stringify(problem('CHECKOUT_NOT_PAID', 409)),
      }),
    );
    await open(page, '<polar-portal-button checkout-id="co_1">Your account</polar-portal-button>');
    await page.getByRole('button', { name: 'Your account' }).click();
    await expect(page.getByRole('alert')).toHaveText('The customer portal could not be opened.');
    expect((await events(page)).find((e) => e.type === 'polar-error')?.detail).toMatchObject({
      code: 'CHECKOUT_NOT_PAID',
      status: 409,
    });
    await expectNoAxeViolations(page);
  });
});
