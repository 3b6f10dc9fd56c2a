import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type {
  AccessResponse,
  CheckoutResponse,
  CheckoutStatusResponse,
  OrderSummary,
  Product,
} from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const PAYING_CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };
const RENEWAL_FAILS_CARD = { number: '4000000000000341', exp_month: 12, exp_year: 2035, cvc: '123' };

const kits: TestKit[] = [];

afterEach(async () => {
  while (kits.length > 0) await kits.pop()!.close();
});

async function start(): Promise<TestKit> {
  const kit = await startTestKit();
  kits.push(kit);
  return kit;
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const res = await response;
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

/** Everything the emulator has sent so far has reached the kit (and was answered). */
async function settled(t: TestKit): Promise<void> {
  await t.emulator.webhooks.drain();
}

async function products(t: TestKit): Promise<Product[]> {
  return json<Product[]>(t.fetch('/api/products'));
}

/** Buys `product` for the shop's customer `externalId` through the kit and the emulator's control API. */
async function buy(t: TestKit, product: Product, externalId: string, card = PAYING_CARD) {
  const email = `${externalId}@example.com`;
  const checkout = await json<CheckoutResponse>(
    t.admin('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        product_id: product.id,
        email,
        external_customer_id: externalId,
        ...(product.price_amount === null ? { amount: 700 } : {}),
      }),
    }),
  );
  await t.control(`/_emulator/checkouts/${checkout.checkout_id}/pay`, {
    card: product.price_amount === 0 ? null : card,
    customer_email: email,
    customer_name: 'Test Buyer',
  });
  await settled(t);
  return { checkout, email };
}

function access(t: TestKit, key: string): Promise<AccessResponse> {
  return json<AccessResponse>(t.admin(`/api/customers/${encodeURIComponent(key)}/access`));
}

