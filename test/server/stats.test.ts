import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CatalogInput } from '../../emulator/catalog.js';
import type { CheckoutResponse, CheckoutStatusResponse } from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const MONTHLY = '11111111-1111-4111-8111-000000000001';
const YEARLY = '11111111-1111-4111-8111-000000000002';
const BOOK = '11111111-1111-4111-8111-000000000003';
const WEEKLY = '11111111-1111-4111-8111-000000000004';
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'Stat Buyer' };

const CATALOG: CatalogInput = {
  products: [
    { id: MONTHLY, name: 'Monthly USD', recurring_interval: 'month', price: { type: 'fixed', amount: 1000 } },
    { id: YEARLY, name: 'Yearly USD', recurring_interval: 'year', price: { type: 'fixed', amount: 12000 } },
    { id: BOOK, name: 'Book EUR', price: { type: 'fixed', amount: 2500 }, currency: 'eur' },
    {
      id: WEEKLY,
      name: 'Weekly EUR',
      recurring_interval: 'week',
      price: { type: 'fixed', amount: 300 },
      currency: 'eur',
    },
  ],
};

let t: TestKit;
beforeEach(async () => {
  t = await startTestKit({ emulator: { catalog: CATALOG } });
});
afterEach(async () => {
  await t.close();
});

async function buy(productId: string, email: string): Promise<CheckoutStatusResponse> {
  const created = await t.fetch('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ product_id: productId, email }),
  });
  expect(created.status).toBe(201);
  const { checkout_id } = (await created.json()) as CheckoutResponse;
  await t.control(`/_emulator/checkouts/${checkout_id}/pay`, { card: CARD, customer_email: email });
  return waitFor(async () => {
    const body = (await (await t.fetch(`/api/checkout/${checkout_id}`)).json()) as CheckoutStatusResponse;
    const paid = body.order?.paid === true;
    return paid && (productId === BOOK || body.subscription !== null) ? body : null;
  }, `the paid order of ${email}`);
}

async function stats(query: string): Promise<unknown> {
  const response = await t.admin(`/api/stats${query}`);
  expect(response.status).toBe(200);
  return response.json();
}

describe('GET /api/stats', () => {
  it('matches the orders, refunds and subscriptions made through Polar exactly', async () => {
    const from = new Date(Date.now() - 60_000).toISOString();
    await buy(MONTHLY, 'a@example.com');
    await buy(YEARLY, 'b@example.com');
    const book1 = await buy(BOOK, 'c1@example.com');
    await buy(BOOK, 'c2@example.com');
    const churner = await buy(MONTHLY, 'd@example.com');
    await buy(WEEKLY, 'e@example.com');
    await t.control(`/_emulator/orders/${book1.order!.id}/refund`, { amount: 1000 });
    await t.control(`/_emulator/subscriptions/${churner.subscription!.id}/revoke`);
    const to = new Date(Date.now() + 60_000).toISOString();

    const expected = {
      from: expect.stringMatching(/^\d{4}-/),
      to: expect.stringMatching(/^\d{4}-/),
      revenue: [
        { currency: 'eur', orders: 3, gross: 5300, refunded: 1000, net: 4300 },
        { currency: 'usd', orders: 3, gross: 14000, refunded: 0, net: 14000 },
      ],
      revenue_by_product: [
        {
          product_id: YEARLY,
          product_name: 'Yearly USD',
          currency: 'usd',
          orders: 1,
          gross: 12000,
          refunded: 0,
          net: 12000,
        },
        {
          product_id: BOOK,
          product_name: 'Book EUR',
          currency: 'eur',
          orders: 2,
          gross: 5000,
          refunded: 1000,
          net: 4000,
        },
        {
          product_id: MONTHLY,
          product_name: 'Monthly USD',
          currency: 'usd',
          orders: 2,
          gross: 2000,
          refunded: 0,
          net: 2000,
        },
        {
          product_id: WEEKLY,
          product_name: 'Weekly EUR',
          currency: 'eur',
          orders: 1,
          gross: 300,
          refunded: 0,
          net: 300,
        },
      ],
      active_subscriptions: expect.arrayContaining([
        { product_id: MONTHLY, product_name: 'Monthly USD', count: 1 },
        { product_id: YEARLY, product_name: 'Yearly USD', count: 1 },
        { product_id: WEEKLY, product_name: 'Weekly EUR', count: 1 },
      ]),
      // Yearly 12000 / 12 + monthly 1000; weekly 300 × 52 / 12.
      mrr: [
        { currency: 'eur', amount: 1300, subscriptions: 1 },
        { currency: 'usd', amount: 2000, subscriptions: 2 },
      ],
      churned_subscriptions: { count: 1, by_product: [{ product_id: MONTHLY, count: 1 }] },
    };
    const query = `?from=${encodeURIComponent(from)}&to=${encodeURIComponent(to)}`;
    // Refund and revocation arrive as webhooks; wait until the kit has them, then compare exactly.
    await waitFor(
      async () => {
        try {
          expect(await stats(query)).toEqual(expected);
          return true;
        } catch {
          return false;
        }
      },
      'the refund and the revocation',
      { timeoutMs: 15_000 },
    );
    const body = (await stats(query)) as { active_subscriptions: unknown[] };
    expect(body).toEqual(expected);
    expect(body.active_subscriptions).toHaveLength(3);

    // A range before any sale: no revenue and no churn; subscriptions and MRR are "now" figures.
    const past = (await stats('?from=2020-01-01&to=2020-02-01')) as Record<string, unknown>;
    expect(past).toMatchObject({
      from: '2020-01-01T00:00:00.000000Z',
      to: '2020-02-01T00:00:00.000000Z',
      revenue: [],
      revenue_by_product: [],
      churned_subscriptions: { count: 0, by_product: [] },
      mrr: expected.mrr,
    });
  });

  it('needs the admin token and a valid range', async () => {
    expect((await t.fetch('/api/stats')).status).toBe(401);
    for (const query of ['?from=yesterday', '?from=2026-02-01&to=2026-01-01', '?since=2026-01-01']) {
      const response = await t.admin(`/api/stats${query}`);
      expect(response.status).toBe(400);
      expect(await response.json()).toMatchObject({ code: 'VALIDATION_FAILED' });
    }
    expect(await stats('')).toMatchObject({ from: null, to: null, revenue: [], mrr: [] });
  });
});
