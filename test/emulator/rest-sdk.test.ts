/**
 * The emulator's REST API answered through the real SDKs: `@polar-sh/sdk` 1.x (`createPolar`, no response
 * validation) and 0.49 (`polar-sdk-strict`, strict zod schemas of Polar's shapes). 0.49 must parse every
 * response without a validation error, and Polar's error classes must come back for errors.
 */
import { createPolar, errors as v1errors } from '@polar-sh/sdk/2026-10';
import { Polar } from 'polar-sdk-strict';
import { HTTPValidationError } from 'polar-sdk-strict/models/errors/httpvalidationerror.js';
import { ResourceNotFound } from 'polar-sdk-strict/models/errors/resourcenotfound.js';
import { NotPermitted } from 'polar-sdk-strict/models/errors/notpermitted.js';
import { AlreadyCanceledSubscription } from 'polar-sdk-strict/models/errors/alreadycanceledsubscription.js';
import { ExpiredCheckoutError } from 'polar-sdk-strict/models/errors/expiredcheckouterror.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startEmulator, type StartedEmulator } from '../helpers/emulator.js';

let emu: StartedEmulator;
let v1: ReturnType<typeof createPolar>;
let v0: Polar;

beforeEach(async () => {
  emu = await startEmulator();
  v1 = createPolar({ accessToken: 'polar_oat_test', baseUrl: emu.url });
  v0 = new Polar({ accessToken: 'polar_oat_test', serverURL: emu.url });
});
afterEach(async () => {
  await emu.close();
});