describe('access after purchases through the emulator', () => {
  it('records each catalogue product bought, with its order, subscription and access', async () => {
    const t = await start();
    const catalogue = await products(t);
    expect(catalogue.length).toBeGreaterThanOrEqual(4);
    for (const [index, product] of catalogue.entries()) {
      const externalId = `buyer-${index}`;
      const { checkout, email } = await buy(t, product, externalId);

      const status = await waitFor(async () => {
        const s = await json<CheckoutStatusResponse>(t.fetch(`/api/checkout/${checkout.checkout_id}`));
        return s.order ? s : null;
      }, `the paid order of ${product.name}`);
      expect(status).toMatchObject({
        status: 'succeeded',
        product: { id: product.id, name: product.name },
        order: { paid: true },
      });
      if (product.is_recurring) {
        expect(status.subscription).toMatchObject({ product_id: product.id, status: 'active' });
      } else {
        expect(status.subscription).toBeNull();
      }

      const orders = await json<OrderSummary[]>(t.admin(`/api/orders/${encodeURIComponent(email)}`));
      expect(orders).toHaveLength(1);
      expect(orders[0]).toMatchObject({
        status: 'paid',
        paid: true,
        product_id: product.id,
        product_name: product.name,
        checkout_id: checkout.checkout_id,
        customer_email: email,
        billing_reason: product.is_recurring ? 'subscription_create' : 'purchase',
        total_amount: product.price_amount ?? 700,
      });

      const granted = await access(t, externalId);
      expect(granted).toMatchObject({
        external_id: externalId,
        email,
        active: true,
        product_ids: [product.id],
      });
      expect(granted.subscriptions.map((s) => s.product_id)).toEqual(
        product.is_recurring ? [product.id] : [],
      );
      expect(granted.benefits.map((b) => b.id).sort()).toEqual(product.benefits.map((b) => b.id).sort());
      expect(t.kit.access(email)).toEqual(granted);
      expect(t.kit.access(granted.customer_id)).toEqual(granted);
      expect(t.kit.orders(email)).toEqual(orders);
    }
  });

  it('follows a subscription through cancel, uncancel, renewal, past due and revoke', async () => {
    const t = await start();
    const monthly = (await products(t)).find(
      (p) => p.is_recurring && p.recurring_interval === 'month' && (p.price_amount ?? 0) > 0,
    )!;
    await buy(t, monthly, 'sub-life');
    const subscriptionId = (await access(t, 'sub-life')).subscriptions[0]!.id;
    const act = async (action: string) => {
      await t.control(`/_emulator/subscriptions/${subscriptionId}/${action}`);
      await settled(t);
      return access(t, 'sub-life');
    };

    const canceled = await act('cancel');
    expect(canceled).toMatchObject({
      active: true,
      subscriptions: [{ id: subscriptionId, status: 'active', cancel_at_period_end: true }],
    });

    const uncanceled = await act('uncancel');
    expect(uncanceled.subscriptions).toMatchObject([{ cancel_at_period_end: false }]);

    const before = uncanceled.subscriptions[0]!.current_period_end!;
    const renewed = await act('renew');
    expect(renewed.active).toBe(true);
    expect(Date.parse(renewed.subscriptions[0]!.current_period_end!)).toBeGreaterThan(Date.parse(before));
    const orders = t.kit.orders('sub-life@example.com');
    expect(orders.map((o) => o.billing_reason)).toEqual(['subscription_cycle', 'subscription_create']);
    expect(orders.every((o) => o.paid && o.subscription_id === subscriptionId)).toBe(true);

    // Past due: the subscription no longer counts, the benefits stay until Polar revokes them.
    const pastDue = await act('past_due');
    expect(pastDue).toMatchObject({ subscriptions: [], product_ids: [] });

    const revoked = await act('revoke');
    expect(revoked).toMatchObject({ active: false, subscriptions: [], product_ids: [], benefits: [] });
  });

  it('takes a one-time purchase away when it is refunded, and keeps it on a partial refund', async () => {
    const t = await start();
    const catalogue = await products(t);
    const license = catalogue.find((p) => !p.is_recurring && (p.price_amount ?? 0) > 0)!;

    await buy(t, license, 'partial');
    const partialOrder = t.kit.orders('partial@example.com')[0]!;
    await t.control(`/_emulator/orders/${partialOrder.id}/refund`, { amount: 100 });
    await settled(t);
    expect(t.kit.orders('partial@example.com')[0]).toMatchObject({ status: 'partially_refunded' });
    expect(t.kit.access('partial')).toMatchObject({ active: true, product_ids: [license.id] });

    await buy(t, license, 'full');
    const fullOrder = t.kit.orders('full@example.com')[0]!;
    await t.control(`/_emulator/orders/${fullOrder.id}/refund`, { revoke_benefits: true });
    await settled(t);
    expect(t.kit.orders('full@example.com')[0]).toMatchObject({ status: 'refunded' });
    expect(t.kit.access('full')).toMatchObject({ product_ids: [] });
  });

  it('loses access when a renewal fails and the subscription is then canceled', async () => {
    const t = await start();
    const monthly = (await products(t)).find((p) => p.is_recurring && (p.price_amount ?? 0) > 0)!;
    expect(monthly.benefits.length).toBeGreaterThan(0);
    await buy(t, monthly, 'declined', RENEWAL_FAILS_CARD);
    const subscriptionId = t.kit.access('declined')!.subscriptions[0]!.id;
    await t.control(`/_emulator/subscriptions/${subscriptionId}/renew`);
    await settled(t);
    // Past due: not an active subscription any more, but Polar's grace period keeps the benefits granted,
    // and they are what still gives access.
    const pastDue = t.kit.access('declined')!;
    expect(pastDue).toMatchObject({ active: true, subscriptions: [], product_ids: [] });
    expect(pastDue.benefits.map((b) => b.id).sort()).toEqual(monthly.benefits.map((b) => b.id).sort());
    expect(await access(t, 'declined')).toEqual(pastDue);
    // The renewal order was created but never paid.
    expect(t.kit.orders('declined@example.com')).toMatchObject([
      { billing_reason: 'subscription_cycle', paid: false, status: 'pending' },
      { billing_reason: 'subscription_create', paid: true },
    ]);
    await t.control(`/_emulator/subscriptions/${subscriptionId}/revoke`);
    await settled(t);
    expect(t.kit.access('declined')).toEqual({
      ...pastDue,
      active: false,
      subscriptions: [],
      product_ids: [],
      benefits: [],
    });
  });

  it('stores every delivery it acknowledged, byte for byte, once', async () => {
    const t = await start();
    const catalogue = await products(t);
    await buy(
      t,
      catalogue.find((p) => p.is_recurring && (p.price_amount ?? 0) > 0)!,
      'ledger',
    );
    const deliveries = t.emulator.webhooks.deliveries();
    expect(deliveries.length).toBeGreaterThan(5);
    expect(deliveries.every((d) => d.status === 'succeeded')).toBe(true);

    const db = new Database(t.dbPath, { readonly: true });
    try {
      const stored = db
        .prepare(`SELECT webhook_id, payload, status, attempts FROM webhook_events`)
        .all() as Array<{
        webhook_id: string;
        payload: string;
        status: string;
        attempts: number;
      }>;
      const byId = new Map(stored.map((row) => [row.webhook_id, row]));
      expect(byId.size).toBe(deliveries.length);
      for (const d of deliveries) {
        expect(byId.get(d.webhook_id)).toEqual({
          webhook_id: d.webhook_id,
          payload: d.payload,
          status: 'processed',
          attempts: 1,
        });
      }
      // A redelivery keeps its webhook-id: the kit answers it as a duplicate and changes nothing.
      const first = deliveries[0]!;
      expect(t.emulator.webhooks.redeliver(first.webhook_id)).toBe(true);
      await settled(t);
      const again = t.emulator.webhooks.deliveries().filter((d) => d.webhook_id === first.webhook_id);
      expect(again.every((d) => d.status === 'succeeded')).toBe(true);
      expect(
        db.prepare(`SELECT attempts FROM webhook_events WHERE webhook_id = ?`).get(first.webhook_id),
      ).toEqual({ attempts: 1 });
    } finally {
      db.close();
    }
  });
});
