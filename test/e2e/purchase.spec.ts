/**
 * Buyers' journeys through the demo pages, against `polar-kit start` (kit, emulator and demo) on free ports with
 * a temp database: every payment goes through the emulator's hosted checkout and reaches the kit as signed webhooks.
 */
import { expect, test } from '@playwright/test';
import {
  access,
  CARDS,
  expectPaidReceipt,
  finalScreenshot,
  overlayCheckout,
  paidOrders,
  payButton,
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

test.describe('buying from the demo pricing page', () => {
  test('monthly plan in the overlay with 4242: the success page shows the paid order, the kit has it and access is active', async ({
    page,
  }) => {
    const email = 'monthly@example.com';
    await page.goto(demo.url);
    await expect(page.getByRole('status').filter({ hasText: 'Local emulator' })).toContainText(CARDS.pays);
    await planButton(page, 'Monthly Plan').click();
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toBeVisible();
    await payWith(overlayCheckout(page), CARDS.pays, email);
    const checkoutId = await expectPaidReceipt(page, demo, 'Monthly Plan');
    await expect(page.locator('polar-order-status dd').nth(1)).toHaveText('$19.99');

    const [order] = await paidOrders(demo, email, 1);
    expect(order).toMatchObject({
      checkout_id: checkoutId,
      product_name: 'Monthly Plan',
      total_amount: 1999,
      billing_reason: 'subscription_create',
    });
    const granted = await access(demo, email);
    expect(granted.active).toBe(true);
    expect(granted.subscriptions).toMatchObject([{ status: 'active', cancel_at_period_end: false }]);
    await finalScreenshot(page, 'monthly-overlay');
  });

  test('yearly plan in redirect mode: the buyer leaves for the hosted page and comes back paid', async ({
    page,
  }) => {
    const email = 'yearly@example.com';
    await page.goto(demo.url);
    await page.getByLabel("on Polar's page (redirect)").check();
    await page.locator('polar-pricing-table [part="interval-option"]', { hasText: 'Yearly' }).click();
    await expect(page.getByRole('radio', { name: /Yearly/ })).toBeChecked();
    await planButton(page, 'Yearly Plan').click();
    await page.waitForURL(/\/checkout\/[^/]+$/);
    expect(new URL(page.url()).port).toBe(new URL(demo.emulatorUrl).port);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Yearly Plan');
    await payWith(page, CARDS.pays, email);
    await expectPaidReceipt(page, demo, 'Yearly Plan');
    await expect(page.locator('polar-order-status dd').nth(1)).toHaveText('$49.99');
    const [order] = await paidOrders(demo, email, 1);
    expect(order).toMatchObject({ product_name: 'Yearly Plan', total_amount: 4999 });
    expect((await access(demo, email)).active).toBe(true);
    await finalScreenshot(page, 'yearly-redirect');
  });

  test('a declined card leaves the buyer in the checkout; a good card then pays', async ({ page }) => {
    const email = 'declined@example.com';
    await page.goto(demo.url);
    await planButton(page, 'Monthly Plan').click();
    const checkout = overlayCheckout(page);
    await payWith(checkout, CARDS.declined, email);
    await expect(checkout.getByRole('alert')).toHaveText('Your card was declined.');
    await expect(page.getByRole('dialog', { name: 'Checkout' })).toBeVisible();
    expect(await demo.admin<unknown[]>(`/api/orders/${encodeURIComponent(email)}`)).toEqual([]);

    await checkout.getByLabel('Card number').fill(CARDS.pays);
    await payButton(checkout).click();
    await expectPaidReceipt(page, demo, 'Monthly Plan');
    await paidOrders(demo, email, 1);
    await finalScreenshot(page, 'declined-then-paid');
  });

  test('a card that asks for an extra authentication step pays once the buyer completes it', async ({
    page,
  }) => {
    const email = 'authenticate@example.com';
    await page.goto(demo.url);
    await planButton(page, 'Lifetime License').click();
    const checkout = overlayCheckout(page);
    await payWith(checkout, CARDS.authentication, email);
    await expect(checkout.getByRole('heading', { name: 'Authenticate this payment' })).toBeVisible();
    await checkout.getByRole('button', { name: 'Complete authentication' }).click();
    await expectPaidReceipt(page, demo, 'Lifetime License');
    await expect(page.locator('polar-order-status dd').nth(1)).toHaveText('$149');
    await paidOrders(demo, email, 1);
    await finalScreenshot(page, 'extra-authentication');
  });

  test('the "any website" page on another origin sells with nothing but the script tag and the element', async ({
    page,
  }) => {
    const email = 'anywhere@example.com';
    await page.goto(demo.anyWebsiteUrl);
    expect(new URL(page.url()).origin).not.toBe(new URL(demo.url).origin);
    await expect(page.locator('polar-pricing-table')).toHaveAttribute('api-base', demo.url);
    await planButton(page, 'Monthly Plan').click();
    await payWith(overlayCheckout(page), CARDS.pays, email);
    await expectPaidReceipt(page, demo, 'Monthly Plan');
    const [order] = await paidOrders(demo, email, 1);
    expect(order!.product_name).toBe('Monthly Plan');
    await finalScreenshot(page, 'any-website');
  });
});
