import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type {
  AccessResponse,
  CheckoutResponse,
  CheckoutStatusResponse,
  OrderSummary,
  Product,
} from '../../contract/contract.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

/** The emulator's demo catalogue (fixed ids). */
const FREE = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f01';
const MONTHLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f02';
const YEARLY = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f03';
const LIFETIME = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f04';
const TIP_JAR = '6a0f1b8e-4a53-4a4c-9c55-0d7b8a9e1f05';
const UNLIMITED_PROJECTS = '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b02';
const PRIORITY_SUPPORT = '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b03';
const LICENSE_KEY = '2c1d4f6a-7b8e-4c9d-8a1b-3e5f7a9c0b04';

const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2040, cvc: '123', name: 'Jane Doe' };
const CARD_FAILS_RENEWALS = { ...CARD, number: '4000000000000341' };

let t: TestKit;

beforeEach(async () => {
  t = await startTestKit();
});
afterEach(async () => {
  await t.close();
});

type Purchase = { checkoutId: string; status: CheckoutStatusResponse; externalId: string; email: string };

/** Creates a checkout through the kit (as the shop, with the customer's external id), pays it at the emulator. */
async function buy(
  productId: string,
  who: { externalId: string; email: string },
  options: { amount?: number; card?: typeof CARD; recurring?: boolean } = {},
): Promise<Purchase> {
  const created = await t.admin('/api/checkout', {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      product_id: productId,
      email: who.email,
      external_customer_id: who.externalId,
      ...(options.amount !== undefined ? { amount: options.amount } : {}),
    }),
  });
  expect(created.status).toBe(201);
  const checkout = (await created.json()) as CheckoutResponse;
  await t.control(`/_emulator/checkouts/${checkout.checkout_id}/pay`, {
    card: options.card ?? CARD,
    customer_email: who.email,
    customer_name: 'Jane Doe',
  });
  const status = await waitFor(async () => {
    const response = await t.fetch(`/api/checkout/${checkout.checkout_id}`);
    const body = (await response.json()) as CheckoutStatusResponse;
    const done =
      body.status === 'succeeded' &&
      body.order?.paid === true &&
      (!options.recurring || body.subscription !== null);
    return done ? body : null;
  }, `checkout ${checkout.checkout_id} to be paid`);
  return { checkoutId: checkout.checkout_id, status, ...who };
}

async function access(key: string): Promise<AccessResponse> {
  const response = await t.admin(`/api/customers/${encodeURIComponent(key)}/access`);
  expect(response.status).toBe(200);
  return (await response.json()) as AccessResponse;
}

async function orders(email: string): Promise<OrderSummary[]> {
  const response = await t.admin(`/api/orders/${encodeURIComponent(email)}`);
  expect(response.status).toBe(200);
  return (await response.json()) as OrderSummary[];
}

async function accessWhen(
  key: string,
  what: string,
  check: (a: AccessResponse) => boolean,
): Promise<AccessResponse> {
  let seen: unknown = null;
  try {
    return await waitFor(
      async () => {
        const response = await t.admin(`/api/customers/${encodeURIComponent(key)}/access`);
        seen = response.status === 200 ? await response.json() : response.status;
        return typeof seen === 'object' && check(seen as AccessResponse) ? (seen as AccessResponse) : null;
      },
      what,
      { timeoutMs: 10_000 },
    );
  } catch (error) {
    throw new Error(`${(error as Error).message}; last access answer: ${JSON.stringify(seen)}`, {
      cause: error,
    });
  }
}