async function control<T = Record<string, unknown>>(path: string, body: unknown = {}): Promise<T> {
  const res = await fetch(`${emu.url}/_emulator${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`${path} answered ${res.status}: ${await res.text()}`);
  return (await res.json()) as T;
}

async function productId(name: string): Promise<string> {
  const page = await v1.products.list({ limit: 100 });
  const p = page.items.find((x) => x.name === name);
  if (!p) throw new Error(`no product ${name}`);
  return p.id;
}

/** Buys a catalogue product through a checkout paid with the control API; returns the checkout (0.49-parsed). */
async function buy(
  name: string,
  extra: {
    card?: string;
    external_customer_id?: string;
    customer_email?: string;
    metadata?: Record<string, string>;
  } = {},
) {
  const checkout = await v0.checkouts.create({
    products: [await productId(name)],
    ...(extra.metadata ? { metadata: extra.metadata } : {}),
    customerEmail: extra.customer_email ?? `buyer-${Math.random().toString(36).slice(2, 8)}@example.com`,
    ...(extra.external_customer_id ? { externalCustomerId: extra.external_customer_id } : {}),
  });
  await control(`/checkouts/${checkout.id}/pay`, extra.card ? { card: extra.card } : {});
  return v0.checkouts.get({ id: checkout.id });
}

describe('products', () => {
  it('lists the demo catalogue and gets each product through both SDKs', async () => {
    const strict = await v0.products.list({ limit: 100 });
    const names = strict.result.items.map((p) => p.name);
    expect(names).toEqual(
      expect.arrayContaining(['Monthly Plan', 'Yearly Plan', 'Free Plan', 'Lifetime License', 'Tip Jar']),
    );
    expect(strict.result.pagination).toEqual({ totalCount: 5, maxPage: 1 });
    const monthly = strict.result.items.find((p) => p.name === 'Monthly Plan')!;
    expect(monthly.recurringInterval).toBe('month');
    expect(monthly.prices[0]).toMatchObject({ amountType: 'fixed', priceAmount: 1999, priceCurrency: 'usd' });
    expect(monthly.benefits.length).toBeGreaterThan(0);
    const yearly = strict.result.items.find((p) => p.name === 'Yearly Plan')!;
    expect(yearly.prices[0]).toMatchObject({ priceAmount: 4999 });
    const free = strict.result.items.find((p) => p.name === 'Free Plan')!;
    expect(free.prices[0]).toMatchObject({ amountType: 'fixed', priceAmount: 0 });
    const tip = strict.result.items.find((p) => p.name === 'Tip Jar')!;
    expect(tip.prices[0]).toMatchObject({ amountType: 'custom', minimumAmount: 100 });
    const lifetime = strict.result.items.find((p) => p.name === 'Lifetime License')!;
    expect(lifetime.isRecurring).toBe(false);
    expect(lifetime.benefits[0]).toMatchObject({ type: 'license_keys' });

    for (const p of strict.result.items) {
      expect((await v0.products.get({ id: p.id })).name).toBe(p.name);
      expect((await v1.products.get(p.id)).name).toBe(p.name);
    }
  });

  it('filters by is_recurring and id, paginates with limit, and sorts', async () => {
    const recurring = await v1.products.list({ is_recurring: true });
    expect(recurring.items.map((p) => p.name).sort()).toEqual(['Free Plan', 'Monthly Plan', 'Yearly Plan']);
    const oneTime = await v0.products.list({ isRecurring: false });
    expect(oneTime.result.items.every((p) => !p.isRecurring)).toBe(true);
    const page = await v1.products.list({ limit: 2, page: 2, sorting: ['name'] });
    expect(page.pagination).toEqual({ total_count: 5, max_page: 3 });
    expect(page.items.map((p) => p.name)).toEqual(['Monthly Plan', 'Tip Jar']);
    const orgId = (await v1.products.list({})).items[0]!.organization_id;
    expect((await v1.products.list({ organization_id: orgId })).items).toHaveLength(5);
    expect(
      (await v0.products.list({ organizationId: '00000000-0000-4000-8000-000000000000' })).result.items,
    ).toEqual([]);
    const monthlyId = await productId('Monthly Plan');
    const byId = await v1.products.list({ id: [monthlyId] });
    expect(byId.items.map((p) => p.id)).toEqual([monthlyId]);
  });

  it('answers ResourceNotFound for an unknown product in both SDKs', async () => {
    const id = '00000000-0000-4000-8000-000000000000';
    await expect(v0.products.get({ id })).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(v1.products.get(id)).rejects.toBeInstanceOf(v1errors.ResourceNotFound);
  });

  it('answers 401 without a bearer token, and only accepts the configured tokens when set', async () => {
    expect((await fetch(`${emu.url}/v1/products/`)).status).toBe(401);
    const strictEmu = await startEmulator({ accessTokens: ['polar_oat_right'] });
    try {
      const wrong = await fetch(`${strictEmu.url}/v1/products/`, {
        headers: { authorization: 'Bearer polar_oat_wrong' },
      });
      expect(wrong.status).toBe(401);
      expect(await wrong.json()).toMatchObject({ error: 'Unauthorized' });
      const right = createPolar({ accessToken: 'polar_oat_right', baseUrl: strictEmu.url });
      expect((await right.products.list({})).items.length).toBe(5);
    } finally {
      await strictEmu.close();
    }
  });

  it('serves its organization', async () => {
    const orgs = await v0.organizations.listOrganizations({});
    expect(orgs.result.items.map((o) => o.slug)).toEqual(['polar-kit-demo']);
    const org = await v0.organizations.get({ id: orgs.result.items[0]!.id });
    expect(org.name).toBe('Polar Kit Demo');
    expect((await v1.organizations.get(org.id)).slug).toBe('polar-kit-demo');
    await expect(v0.organizations.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
  });

  it('answers a Polar-style 404 for unknown paths', async () => {
    const res = await fetch(`${emu.url}/v1/nothing-here`, { headers: { authorization: 'Bearer x' } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: 'ResourceNotFound', detail: 'Not found' });
  });
});

describe('checkouts', () => {
  it('creates a checkout with 201 and every option, substitutes {CHECKOUT_ID}, and gets it back', async () => {
    const monthly = await productId('Monthly Plan');
    const created = await v0.checkouts.create({
      products: [monthly],
      customerEmail: 'jane@example.com',
      customerName: 'Jane Doe',
      externalCustomerId: 'user_123',
      metadata: { plan: 'pro', seats: 3, trial: false },
      customerMetadata: { source: 'test' },
      successUrl: 'http://127.0.0.1:3000/success?checkout_id={CHECKOUT_ID}',
      embedOrigin: 'http://127.0.0.1:3000',
    });
    expect(created.status).toBe('open');
    expect(created.clientSecret).toMatch(/^polar_c_/);
    expect(created.url).toBe(`${emu.url}/checkout/${created.clientSecret}`);
    expect(created.successUrl).toBe(`http://127.0.0.1:3000/success?checkout_id=${created.id}`);
    expect(created.embedOrigin).toBe('http://127.0.0.1:3000');
    expect(created.externalCustomerId).toBe('user_123');
    expect(created.metadata).toEqual({ plan: 'pro', seats: 3, trial: false });
    expect(created.amount).toBe(1999);
    expect(created.totalAmount).toBe(1999);
    expect(created.expiresAt.getTime() - created.createdAt.getTime()).toBe(3_600_000);
    expect(created.isPaymentFormRequired).toBe(true);

    const got = await v0.checkouts.get({ id: created.id });
    expect(got.id).toBe(created.id);
    const gotV1 = await v1.checkouts.get(created.id);
    expect(gotV1.client_secret).toBe(created.clientSecret);
    const client = await v0.checkouts.clientGet({ clientSecret: created.clientSecret });
    expect(client.id).toBe(created.id);
    await expect(v0.checkouts.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await expect(v0.checkouts.clientGet({ clientSecret: 'polar_c_unknown' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
  });

  it('accepts the customer_external_id alias, a discount_id and a pay-what-you-want amount', async () => {
    const res = await fetch(`${emu.url}/v1/checkouts/`, {
      method: 'POST',
      headers: { authorization: 'Bearer x', 'content-type': 'application/json' },
      body: JSON.stringify({
        products: [await productId('Tip Jar')],
        customer_external_id: 'ext_9',
        amount: 2500,
      }),
    });
    expect(res.status).toBe(201);
    const body = (await res.json()) as { external_customer_id: string; amount: number };
    expect(body).toMatchObject({ external_customer_id: 'ext_9', amount: 2500 });

    const discounted = await v1.checkouts.create({
      products: [await productId('Monthly Plan')],
      discount_id: '9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01',
    });
    expect(discounted).toMatchObject({
      amount: 1999,
      discount_amount: 499,
      net_amount: 1500,
      total_amount: 1500,
    });
    const parsed = await v0.checkouts.get({ id: discounted.id });
    expect(parsed.discount).toMatchObject({ basisPoints: 2500 });
    const byCode = await v0.discounts.list({ query: 'LAUNCH25' });
    expect(byCode.result.items.map((d) => d.id)).toEqual(['9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01']);
    expect((await v1.discounts.get('9d3e5f7a-1b2c-4d3e-8f4a-5b6c7d8e9f01')).code).toBe('LAUNCH25');
    await expect(v0.discounts.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await control(`/checkouts/${discounted.id}/pay`);
    const order = (await v0.orders.list({ checkoutId: discounted.id })).result.items[0]!;
    expect(order).toMatchObject({
      subtotalAmount: 1999,
      discountAmount: 499,
      netAmount: 1500,
      totalAmount: 1500,
    });
    expect(order.discount).toMatchObject({ code: 'LAUNCH25' });
    const sub = await v0.subscriptions.get({ id: order.subscriptionId! });
    expect(sub.amount).toBe(1500);
    await control(`/subscriptions/${sub.id}/renew`);
    const orders = (await v0.orders.list({ subscriptionId: sub.id, sorting: ['created_at'] })).result.items;
    expect(orders.map((o) => [o.billingReason, o.totalAmount])).toEqual([
      ['subscription_create', 1500],
      ['subscription_cycle', 1999],
    ]);
  });

  it('rejects bad input with 422 HTTPValidationError and the right loc', async () => {
    const err = await v0.checkouts
      .create({ products: ['00000000-0000-4000-8000-000000000000'] })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HTTPValidationError);
    expect((err as HTTPValidationError).detail?.[0]?.loc).toEqual(['body', 'products', 0]);
    const tip = await productId('Tip Jar');
    const low = await v1.checkouts.create({ products: [tip], amount: 1 }).catch((e: unknown) => e);
    expect(low).toBeInstanceOf(v1errors.HTTPValidationError);
    const badUrl = await v0.checkouts
      .create({ products: [tip], successUrl: 'javascript:alert(1)' })
      .catch((e: unknown) => e);
    expect(badUrl).toBeInstanceOf(HTTPValidationError);
  });

  it('updates the amount of a pay-what-you-want checkout from the client and confirms a free checkout', async () => {
    const tip = await v0.checkouts.create({ products: [await productId('Tip Jar')] });
    const updated = await v0.checkouts.clientUpdate({
      clientSecret: tip.clientSecret,
      checkoutUpdatePublic: { amount: 700 },
    });
    expect(updated.amount).toBe(700);
    await expect(
      v0.checkouts.clientUpdate({
        clientSecret: tip.clientSecret,
        checkoutUpdatePublic: { amount: 10_000_000 },
      }),
    ).rejects.toBeInstanceOf(HTTPValidationError);

    const free = await v0.checkouts.create({ products: [await productId('Free Plan')] });
    expect(free.isPaymentFormRequired).toBe(false);
    const confirmed = await v0.checkouts.clientConfirm({
      clientSecret: free.clientSecret,
      checkoutConfirmStripe: { customerEmail: 'free@example.com', customerName: 'Free Person' },
    });
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.customerSessionToken).toMatch(/^polar_cst_/);
    expect((await v0.checkouts.get({ id: free.id })).status).toBe('succeeded');
    const subs = await v0.subscriptions.list({});
    expect(subs.result.items[0]).toMatchObject({ amount: 0, status: 'active' });
  });

  it('expires after one hour on the emulator clock: 410 on the client endpoints, status expired', async () => {
    const checkout = await v0.checkouts.create({ products: [await productId('Monthly Plan')] });
    await control('/clock', { advance_seconds: 3601 });
    await expect(v0.checkouts.clientGet({ clientSecret: checkout.clientSecret })).rejects.toBeInstanceOf(
      ExpiredCheckoutError,
    );
    const raw = await fetch(`${emu.url}/v1/checkouts/client/${checkout.clientSecret}`);
    expect(raw.status).toBe(410);
    expect(await raw.json()).toEqual({
      error: 'ExpiredCheckoutError',
      detail: 'This checkout session has expired.',
    });
    expect((await v0.checkouts.get({ id: checkout.id })).status).toBe('expired');
    const pay = await fetch(`${emu.url}/_emulator/checkouts/${checkout.id}/pay`, { method: 'POST' });
    expect(pay.status).toBe(410);
  });
});

describe('paying with the test cards on the confirm endpoint', () => {
  async function open(name = 'Monthly Plan') {
    return v1.checkouts.create({ products: [await productId(name)] });
  }
  function confirm(
    secret: string,
    card: Record<string, unknown> | null,
    extra: Record<string, unknown> = {},
  ) {
    return fetch(`${emu.url}/v1/checkouts/client/${secret}/confirm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customer_email: 'card@example.com',
        customer_name: 'Card Holder',
        ...extra,
        ...(card ? { card } : {}),
      }),
    });
  }
  const card = (number: string) => ({
    number,
    exp_month: 12,
    exp_year: new Date().getUTCFullYear() + 2,
    cvc: '123',
    name: 'Card Holder',
  });

  it('4242 pays: confirmed then succeeded, with customer, order and subscription', async () => {
    const c = await open();
    const res = await confirm(c.client_secret, card('4242 4242 4242 4242'));
    expect(res.status).toBe(200);
    const body = (await res.json()) as { status: string; customer_id: string };
    expect(body.status).toBe('succeeded');
    const orders = await v0.orders.list({ checkoutId: c.id });
    expect(orders.result.items[0]).toMatchObject({
      billingReason: 'subscription_create',
      status: 'paid',
      totalAmount: 1999,
    });
    expect(orders.result.items[0]!.customerId).toBe(body.customer_id);
  });

  it('4000 0000 0000 0002 is declined, the checkout stays open and can be paid again', async () => {
    const c = await open();
    const declined = await confirm(c.client_secret, card('4000000000000002'));
    expect(declined.status).toBe(400);
    expect(await declined.json()).toEqual({ error: 'PaymentError', detail: 'Your card was declined.' });
    expect((await v1.checkouts.get(c.id)).status).toBe('open');
    expect((await confirm(c.client_secret, card('4242424242424242'))).status).toBe(200);
    expect((await v1.checkouts.get(c.id)).status).toBe('succeeded');
    const again = await confirm(c.client_secret, card('4242424242424242'));
    expect(again.status).toBe(403);
  });

  it('4000 0025 0000 3155 asks for authentication; approve pays, fail reopens', async () => {
    const c = await open('Lifetime License');
    const res = await confirm(c.client_secret, card('4000002500003155'));
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      status: 'confirmed',
      payment_processor_metadata: { next_action: 'authenticate' },
    });
    const fail = await fetch(`${emu.url}/_emulator/checkouts/client/${c.client_secret}/authenticate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ approve: false }),
    });
    expect(fail.status).toBe(400);
    expect(await fail.json()).toEqual({ error: 'PaymentError', detail: 'Card authentication failed.' });
    expect((await v1.checkouts.get(c.id)).status).toBe('open');
    await confirm(c.client_secret, card('4000002500003155'));
    const ok = await control(`/checkouts/client/${c.client_secret}/authenticate`, { approve: true });
    expect(ok.status).toBe('succeeded');
  });

  it('answers 422 with the field for invalid card data and a missing email', async () => {
    const c = await open();
    const cases: [Record<string, unknown> | null, Record<string, unknown>, unknown[]][] = [
      [card('4242424242424242'), { customer_email: null }, ['body', 'customer_email']],
      [card('4242424242424242'), { customer_email: 'not-an-email' }, ['body', 'customer_email']],
      [card('4242424242424241'), {}, ['body', 'card', 'number']],
      [{ ...card('4242424242424242'), exp_year: 2020 }, {}, ['body', 'card', 'exp_year']],
      [{ ...card('4242424242424242'), cvc: '1' }, {}, ['body', 'card', 'cvc']],
      [null, {}, ['body', 'card']],
    ];
    for (const [cardData, extra, loc] of cases) {
      const res = await confirm(c.client_secret, cardData, extra);
      expect(res.status, JSON.stringify(loc)).toBe(422);
      const body = (await res.json()) as { detail: { loc: unknown[] }[] };
      expect(body.detail[0]!.loc).toEqual(loc);
    }
    expect((await v1.checkouts.get(c.id)).status).toBe('open');
  });
});

