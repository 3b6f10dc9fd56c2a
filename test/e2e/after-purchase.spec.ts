/**
 * What happens after a purchase, through the demo pages and the emulator's control API (which stands in for the
 * passing of time): license keys, cancelling in the portal, revocation, renewal and refund.
 */
import { expect, test, type Page } from '@playwright/test';
import type { OrdersResponse } from '../../contract/contract.js';
import {
  access,
  CARDS,
  checkAccessOnAccountPage,
  expectPaidReceipt,
  finalScreenshot,
  openAccount,
  overlayCheckout,
  paidOrders,
  payWith,
  planButton,
  startDemo,
  type Demo,
} from './demo.js';

let demo: Demo;
test.beforeAll(async () => {
  demo = await startDemo();
});
test.afterAll(async () => demo?.close());

/** Buys `plan` in the overlay with the good card and waits for the paid receipt. */
async function buy(page: Page, plan: string, email: string): Promise<void> {
  await page.goto(demo.url);
  await planButton(page, plan).click();
  await payWith(overlayCheckout(page), CARDS.pays, email);
  await expectPaidReceipt(page, demo, plan);
}

async function subscriptionOf(email: string): Promise<string> {
  const [order] = await paidOrders(demo, email, 1);
  expect(order!.subscription_id).toBeTruthy();
  return order!.subscription_id!;
}