describe('buying each catalogue product', () => {
  it('lists the emulator catalogue', async () => {
    const response = await t.fetch('/api/products');
    const products = (await response.json()) as Product[];
    expect(products.map((p) => p.id).sort()).toEqual([FREE, MONTHLY, YEARLY, LIFETIME, TIP_JAR].sort());
  });

  it('a monthly subscription: paid order, active subscription, its benefits', async () => {
    const p = await buy(
      MONTHLY,
      { externalId: 'user_monthly', email: 'monthly@example.com' },
      { recurring: true },
    );
    expect(p.status.order).toMatchObject({
      status: 'paid',
      paid: true,
      product_id: MONTHLY,
      total_amount: 1999,
      currency: 'usd',
      billing_reason: 'subscription_create',
    });
    expect(p.status.subscription).toMatchObject({
      product_id: MONTHLY,
      status: 'active',
      cancel_at_period_end: false,
    });
    const a = await accessWhen('user_monthly', 'benefits granted', (x) => x.benefits.length === 2);
    expect(a).toMatchObject({
      active: true,
      external_id: 'user_monthly',
      email: 'monthly@example.com',
      product_ids: [MONTHLY],
    });
    expect(a.subscriptions).toHaveLength(1);
    expect(a.benefits.map((b) => b.id).sort()).toEqual([UNLIMITED_PROJECTS, PRIORITY_SUPPORT].sort());
    // The same customer is found by email and by Polar customer id.
    expect((await access('monthly@example.com')).customer_id).toBe(a.customer_id);
    expect((await access(a.customer_id)).external_id).toBe('user_monthly');
    // The merchant's own code asks the kit directly, without HTTP.
    expect(t.kit.access('user_monthly')?.active).toBe(true);
    expect(t.kit.orders('monthly@example.com').map((o) => o.id)).toEqual([p.status.order!.id]);
  });

  it('a yearly subscription', async () => {
    const p = await buy(
      YEARLY,
      { externalId: 'user_yearly', email: 'yearly@example.com' },
      { recurring: true },
    );
    expect(p.status.subscription).toMatchObject({ product_id: YEARLY, status: 'active' });
    expect((await access('user_yearly')).product_ids).toEqual([YEARLY]);
  });

  it('the free plan, without a card', async () => {
    const p = await buy(FREE, { externalId: 'user_free', email: 'free@example.com' }, { recurring: true });
    expect(p.status.order).toMatchObject({ paid: true, total_amount: 0 });
    expect(p.status.subscription).toMatchObject({ product_id: FREE, status: 'active' });
    expect((await access('user_free')).active).toBe(true);
  });

  it('a one-time lifetime licence, with its license-key benefit', async () => {
    const p = await buy(LIFETIME, { externalId: 'user_lifetime', email: 'lifetime@example.com' });
    expect(p.status.order).toMatchObject({
      billing_reason: 'purchase',
      total_amount: 14900,
      subscription_id: null,
    });
    expect(p.status.subscription).toBeNull();
    const a = await accessWhen('user_lifetime', 'licence benefit', (x) =>
      x.benefits.some((b) => b.id === LICENSE_KEY),
    );
    expect(a).toMatchObject({ active: true, product_ids: [LIFETIME], subscriptions: [] });
  });

  it('the tip jar at a pay-what-you-want amount', async () => {
    const p = await buy(TIP_JAR, { externalId: 'user_tip', email: 'tip@example.com' }, { amount: 700 });
    expect(p.status.order).toMatchObject({ total_amount: 700, product_id: TIP_JAR });
    expect(p.status.amount).toBe(700);
    expect((await access('user_tip')).product_ids).toEqual([TIP_JAR]);
  });

  it('keeps several purchases of one customer together, newest order first', async () => {
    const who = { externalId: 'user_many', email: 'many@example.com' };
    const first = await buy(LIFETIME, who);
    const second = await buy(MONTHLY, who, { recurring: true });
    const list = await orders('MANY@example.com');
    expect(list.map((o) => o.id)).toEqual([second.status.order!.id, first.status.order!.id]);
    expect(list[0]).toMatchObject({
      product_name: 'Monthly Plan',
      customer_email: 'many@example.com',
      checkout_id: second.checkoutId,
    });
    expect((await access('user_many')).product_ids).toEqual([MONTHLY, LIFETIME].sort());
  });
});

