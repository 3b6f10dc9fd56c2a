import { AxeBuilder } from '@axe-core/playwright';
import { expect, test } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

let emulator: Emulator;

test.beforeEach(async () => {
  emulator = await startEmulator();
});

test.afterEach(async () => {
  await emulator?.close();
});

function rest(method: string, path: string, body?: unknown): Promise<{ status: number; body: Json }> {
  return emulatorRest(emulator.url, method, path, body);
}

/** Buys `productName` as `email` through the control API's pay shortcut; returns the paid checkout. */
async function buy(productName: string, email: string): Promise<Json> {
  const { body: list } = await rest('GET', '/v1/products/?limit=100');
  const product = (list.items as Json[]).find((p) => p.name === productName);
  expect(product, `catalog has ${productName}`).toBeDefined();
  const created = await rest('POST', '/v1/checkouts/', {
    products: [product?.id],
    customer_email: email,
    customer_name: 'Portal Buyer',
  });
  expect(created.status).toBe(201);
  const paid = await rest('POST', `/_emulator/checkouts/${created.body.id}/pay`, {
    card: { number: '4242424242424242', exp_month: 12, exp_year: 2034, cvc: '123', name: 'Portal Buyer' },
  });
  expect(paid.status).toBe(200);
  return (await rest('GET', `/v1/checkouts/${created.body.id}`)).body;
}

/** A customer with a monthly subscription and a lifetime license, and a portal link for them. */
async function customerWithPurchases(email: string) {
  const subscriptionCheckout = await buy('Monthly Plan', email);
  const licenseCheckout = await buy('Lifetime License', email);
  const customerId: string = licenseCheckout.customer_id;
  expect(subscriptionCheckout.customer_id).toBe(customerId);
  const session = await rest('POST', '/v1/customer-sessions/', { customer_id: customerId });
  expect(session.status).toBe(201);
  const { body: subs } = await rest('GET', `/v1/subscriptions/?customer_id=${customerId}`);
  return {
    customerId,
    portalUrl: session.body.customer_portal_url as string,
    subscriptionId: (subs.items as Json[])[0]?.id as string,
  };
}

test.describe('customer portal page', () => {
  test('lists the customer’s orders, subscriptions and license keys', async ({ page }) => {
    const { portalUrl, customerId } = await customerWithPurchases('lister@example.com');
    await page.goto(portalUrl);
    await expect(page.getByTestId('customer-email')).toHaveText('lister@example.com');

    const orders = page.getByRole('region', { name: 'Orders' });
    await expect(orders.getByRole('row')).toHaveCount(3); // header + two orders
    await expect(orders.getByRole('cell', { name: 'Monthly Plan' })).toBeVisible();
    await expect(orders.getByRole('cell', { name: '$19.99' })).toBeVisible();
    await expect(orders.getByRole('cell', { name: 'Lifetime License' })).toBeVisible();

    const subscriptions = page.getByRole('region', { name: 'Subscriptions' });
    await expect(subscriptions.getByRole('heading', { name: 'Monthly Plan' })).toBeVisible();
    await expect(subscriptions.getByText(/^Renews on /)).toBeVisible();
    await expect(subscriptions.getByRole('button', { name: 'Cancel subscription' })).toBeVisible();

    const { body: keys } = await rest('GET', `/v1/license-keys/?customer_id=${customerId}`);
    const key = (keys.items as Json[])[0] as Json;
    const keysRegion = page.getByRole('region', { name: 'License keys' });
    await expect(keysRegion.getByRole('row')).toHaveCount(2);
    await expect(keysRegion.getByText(key.display_key, { exact: true })).toBeVisible();
    await expect(keysRegion.getByRole('cell', { name: 'granted' })).toBeVisible();
    const limit = key.limit_activations === null ? null : Number(key.limit_activations);
    await expect(
      keysRegion.getByRole('cell', { name: limit === null ? 'Unlimited' : `0 of ${limit}` }),
    ).toBeVisible();

    const activated = await rest('POST', '/v1/customer-portal/license-keys/activate', {
      key: key.key,
      organization_id: key.organization_id,
      label: 'laptop',
    });
    expect(activated.status).toBe(200);
    await page.reload();
    await expect(
      keysRegion.getByRole('cell', { name: limit === null ? '1 (no limit)' : `1 of ${limit}` }),
    ).toBeVisible();
    await keysRegion.getByText('Show key').click();
    await expect(keysRegion.getByText(key.key, { exact: true })).toBeVisible();
  });

  test('cancels a subscription at period end and resumes it', async ({ page }) => {
    const { portalUrl, subscriptionId } = await customerWithPurchases('canceler@example.com');
    await page.goto(portalUrl);
    const subscriptions = page.getByRole('region', { name: 'Subscriptions' });

    await subscriptions.getByRole('button', { name: 'Cancel subscription' }).click();
    await expect(subscriptions.getByRole('button', { name: 'Resume subscription' })).toBeVisible();
    await expect(subscriptions.getByText(/^Ends on /)).toBeVisible();
    await expect(page.getByRole('status')).toContainText('will end on');
    let sub = (await rest('GET', `/v1/subscriptions/${subscriptionId}`)).body;
    expect(sub).toMatchObject({ cancel_at_period_end: true, status: 'active' });

    await subscriptions.getByRole('button', { name: 'Resume subscription' }).click();
    await expect(subscriptions.getByRole('button', { name: 'Cancel subscription' })).toBeVisible();
    await expect(subscriptions.getByText(/^Renews on /)).toBeVisible();
    sub = (await rest('GET', `/v1/subscriptions/${subscriptionId}`)).body;
    expect(sub).toMatchObject({ cancel_at_period_end: false, status: 'active' });
  });

  test('says the link is invalid for an unknown or missing token', async ({ page }) => {
    const { portalUrl } = await customerWithPurchases('token@example.com');
    const bad = new URL(portalUrl);
    bad.searchParams.set('customer_session_token', 'polar_cst_notavalidtoken');
    await page.goto(bad.href);
    await expect(
      page.getByRole('heading', { name: 'This portal link is invalid or has expired' }),
    ).toBeVisible();

    bad.searchParams.delete('customer_session_token');
    await page.goto(bad.href);
    await expect(
      page.getByRole('heading', { name: 'This portal link is invalid or has expired' }),
    ).toBeVisible();
  });

  test('answers 404 for another organization’s portal path', async ({ request }) => {
    const response = await request.get(`${emulator.url}/someone-else/portal?customer_session_token=x`);
    expect(response.status()).toBe(404);
  });

  for (const theme of ['light', 'dark']) {
    test(`has no axe violations (${theme}), at 320 px too`, async ({ page }) => {
      const { portalUrl } = await customerWithPurchases(`axe-${theme}@example.com`);
      const url = new URL(portalUrl);
      url.searchParams.set('theme', theme);
      await page.goto(url.href);
      await expect(page.getByRole('button', { name: 'Cancel subscription' })).toBeVisible();
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      await page.setViewportSize({ width: 320, height: 640 });
      expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(320);
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
    });
  }
});