test.describe('after the purchase', () => {
  test('the lifetime license: the key shown in the portal validates through the kit', async ({ page }) => {
    const email = 'license@example.com';
    await buy(page, 'Lifetime License', email);
    await page.getByRole('button', { name: 'Manage subscription' }).click();
    await page.waitForURL(/\/portal\?customer_session_token=/);
    const keys = page.getByRole('region', { name: 'License keys' });
    await keys.getByText('Show key').click();
    const key = (await keys.locator('.full-key').textContent())!.trim();
    expect(key).not.toBe('');

    await page.goto(`${demo.url}/account.html`);
    await page.getByRole('textbox', { name: 'License key' }).fill(key);
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect(page.locator('.license-state')).toHaveText(
      'License key granted; up to 3 activations; never expires.',
    );

    await page.getByRole('textbox', { name: 'License key' }).fill(`${key}-not-mine`);
    await page.getByRole('button', { name: 'Validate' }).click();
    await expect(page.locator('#license-result [role="alert"]')).toContainText('LICENSE_KEY');
    await finalScreenshot(page, 'license-key');
  });

  test('cancel in the portal sets cancel_at_period_end; a revocation ends access', async ({ page }) => {
    const email = 'cancel@example.com';
    await buy(page, 'Monthly Plan', email);
    const subscriptionId = await subscriptionOf(email);
    await page.getByRole('button', { name: 'Manage subscription' }).click();
    await page.waitForURL(/\/portal\?customer_session_token=/);
    const subscriptions = page.getByRole('region', { name: 'Subscriptions' });
    await subscriptions.getByRole('button', { name: 'Cancel subscription' }).click();
    await expect(subscriptions.getByRole('button', { name: 'Resume subscription' })).toBeVisible();
    await expect
      .poll(async () => (await access(demo, email)).subscriptions[0]?.cancel_at_period_end, {
        timeout: 20_000,
      })
      .toBe(true);

    await openAccount(page, demo);
    let result = await checkAccessOnAccountPage(page, email);
    await expect(result.locator('.access-state')).toHaveText('Access: active');
    await expect(result.getByRole('table', { name: 'Subscriptions' }).getByRole('row').nth(1)).toContainText(
      'yes',
    );

    await demo.control(`/subscriptions/${subscriptionId}/revoke`);
    await expect.poll(async () => (await access(demo, email)).active, { timeout: 20_000 }).toBe(false);
    result = await checkAccessOnAccountPage(page, email);
    await expect(result.locator('.access-state')).toHaveText('Access: none');
    await finalScreenshot(page, 'cancel-and-revoke');
  });

  test('a renewal makes a second order', async ({ page }) => {
    const email = 'renewal@example.com';
    await buy(page, 'Monthly Plan', email);
    const subscriptionId = await subscriptionOf(email);
    await demo.control(`/subscriptions/${subscriptionId}/renew`);
    const orders = await paidOrders(demo, email, 2);
    expect(orders.map((order) => order.billing_reason)).toEqual([
      'subscription_cycle',
      'subscription_create',
    ]);

    await openAccount(page, demo);
    await page.getByLabel('Customer email').fill(email);
    await page.getByRole('button', { name: 'Show orders' }).click();
    const table = page.getByRole('table', { name: /2 orders for renewal@example\.com/ });
    await expect(table.getByRole('row')).toHaveCount(3);
    await expect(table).toContainText('subscription_cycle');
    expect((await access(demo, email)).active).toBe(true);

    // The signed webhooks that carried it are in the event log, and one can be replayed without changing anything.
    await page.getByRole('button', { name: 'Show events' }).click();
    const events = page.getByRole('table', { name: /webhook events/ });
    await expect(events.getByRole('row', { name: /order\.paid/ }).first()).toContainText('processed');
    await events
      .getByRole('button', { name: /^Replay order\.paid/ })
      .first()
      .click();
    await expect(events.getByRole('button', { name: /^Replay order\.paid/ }).first()).toBeEnabled();
    await expect(page.locator('#events-result [role="alert"]')).toHaveCount(0);
    await paidOrders(demo, email, 2);
    await finalScreenshot(page, 'renewal');
  });

  test('a card whose renewals fail: after the failed renewal the subscription no longer grants its plan', async ({
    page,
  }) => {
    const email = 'past-due@example.com';
    await page.goto(demo.url);
    await planButton(page, 'Monthly Plan').click();
    await payWith(overlayCheckout(page), CARDS.renewalsFail, email);
    await expectPaidReceipt(page, demo, 'Monthly Plan');
    const subscriptionId = await subscriptionOf(email);
    expect((await access(demo, email)).active).toBe(true);
    await demo.control(`/subscriptions/${subscriptionId}/renew`);
    await expect.poll(async () => (await access(demo, email)).product_ids, { timeout: 20_000 }).toEqual([]);
    const [renewal, first] = await paidOrders(demo, email, 1);
    expect(first).toMatchObject({ paid: true, billing_reason: 'subscription_create' });
    expect(renewal).toMatchObject({ paid: false, billing_reason: 'subscription_cycle' });

    await openAccount(page, demo);
    const result = await checkAccessOnAccountPage(page, email);
    await expect(result.getByRole('table', { name: 'Subscriptions' })).toHaveCount(0);
    await finalScreenshot(page, 'renewal-fails');
  });

  test('a refund removes access', async ({ page }) => {
    const email = 'refund@example.com';
    await buy(page, 'Monthly Plan', email);
    const [order] = await paidOrders(demo, email, 1);
    expect((await access(demo, email)).active).toBe(true);
    await demo.control(`/orders/${order!.id}/refund`, { revoke_benefits: true, reason: 'customer_request' });
    await expect.poll(async () => (await access(demo, email)).active, { timeout: 20_000 }).toBe(false);
    await expect
      .poll(
        async () => (await demo.admin<OrdersResponse>(`/api/orders/${encodeURIComponent(email)}`))[0]?.status,
        {
          timeout: 20_000,
        },
      )
      .toBe('refunded');

    await openAccount(page, demo);
    const result = await checkAccessOnAccountPage(page, email);
    await expect(result.locator('.access-state')).toHaveText('Access: none');
    await page.getByRole('button', { name: 'Show stats' }).click();
    await expect(page.getByRole('table', { name: 'Revenue', exact: true })).toContainText('USD');
    await finalScreenshot(page, 'refund');
  });
});