describe('purchases of every catalogue product', () => {
  it('creates the right order, subscription and benefits for each', async () => {
    const expectations: Record<string, { reason: string; total: number; interval: string | null }> = {
      'Monthly Plan': { reason: 'subscription_create', total: 1999, interval: 'month' },
      'Yearly Plan': { reason: 'subscription_create', total: 4999, interval: 'year' },
      'Free Plan': { reason: 'subscription_create', total: 0, interval: 'month' },
      'Lifetime License': { reason: 'purchase', total: 14900, interval: null },
      'Tip Jar': { reason: 'purchase', total: 500, interval: null },
    };
    for (const [name, want] of Object.entries(expectations)) {
      const checkout = await buy(name);
      expect(checkout.status).toBe('succeeded');
      const orders = await v0.orders.list({ checkoutId: checkout.id });
      expect(orders.result.items).toHaveLength(1);
      const order = await v0.orders.get({ id: orders.result.items[0]!.id });
      expect(order).toMatchObject({
        billingReason: want.reason,
        totalAmount: want.total,
        status: 'paid',
        paid: true,
      });
      expect(order.product?.name).toBe(name);
      expect((await v1.orders.get(order.id)).customer.email).toBe(checkout.customerEmail);
      if (want.interval) {
        expect(order.subscriptionId).toBeTruthy();
        const sub = await v0.subscriptions.get({ id: order.subscriptionId! });
        expect(sub).toMatchObject({ status: 'active', recurringInterval: want.interval, amount: want.total });
        expect(sub.customer.id).toBe(order.customerId);
        expect(sub.product.name).toBe(name);
      } else {
        expect(order.subscriptionId).toBeNull();
      }
      const state = await v0.customers.getState({ id: order.customerId });
      const product = await v0.products.get({ id: order.productId! });
      expect(state.grantedBenefits.map((g) => g.benefitId).sort()).toEqual(
        product.benefits.map((b) => b.id).sort(),
      );
      expect(state.activeSubscriptions.length).toBe(want.interval ? 1 : 0);
    }
    await expect(v0.orders.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
    await expect(v0.subscriptions.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
  });

  it('filters orders and subscriptions the way the kit needs', async () => {
    const a = await buy('Monthly Plan', { external_customer_id: 'user_a', metadata: { plan: 'monthly' } });
    await buy('Lifetime License', { external_customer_id: 'user_b', metadata: { plan: 'lifetime' } });
    const byMetadata = await v1.orders.list({ metadata: { plan: 'monthly' } });
    expect(byMetadata.items.map((o) => o.checkout_id)).toEqual([a.id]);
    expect((await v0.orders.list({ metadata: { plan: ['monthly', 'lifetime'] } })).result.items).toHaveLength(
      2,
    );
    const byExternal = await v1.orders.list({ external_customer_id: 'user_a' });
    expect(byExternal.items.map((o) => o.checkout_id)).toEqual([a.id]);
    const byProduct = await v0.orders.list({ productId: await productId('Lifetime License') });
    expect(byProduct.result.items).toHaveLength(1);
    const byReason = await v1.orders.list({ limit: 100 });
    expect(byReason.pagination.total_count).toBe(2);
    const future = await v1.orders.list({
      created_after: new Date(Date.now() + 86_400_000).toISOString(),
    } as never);
    expect(future.items).toHaveLength(0);
    const subId = (await v0.orders.list({ checkoutId: a.id })).result.items[0]!.subscriptionId!;
    expect((await v0.orders.list({ subscriptionId: subId })).result.items).toHaveLength(1);
    expect(
      (await v0.subscriptions.list({ externalCustomerId: 'user_a' })).result.items.map((s) => s.id),
    ).toEqual([subId]);
    expect((await v0.subscriptions.list({ active: false })).result.items).toHaveLength(0);
    expect((await v1.subscriptions.list({ customer_id: a.customerId! })).items).toHaveLength(1);
  });
});

describe('subscription life cycle', () => {
  async function subscription(card?: string) {
    const checkout = await buy('Monthly Plan', card ? { card } : {});
    const order = (await v0.orders.list({ checkoutId: checkout.id })).result.items[0]!;
    return { subscriptionId: order.subscriptionId!, orderId: order.id, customerId: order.customerId };
  }

  it('cancels at period end, uncancels, and revokes through both SDKs', async () => {
    const { subscriptionId } = await subscription();
    const canceled = await v0.subscriptions.update({
      id: subscriptionId,
      subscriptionUpdate: { cancelAtPeriodEnd: true },
    });
    expect(canceled).toMatchObject({ status: 'active', cancelAtPeriodEnd: true });
    expect(canceled.endsAt?.getTime()).toBe(canceled.currentPeriodEnd.getTime());
    await expect(
      v0.subscriptions.update({ id: subscriptionId, subscriptionUpdate: { cancelAtPeriodEnd: true } }),
    ).rejects.toBeInstanceOf(AlreadyCanceledSubscription);
    const uncanceled = await v1.subscriptions.update(subscriptionId, { cancel_at_period_end: false });
    expect(uncanceled).toMatchObject({ cancel_at_period_end: false, ends_at: null, canceled_at: null });
    const revoked = await v0.subscriptions.revoke({ id: subscriptionId });
    expect(revoked.status).toBe('canceled');
    expect(revoked.endedAt).toBeInstanceOf(Date);
    await expect(v0.subscriptions.revoke({ id: subscriptionId })).rejects.toBeInstanceOf(
      AlreadyCanceledSubscription,
    );
    const state = await v0.customers.getState({ id: revoked.customerId });
    expect(state.activeSubscriptions).toHaveLength(0);
    expect(state.grantedBenefits).toHaveLength(0);
  });

  it('renews with a subscription_cycle order, through the control API and through the clock', async () => {
    const { subscriptionId } = await subscription();
    const before = await v0.subscriptions.get({ id: subscriptionId });
    const renewed = await control<{ current_period_start: string }>(`/subscriptions/${subscriptionId}/renew`);
    // The SDK's Date keeps milliseconds; the emulator's timestamps have microseconds, as Polar's do.
    expect(Date.parse(renewed.current_period_start)).toBe(before.currentPeriodEnd.getTime());
    const orders = await v0.orders.list({ subscriptionId, sorting: ['created_at'] });
    expect(orders.result.items.map((o) => o.billingReason)).toEqual([
      'subscription_create',
      'subscription_cycle',
    ]);
    expect(orders.result.items[1]).toMatchObject({ status: 'paid', totalAmount: 1999 });
    await control('/clock', { advance_seconds: 63 * 86_400 });
    const after = await v0.orders.list({ subscriptionId });
    expect(after.result.pagination.totalCount).toBe(3);
  });

  it('ends a subscription canceled at period end when the period is over', async () => {
    const { subscriptionId } = await subscription();
    await control(`/subscriptions/${subscriptionId}/cancel`);
    await control('/clock', { advance_seconds: 32 * 86_400 });
    const sub = await v0.subscriptions.get({ id: subscriptionId });
    expect(sub.status).toBe('canceled');
    expect(sub.endedAt).toBeInstanceOf(Date);
    expect((await v0.orders.list({ subscriptionId })).result.pagination.totalCount).toBe(1);
  });

  it('goes past_due when the 0341 card fails the renewal, and with the control API', async () => {
    const failing = await subscription('4000000000000341');
    const renewed = await control<{ status: string }>(`/subscriptions/${failing.subscriptionId}/renew`);
    expect(renewed.status).toBe('past_due');
    const orders = await v0.orders.list({ subscriptionId: failing.subscriptionId, sorting: ['created_at'] });
    expect(orders.result.items[1]).toMatchObject({
      billingReason: 'subscription_cycle',
      status: 'pending',
      paid: false,
    });
    expect((await v0.subscriptions.get({ id: failing.subscriptionId })).pastDueAt).toBeInstanceOf(Date);

    const other = await subscription();
    const pastDue = await control<{ status: string }>(`/subscriptions/${other.subscriptionId}/past_due`);
    expect(pastDue.status).toBe('past_due');
    expect((await v0.subscriptions.list({ status: ['past_due'] } as never)).result.items).toHaveLength(2);
  });

  it('refunds an order fully or partly, and revokes benefits when asked', async () => {
    const { orderId, customerId } = await subscription();
    const partial = await v0.refunds.create({ orderId, reason: 'customer_request', amount: 999 });
    expect(partial).toMatchObject({ amount: 999, status: 'succeeded', orderId });
    expect((await v0.orders.get({ id: orderId })).status).toBe('partially_refunded');
    const rest = await v1.refunds.create({
      order_id: orderId,
      reason: 'other',
      amount: 1000,
      revoke_benefits: true,
    });
    expect(rest.amount).toBe(1000);
    const order = await v0.orders.get({ id: orderId });
    expect(order).toMatchObject({ status: 'refunded', refundedAmount: 1999, refundableAmount: 0 });
    expect((await v0.customers.getState({ id: customerId })).activeSubscriptions).toHaveLength(0);
    const refunds = await v0.refunds.list({ orderId });
    expect(refunds.result.items).toHaveLength(2);
    const over = await v0.refunds.create({ orderId, reason: 'other', amount: 1 }).catch((e: unknown) => e);
    expect((over as { statusCode?: number }).statusCode).toBe(403);

    const lifetime = await buy('Lifetime License');
    const lifetimeOrder = (await v0.orders.list({ checkoutId: lifetime.id })).result.items[0]!;
    const refunded = await control<{ order: { status: string } }>(`/orders/${lifetimeOrder.id}/refund`, {
      revoke_benefits: true,
    });
    expect(refunded.order.status).toBe('refunded');
    const keys = await v0.licenseKeys.list({});
    expect(keys.result.items[0]!.status).toBe('revoked');
  });
});

describe('customers, sessions and the customer portal', () => {
  it('creates, reads, lists, updates and deletes customers; duplicates are 422 with the field', async () => {
    const created = await v0.customers.create({
      email: 'ann@example.com',
      name: 'Ann',
      externalId: 'ann_1',
      metadata: { plan: 'x' },
    });
    expect(created).toMatchObject({ email: 'ann@example.com', type: 'individual', externalId: 'ann_1' });
    const dupEmail = await v0.customers.create({ email: 'ann@example.com' }).catch((e: unknown) => e);
    expect(dupEmail).toBeInstanceOf(HTTPValidationError);
    expect((dupEmail as HTTPValidationError).detail?.[0]?.loc).toEqual(['body', 'email']);
    const dupExt = await v1.customers
      .create({ email: 'other@example.com', external_id: 'ann_1' })
      .catch((e: unknown) => e);
    expect(dupExt).toBeInstanceOf(v1errors.HTTPValidationError);
    expect(JSON.stringify((dupExt as { error: unknown }).error)).toContain('external_id');

    expect((await v0.customers.get({ id: created.id })).email).toBe('ann@example.com');
    expect((await v0.customers.getExternal({ externalId: 'ann_1' })).id).toBe(created.id);
    expect((await v1.customers.getExternal('ann_1')).id).toBe(created.id);
    const state = await v0.customers.getStateExternal({ externalId: 'ann_1' });
    expect(state).toMatchObject({ activeSubscriptions: [], grantedBenefits: [] });
    expect((await v1.customers.getState(created.id)).id).toBe(created.id);
    const listed = await v0.customers.list({ email: 'ann@example.com' });
    expect(listed.result.items.map((c) => c.id)).toEqual([created.id]);
    const updated = await v0.customers.update({ id: created.id, customerUpdate: { name: 'Ann B' } });
    expect(updated.name).toBe('Ann B');
    await v0.customers.delete({ id: created.id });
    await expect(v0.customers.get({ id: created.id })).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(v0.customers.getExternal({ externalId: 'ann_1' })).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(v1.customers.getStateExternal('nobody')).rejects.toBeInstanceOf(v1errors.ResourceNotFound);
  });

  it('creates customer sessions whose token opens the customer portal API', async () => {
    const checkout = await buy('Monthly Plan', { external_customer_id: 'portal_user' });
    await buy('Lifetime License', {
      external_customer_id: 'portal_user',
      customer_email: checkout.customerEmail!,
    });
    const session = await v0.customerSessions.create({ externalCustomerId: 'portal_user' });
    expect(session.token).toMatch(/^polar_cst_/);
    expect(session.customerPortalUrl).toBe(
      `${emu.url}/polar-kit-demo/portal?customer_session_token=${session.token}`,
    );
    const byId = await v1.customerSessions.create({ customer_id: session.customerId });
    expect(byId.customer.id).toBe(session.customerId);
    await expect(
      v0.customerSessions.create({ customerId: '00000000-0000-4000-8000-000000000000' }),
    ).rejects.toBeInstanceOf(HTTPValidationError);

    const security = { customerSession: session.token };
    const me = await v0.customerPortal.customers.get(security);
    expect(me.id).toBe(session.customerId);
    const orders = await v0.customerPortal.orders.list(security, {});
    expect(orders.result.items.map((o) => o.product?.name).sort()).toEqual([
      'Lifetime License',
      'Monthly Plan',
    ]);
    const subs = await v0.customerPortal.subscriptions.list(security, {});
    expect(subs.result.items).toHaveLength(1);
    const canceled = await v0.customerPortal.subscriptions.update(security, {
      id: subs.result.items[0]!.id,
      customerSubscriptionUpdate: { cancelAtPeriodEnd: true },
    });
    expect(canceled.cancelAtPeriodEnd).toBe(true);
    const undone = await v0.customerPortal.subscriptions.update(security, {
      id: subs.result.items[0]!.id,
      customerSubscriptionUpdate: { cancelAtPeriodEnd: false },
    });
    expect(undone.cancelAtPeriodEnd).toBe(false);
    const keys = await v0.customerPortal.licenseKeys.list(security, {});
    expect(keys.result.items).toHaveLength(1);
    expect(keys.result.items[0]).toMatchObject({ status: 'granted', limitActivations: 3, usage: 0 });
    const key = await v0.customerPortal.licenseKeys.get(security, { id: keys.result.items[0]!.id });
    expect(key.activations).toEqual([]);

    const v1portal = await v1.customerPortal.orders.list({}, { accessToken: session.token });
    expect(v1portal.items).toHaveLength(2);
    const noToken = await fetch(`${emu.url}/v1/customer-portal/orders/`, {
      headers: { authorization: 'Bearer polar_oat_x' },
    });
    expect(noToken.status).toBe(401);
    const wrongApi = await fetch(`${emu.url}/v1/orders/`, {
      headers: { authorization: `Bearer ${session.token}` },
    });
    expect(wrongApi.status).toBe(401);
  });
});

describe('events ingest', () => {
  it('counts inserted events and duplicates by external_id, and rejects more than 1000 events', async () => {
    const c = await v0.customers.create({ email: 'usage@example.com', externalId: 'usage_1' });
    const first = await v0.events.ingest({
      events: [
        { name: 'api_call', externalCustomerId: 'usage_1', externalId: 'evt_1', metadata: { tokens: 10 } },
        { name: 'api_call', customerId: c.id, externalId: 'evt_2' },
      ],
    });
    expect(first).toEqual({ inserted: 2, duplicates: 0 });
    const again = await v1.events.ingest({
      events: [
        { name: 'api_call', external_customer_id: 'usage_1', external_id: 'evt_1' },
        { name: 'api_call', external_customer_id: 'usage_1', external_id: 'evt_3' },
      ],
    });
    expect(again).toEqual({ inserted: 1, duplicates: 1 });
    const listed = await v1.events.list({ external_customer_id: 'usage_1' } as never);
    expect((listed as { items: { name: string }[] }).items).toHaveLength(2);
    const all = await v0.events.list({ customerId: c.id });
    const events = 'items' in all ? all.items : [];
    expect(events.length).toBe(3);
    expect(events.every((e) => e.name === 'api_call')).toBe(true);
    expect((await v0.events.get({ id: events[0]!.id })).id).toBe(events[0]!.id);
    const tooMany = Array.from({ length: 1001 }, (_, i) => ({
      name: 'x',
      externalCustomerId: 'usage_1',
      externalId: `b${i}`,
    }));
    await expect(v0.events.ingest({ events: tooMany })).rejects.toBeInstanceOf(HTTPValidationError);
  });
});

describe('license keys', () => {
  async function licenseKey() {
    await buy('Lifetime License');
    const keys = await v0.licenseKeys.list({});
    return keys.result.items[0]!;
  }

  it('validates, activates up to the limit (then 403 NotPermitted), and deactivates (public endpoints)', async () => {
    const key = await licenseKey();
    const organizationId = key.organizationId;
    const validated = await v0.customerPortal.licenseKeys.validate({ key: key.key, organizationId });
    expect(validated).toMatchObject({ status: 'granted', validations: 1, limitActivations: 3 });
    const activations = [];
    for (const label of ['laptop', 'desktop', 'tablet']) {
      activations.push(await v0.customerPortal.licenseKeys.activate({ key: key.key, organizationId, label }));
    }
    expect(activations[0]!.licenseKey.id).toBe(key.id);
    await expect(
      v0.customerPortal.licenseKeys.activate({ key: key.key, organizationId, label: 'phone' }),
    ).rejects.toBeInstanceOf(NotPermitted);
    const withActivation = await v1.customerPortal.licenseKeys.validate({
      key: key.key,
      organization_id: organizationId,
      activation_id: activations[0]!.id,
    });
    expect(withActivation.activation?.id).toBe(activations[0]!.id);
    await v0.customerPortal.licenseKeys.deactivate({
      key: key.key,
      organizationId,
      activationId: activations[0]!.id,
    });
    const reactivated = await v1.customerPortal.licenseKeys.activate({
      key: key.key,
      organization_id: organizationId,
      label: 'phone',
    });
    expect(reactivated.label).toBe('phone');
    await expect(
      v0.customerPortal.licenseKeys.validate({ key: 'NOPE', organizationId }),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(
      v0.customerPortal.licenseKeys.deactivate({
        key: key.key,
        organizationId,
        activationId: activations[0]!.id,
      }),
    ).rejects.toBeInstanceOf(ResourceNotFound);
  });

  it('serves the server-side variants, usage limits and revoked keys', async () => {
    const key = await licenseKey();
    const got = await v0.licenseKeys.get({ id: key.id });
    expect(got.activations).toEqual([]);
    const act = await v0.licenseKeys.activate({
      key: key.key,
      organizationId: key.organizationId,
      label: 'ci',
    });
    const usage = await v0.licenseKeys.validate({
      key: key.key,
      organizationId: key.organizationId,
      incrementUsage: 5,
    });
    expect(usage.usage).toBe(5);
    await v1.licenseKeys.update(key.id, { limit_usage: 6 });
    const over = await v1.licenseKeys
      .validate({ key: key.key, organization_id: key.organizationId, increment_usage: 2 })
      .catch((e: unknown) => e);
    expect((over as { statusCode?: number }).statusCode).toBe(400);
    await v0.licenseKeys.deactivate({
      key: key.key,
      organizationId: key.organizationId,
      activationId: act.id,
    });
    await v1.licenseKeys.update(key.id, { status: 'revoked' });
    await expect(
      v0.licenseKeys.validate({ key: key.key, organizationId: key.organizationId }),
    ).rejects.toBeInstanceOf(ResourceNotFound);
    await expect(
      v0.licenseKeys.activate({ key: key.key, organizationId: key.organizationId, label: 'x' }),
    ).rejects.toBeInstanceOf(NotPermitted);
    await expect(v0.licenseKeys.get({ id: '00000000-0000-4000-8000-000000000000' })).rejects.toBeInstanceOf(
      ResourceNotFound,
    );
  });
});

describe('webhook endpoints through the SDK', () => {
  it('creates, lists and deletes an endpoint', async () => {
    const created = await v1.webhooks.createWebhookEndpoint({
      url: 'http://127.0.0.1:9/hook',
      format: 'raw',
      events: ['order.paid'],
    });
    expect(created.secret).toMatch(/^whsec_/);
    const listed = await v0.webhooks.listWebhookEndpoints({});
    expect(listed.result.items.map((e) => e.id)).toContain(created.id);
    await v0.webhooks.deleteWebhookEndpoint({ id: created.id });
    expect((await v1.webhooks.listWebhookEndpoints({})).items).toHaveLength(0);
  });
});

describe('the remaining variants', () => {
  it('lists checkouts, updates and deletes customers by external id, reads an activation, and cancels from the portal', async () => {
    const checkout = await buy('Lifetime License', { external_customer_id: 'ext_variants' });
    const listed = await v0.checkouts.list({ productId: checkout.productId! });
    expect(listed.result.items.map((c) => c.id)).toEqual([checkout.id]);
    expect((await v1.checkouts.list({ status: ['succeeded'] } as never)).items).toHaveLength(1);

    const updated = await v0.customers.updateExternal({
      externalId: 'ext_variants',
      customerUpdateExternalID: { name: 'Renamed' },
    });
    expect(updated.name).toBe('Renamed');

    const key = (await v0.licenseKeys.list({})).result.items[0]!;
    const activation = await v0.licenseKeys.activate({
      key: key.key,
      organizationId: key.organizationId,
      label: 'box',
    });
    const read = await v0.licenseKeys.getActivation({ id: key.id, activationId: activation.id });
    expect(read).toMatchObject({ label: 'box', licenseKey: { id: key.id } });

    const sub = await buy('Yearly Plan', {
      external_customer_id: 'ext_variants',
      customer_email: checkout.customerEmail!,
    });
    const session = await v1.customerSessions.create({ external_customer_id: 'ext_variants' });
    const canceled = await v0.customerPortal.subscriptions.cancel(
      { customerSession: session.token },
      { id: sub.subscriptionId! },
    );
    expect(canceled.cancelAtPeriodEnd).toBe(true);

    await v0.customers.deleteExternal({ externalId: 'ext_variants' });
    await expect(v1.customers.getExternal('ext_variants')).rejects.toBeInstanceOf(v1errors.ResourceNotFound);
    expect((await v0.subscriptions.get({ id: sub.subscriptionId! })).status).toBe('canceled');
  });
});