describe('a subscription over its life', () => {
  it('cancel, uncancel, renew, past due, revoke: each is reflected in access', async () => {
    const p = await buy(MONTHLY, { externalId: 'user_life', email: 'life@example.com' }, { recurring: true });
    const subscriptionId = p.status.subscription!.id;
    const sub = (a: AccessResponse) => a.subscriptions.find((s) => s.id === subscriptionId);

    await t.control(`/_emulator/subscriptions/${subscriptionId}/cancel`);
    let a = await accessWhen(
      'user_life',
      'cancel at period end',
      (x) => sub(x)?.cancel_at_period_end === true,
    );
    expect(a.active).toBe(true);
    expect(sub(a)?.status).toBe('active');

    await t.control(`/_emulator/subscriptions/${subscriptionId}/uncancel`);
    a = await accessWhen('user_life', 'uncancel', (x) => sub(x)?.cancel_at_period_end === false);
    expect(a.active).toBe(true);

    const periodEnd = sub(a)!.current_period_end!;
    await t.control(`/_emulator/subscriptions/${subscriptionId}/renew`);
    a = await accessWhen(
      'user_life',
      'the renewed period',
      (x) => (sub(x)?.current_period_end ?? '') > periodEnd,
    );
    expect(a.active).toBe(true);
    const renewals = await waitFor(async () => {
      const list = await orders('life@example.com');
      return list.length === 2 ? list : null;
    }, 'the renewal order');
    expect(renewals[0]).toMatchObject({
      billing_reason: 'subscription_cycle',
      paid: true,
      subscription_id: subscriptionId,
    });

    await t.control(`/_emulator/subscriptions/${subscriptionId}/past_due`);
    a = await accessWhen('user_life', 'past due', (x) => sub(x) === undefined);
    expect(a.product_ids).not.toContain(MONTHLY);

    await t.control(`/_emulator/subscriptions/${subscriptionId}/revoke`);
    a = await accessWhen(
      'user_life',
      'revoked',
      (x) => x.benefits.length === 0 && x.subscriptions.length === 0,
    );
    expect(a).toMatchObject({ active: false, product_ids: [] });
  });

  it('a renewal that fails (card 0341) makes the subscription past due; revoking it ends access', async () => {
    const p = await buy(
      MONTHLY,
      { externalId: 'user_dunning', email: 'dunning@example.com' },
      { recurring: true, card: CARD_FAILS_RENEWALS },
    );
    const subscriptionId = p.status.subscription!.id;
    await accessWhen('user_dunning', 'benefits granted', (x) => x.benefits.length === 2);
    await t.control(`/_emulator/subscriptions/${subscriptionId}/renew`);
    // Every event of the failed renewal has reached the kit: the past-due state must be the one kept,
    // whatever order the renewal order and the subscription's own events were applied in.
    await t.emulator.webhooks.drain();
    const a = await access('user_dunning');
    expect(a).toMatchObject({ subscriptions: [], product_ids: [] });
    // Polar's grace period: the benefits stay granted while the payment is retried.
    expect(a.benefits.map((b) => b.id).sort()).toEqual([UNLIMITED_PROJECTS, PRIORITY_SUPPORT].sort());
    expect(a.active).toBe(true);
    expect(
      (await t.fetch(`/api/checkout/${p.checkoutId}`).then((r) => r.json())) as CheckoutStatusResponse,
    ).toMatchObject({ subscription: { id: subscriptionId, status: 'past_due' } });

    await t.control(`/_emulator/subscriptions/${subscriptionId}/revoke`);
    const revoked = await accessWhen('user_dunning', 'revoked', (x) => !x.active);
    expect(revoked).toMatchObject({ subscriptions: [], product_ids: [], benefits: [] });
  });

  it('revoking at once ends access immediately', async () => {
    const p = await buy(
      YEARLY,
      { externalId: 'user_revoke', email: 'revoke@example.com' },
      { recurring: true },
    );
    await t.control(`/_emulator/subscriptions/${p.status.subscription!.id}/revoke`);
    const a = await accessWhen('user_revoke', 'revoked', (x) => !x.active);
    expect(a.subscriptions).toEqual([]);
  });
});

describe('refunds', () => {
  it('a refunded one-time purchase loses access', async () => {
    const p = await buy(LIFETIME, { externalId: 'user_refund', email: 'refund@example.com' });
    await accessWhen('user_refund', 'purchase', (x) => x.product_ids.includes(LIFETIME));
    await t.control(`/_emulator/orders/${p.status.order!.id}/refund`);
    const a = await accessWhen('user_refund', 'refund', (x) => !x.product_ids.includes(LIFETIME));
    expect(a.product_ids).toEqual([]);
    const list = await waitFor(async () => {
      const all = await orders('refund@example.com');
      return all[0]?.status === 'refunded' ? all : null;
    }, 'the refunded order');
    expect(list[0]).toMatchObject({ id: p.status.order!.id, status: 'refunded' });
  });
});

describe('webhook callbacks of createKit', () => {
  it('run after each event is stored; a throwing callback loses nothing', async () => {
    await t.close();
    const seen: string[] = [];
    const paid: unknown[] = [];
    t = await startTestKit({
      kit: {
        onEvent: (event) => void seen.push((event as { type: string }).type),
        onOrderPaid: (event) => {
          // The order is already in the kit's database when the callback runs.
          const data = (event as { data: { id: string; customer: { email: string } } }).data;
          paid.push(t.kit.orders(data.customer.email).find((o) => o.id === data.id)?.status);
        },
        onSubscriptionActive: () => {
          throw new Error('the host app failed');
        },
      },
    });
    const p = await buy(
      MONTHLY,
      { externalId: 'user_hooks', email: 'hooks@example.com' },
      { recurring: true },
    );
    await waitFor(() => seen.includes('subscription.active') && paid.length > 0, 'the callbacks');
    expect(paid).toEqual(['paid']);
    expect(seen).toEqual(
      expect.arrayContaining([
        'checkout.created',
        'order.created',
        'order.paid',
        'subscription.created',
        'subscription.active',
      ]),
    );
    const a = await accessWhen('user_hooks', 'active', (x) =>
      x.subscriptions.some((s) => s.id === p.status.subscription!.id && s.status === 'active'),
    );
    expect(a.active).toBe(true);
  });
});
