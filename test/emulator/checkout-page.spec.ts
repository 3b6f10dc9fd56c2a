import { AxeBuilder } from '@axe-core/playwright';
import { expect, test, type Page } from '@playwright/test';
import { startEmulator } from '../helpers/emulator.js';
import { emulatorRest, type Json } from '../helpers/emulator-rest.js';

type Emulator = Awaited<ReturnType<typeof startEmulator>>;

const SUCCESS_BASE = 'http://127.0.0.1:9/thanks';

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

async function products(): Promise<Json[]> {
  const { body } = await rest('GET', '/v1/products/?limit=100');
  return body.items as Json[];
}

async function findProduct(match: (p: Json) => boolean): Promise<Json> {
  const product = (await products()).find(match);
  if (!product) throw new Error('the default catalog lacks a product this test needs');
  return product;
}

const monthly = (p: Json) => p.recurring_interval === 'month' && p.prices[0]?.price_amount === 1999;
const lifetime = (p: Json) => p.name === 'Lifetime License';
const free = (p: Json) => p.prices[0]?.amount_type === 'fixed' && p.prices[0]?.price_amount === 0;
const payWhatYouWant = (p: Json) => p.prices[0]?.amount_type === 'custom';

async function createCheckout(product: Json, extra: Json = {}): Promise<Json> {
  const { status, body } = await rest('POST', '/v1/checkouts/', {
    products: [product.id],
    success_url: `${SUCCESS_BASE}?checkout_id={CHECKOUT_ID}`,
    ...extra,
  });
  expect(status).toBe(201);
  return body;
}

/** Stops navigation to the merchant's success page and records where the page went. */
async function catchSuccessPage(page: Page): Promise<void> {
  await page.route(`${SUCCESS_BASE}**`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Thanks</title>' }),
  );
}

async function fillCard(page: Page, number: string, email = 'buyer@example.com'): Promise<void> {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Cardholder name').fill('Jane Buyer');
  await page.getByLabel('Card number').fill(number);
  await page.getByLabel('Expiration date').fill('12 / 34');
  await page.getByLabel('CVC').fill('123');
}

function payButton(page: Page) {
  return page.getByRole('button', { name: /^(Pay|Subscribe)/ });
}

async function ordersOf(checkoutId: string): Promise<Json[]> {
  const { body } = await rest('GET', `/v1/orders/?checkout_id=${checkoutId}`);
  return body.items as Json[];
}

test.describe('hosted checkout page', () => {
  test('shows the product, price and interval, and a labelled card form', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(monthly));
    await page.goto(checkout.url);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(checkout.product.name);
    await expect(page.getByText('$19.99 per month').first()).toBeVisible();
    for (const label of ['Email', 'Cardholder name', 'Card number', 'Expiration date', 'CVC']) {
      await expect(page.getByLabel(label)).toBeVisible();
    }
    await expect(payButton(page)).toHaveText('Subscribe — $19.99 per month');
    await expect(page.getByRole('heading', { name: 'Test mode' })).toBeVisible();
    await expect(page.getByText('4242 4242 4242 4242')).toBeVisible();
  });

  test('pays a one-time product with 4242 and redirects to success_url with the checkout id', async ({
    page,
  }) => {
    const checkout = await createCheckout(await findProduct(lifetime));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await expect(payButton(page)).toHaveText(/^Pay \$/);
    await fillCard(page, '4242 4242 4242 4242');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);

    const after = await rest('GET', `/v1/checkouts/${checkout.id}`);
    expect(after.body.status).toBe('succeeded');
    const orders = await ordersOf(checkout.id);
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      paid: true,
      billing_reason: 'purchase',
      total_amount: checkout.amount,
    });
    expect(orders[0]?.customer.email).toBe('buyer@example.com');
  });

  test('subscribes with 4242: the order is a subscription_create and the subscription is active', async ({
    page,
  }) => {
    const checkout = await createCheckout(await findProduct(monthly));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await fillCard(page, '4242424242424242');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);

    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({
      billing_reason: 'subscription_create',
      total_amount: 1999,
      paid: true,
    });
    const subscription = await rest('GET', `/v1/subscriptions/${orders[0]?.subscription_id}`);
    expect(subscription.body).toMatchObject({ status: 'active', recurring_interval: 'month' });
  });

  test('shows a decline in an alert, keeps the checkout open, and pays with a good card on retry', async ({
    page,
  }) => {
    const checkout = await createCheckout(await findProduct(lifetime));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await fillCard(page, '4000 0000 0000 0002');
    await payButton(page).click();
    await expect(page.getByRole('alert')).toHaveText('Your card was declined.');
    await expect(payButton(page)).toBeEnabled();
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('open');
    expect(await ordersOf(checkout.id)).toHaveLength(0);

    await page.getByLabel('Card number').fill('4242 4242 4242 4242');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    expect(await ordersOf(checkout.id)).toHaveLength(1);
  });

  test('asks for authentication with 3155: failing it allows a retry, completing it pays', async ({
    page,
  }) => {
    const checkout = await createCheckout(await findProduct(monthly));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await fillCard(page, '4000 0025 0000 3155');
    await payButton(page).click();
    await expect(page.getByRole('heading', { name: 'Authenticate this payment' })).toBeVisible();
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('confirmed');

    await page.getByRole('button', { name: 'Fail authentication' }).click();
    await expect(page.getByRole('alert')).toHaveText('Card authentication failed.');
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('open');
    expect(await ordersOf(checkout.id)).toHaveLength(0);

    await payButton(page).click();
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    expect(await ordersOf(checkout.id)).toHaveLength(1);
  });

  test('pays with 0341 now (its renewals fail later)', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(monthly));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await fillCard(page, '4000 0000 0000 0341');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({ paid: true, billing_reason: 'subscription_create' });

    const subscriptionId = orders[0]?.subscription_id as string;
    const renewal = await rest('POST', `/_emulator/subscriptions/${subscriptionId}/renew`);
    expect(renewal.status).toBe(200);
    expect((await rest('GET', `/v1/subscriptions/${subscriptionId}`)).body.status).toBe('past_due');
  });

  test('links back to the return URL', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(lifetime), {
      return_url: 'http://127.0.0.1:9/pricing',
    });
    await page.goto(checkout.url);
    await expect(page.getByRole('link', { name: 'Back' })).toHaveAttribute(
      'href',
      'http://127.0.0.1:9/pricing',
    );
  });

  test('can be filled and paid with the keyboard alone', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(lifetime), { customer_email: null });
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await expect(payButton(page)).toBeVisible();
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Email')).toBeFocused();
    await page.keyboard.type('keys@example.com');
    await page.keyboard.press('Tab');
    await expect(page.getByLabel('Cardholder name')).toBeFocused();
    await page.keyboard.type('Kay Board');
    await page.keyboard.press('Tab');
    await page.keyboard.type('4242424242424242');
    await expect(page.getByLabel('Card number')).toHaveValue('4242 4242 4242 4242');
    await page.keyboard.press('Tab');
    await page.keyboard.type('1234');
    await expect(page.getByLabel('Expiration date')).toHaveValue('12 / 34');
    await page.keyboard.press('Tab');
    await page.keyboard.type('123');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
  });

  test('points at missing fields before sending anything', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(lifetime), { customer_email: null });
    await page.goto(checkout.url);
    await payButton(page).click();
    await expect(page.getByRole('alert')).toHaveText('Please correct the highlighted fields.');
    await expect(page.getByLabel('Email')).toBeFocused();
    for (const label of ['Email', 'Cardholder name', 'Card number', 'Expiration date', 'CVC']) {
      await expect(page.getByLabel(label)).toHaveAttribute('aria-invalid', 'true');
    }
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('open');
  });

  test('shows the emulator’s card validation errors next to the field', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(lifetime));
    await page.goto(checkout.url);
    await fillCard(page, '4242 4242 4242 4241');
    await payButton(page).click();
    await expect(page.getByLabel('Card number')).toHaveAttribute('aria-invalid', 'true');
    await expect(page.getByRole('alert')).not.toBeEmpty();
    expect((await rest('GET', `/v1/checkouts/${checkout.id}`)).body.status).toBe('open');
  });

  test('takes a free plan without card fields', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(free));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await expect(page.getByLabel('Email')).toBeVisible();
    await expect(page.getByLabel('Card number')).toBeHidden();
    await page.getByLabel('Email').fill('free@example.com');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({ total_amount: 0 });
  });

  test('charges the amount a buyer names for a pay-what-you-want product', async ({ page }) => {
    const product = await findProduct(payWhatYouWant);
    const minimum: number = product.prices[0].minimum_amount;
    const checkout = await createCheckout(product);
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    const amount = page.getByLabel(/^Amount/);
    await expect(amount).toBeVisible();

    if (minimum > 0) {
      await amount.fill(((minimum - 1) / 100).toFixed(2));
      await amount.blur();
      await expect(amount).toHaveAttribute('aria-invalid', 'true');
    }
    const chosen = minimum + 1234;
    await amount.fill((chosen / 100).toFixed(2));
    await amount.blur();
    await expect(payButton(page)).toHaveText(`Pay $${(chosen / 100).toFixed(2)}`);
    await fillCard(page, '4242 4242 4242 4242');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({ total_amount: chosen, paid: true });
  });

  test('applies a discount code: a wrong one is refused, a good one lowers the price that is charged', async ({
    page,
  }) => {
    const checkout = await createCheckout(await findProduct(monthly));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    const code = page.getByLabel('Discount code');
    await code.fill('NOPE');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(code).toHaveAttribute('aria-invalid', 'true');

    await fillCard(page, '4242 4242 4242 4242');
    await code.fill('launch25');
    await page.getByRole('button', { name: 'Apply' }).click();
    await expect(page.getByText('Discount applied: Launch 25% off.')).toBeVisible();
    const discounted = (await rest('GET', `/v1/checkouts/${checkout.id}`)).body;
    expect(discounted.total_amount).toBeLessThan(1999);
    const total = `$${(discounted.total_amount / 100).toFixed(2)}`;
    await expect(payButton(page)).toHaveText(`Subscribe — ${total} per month`);
    await expect(page.getByTestId('discount')).toContainText('Launch 25% off');
    // What was typed before the redraw is still there.
    await expect(page.getByLabel('Card number')).toHaveValue('4242 4242 4242 4242');

    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({
      total_amount: discounted.total_amount,
      discount_amount: 1999 - discounted.total_amount,
    });
  });

  test('lets the buyer choose between the checkout’s products', async ({ page }) => {
    const yearly = await findProduct((p) => p.recurring_interval === 'year');
    const checkout = await createCheckout(await findProduct(monthly), {
      products: [(await findProduct(monthly)).id, yearly.id],
    });
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    const choice = page.getByRole('group', { name: 'Choose a plan' });
    await expect(choice.getByRole('radio')).toHaveCount(2);
    await expect(choice.getByRole('radio', { name: /^Monthly Plan/ })).toBeChecked();
    await fillCard(page, '4242 4242 4242 4242');

    await choice.getByRole('radio', { name: /^Yearly Plan — \$49\.99 per year$/ }).check();
    await expect(page.getByRole('heading', { level: 1 })).toHaveText('Yearly Plan');
    await expect(payButton(page)).toHaveText('Subscribe — $49.99 per year');
    await expect(page.getByLabel('Cardholder name')).toHaveValue('Jane Buyer');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
    const orders = await ordersOf(checkout.id);
    expect(orders[0]).toMatchObject({ product_id: yearly.id, total_amount: 4999 });
  });

  test('shows the confirmation in place when the checkout has no success URL of its own', async ({
    page,
  }) => {
    const { status, body: checkout } = await rest('POST', '/v1/checkouts/', {
      products: [(await findProduct(lifetime)).id],
    });
    expect(status).toBe(201);
    await page.goto(checkout.url);
    await fillCard(page, '4242 4242 4242 4242');
    await payButton(page).click();
    await expect(page.getByRole('heading', { name: 'Payment successful' })).toBeVisible();
  });

  test('redirects a paid checkout’s page to its success URL', async ({ page }) => {
    const checkout = await createCheckout(await findProduct(lifetime));
    await catchSuccessPage(page);
    await page.goto(checkout.url);
    await fillCard(page, '4242 4242 4242 4242');
    await payButton(page).click();
    await page.waitForURL(`${SUCCESS_BASE}**`);
    await page.goto(checkout.url);
    await page.waitForURL(`${SUCCESS_BASE}?checkout_id=${checkout.id}`);
  });

  test('says so when the checkout does not exist', async ({ page }) => {
    await page.goto(`${emulator.url}/checkout/polar_c_doesnotexist`);
    await expect(page.getByRole('heading', { name: 'Checkout not found' })).toBeVisible();
    await page.goto(`${emulator.url}/checkout/not-a-client-secret`);
    await expect(page.getByRole('heading', { name: 'Checkout not found' })).toBeVisible();
  });

  test('says so when the checkout expires, before or while the page is open', async ({ page }) => {
    const open = await createCheckout(await findProduct(lifetime));
    const later = await createCheckout(await findProduct(lifetime));
    await page.goto(later.url);
    await expect(payButton(page)).toBeVisible();

    // Past the one-hour lifetime: the emulator's clock moves, nothing waits.
    const moved = await rest('POST', '/_emulator/clock', { advance_seconds: 3601 });
    expect(moved.status).toBe(200);

    await fillCard(page, '4242 4242 4242 4242');
    await payButton(page).click();
    await expect(page.getByRole('heading', { name: 'This checkout has expired' })).toBeVisible();

    await page.goto(open.url);
    await expect(page.getByRole('heading', { name: 'This checkout has expired' })).toBeVisible();
    await expect(page.getByLabel('Card number')).toHaveCount(0);
    expect(await ordersOf(open.id)).toHaveLength(0);
  });

  test('renders catalog text as text, never as markup', async ({ page }) => {
    const markup = '<img src=x onerror="window.__pwned=1">';
    await emulator.close();
    emulator = await startEmulator({
      catalog: {
        products: [
          {
            name: `Pro ${markup}`,
            description: `Best <script>window.__pwned=2</script> plan`,
            recurring_interval: 'month',
            price: { type: 'fixed', amount: 900 },
            benefits: [{ type: 'custom', description: `<b>bold</b> ${markup}`.slice(0, 42) }],
          },
        ],
      },
    });
    const checkout = await createCheckout((await products())[0] as Json, { customer_name: markup });
    await page.goto(checkout.url);
    await expect(page.getByRole('heading', { level: 1 })).toHaveText(`Pro ${markup}`);
    await expect(page.getByText('Best <script>window.__pwned=2</script> plan')).toBeVisible();
    await expect(page.getByLabel('Cardholder name')).toHaveValue(markup);
    expect(await page.locator('main img, main script, main b').count()).toBe(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  test('fits a 320 px wide screen and follows the dark theme', async ({ page }) => {
    await page.setViewportSize({ width: 320, height: 640 });
    const checkout = await createCheckout(await findProduct(monthly));
    await page.goto(`${checkout.url}?theme=dark`);
    await expect(payButton(page)).toBeVisible();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth);
    expect(overflow).toBeLessThanOrEqual(320);
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
  });

  test('has no axe violations in the authentication step and the confirmation', async ({ page }) => {
    const { body: checkout } = await rest('POST', '/v1/checkouts/', {
      products: [(await findProduct(monthly)).id],
    });
    await page.goto(checkout.url);
    await fillCard(page, '4000 0025 0000 3155');
    await payButton(page).click();
    await expect(page.getByRole('heading', { name: 'Authenticate this payment' })).toBeFocused();
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
    await page.getByRole('button', { name: 'Complete authentication' }).click();
    await expect(page.getByRole('heading', { name: 'Your subscription is active' })).toBeFocused();
    expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
  });

  test('is served with a strict content security policy and no referrer', async ({ request }) => {
    const checkout = await createCheckout(await findProduct(lifetime));
    const response = await request.get(checkout.url);
    expect(response.status()).toBe(200);
    const csp = response.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers()['referrer-policy']).toBe('no-referrer');
    expect(await response.text()).not.toContain(checkout.client_secret);
  });

  for (const theme of ['light', 'dark']) {
    test(`has no axe violations (${theme}), also after a decline`, async ({ page }) => {
      const checkout = await createCheckout(await findProduct(payWhatYouWant));
      await page.goto(`${checkout.url}?theme=${theme}`);
      await expect(payButton(page)).toBeVisible();
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
      await fillCard(page, '4000 0000 0000 0002');
      await payButton(page).click();
      await expect(page.getByRole('alert')).not.toBeEmpty();
      expect((await new AxeBuilder({ page }).analyze()).violations).toEqual([]);
    });
  }
});
