import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { AccessResponse, CheckoutResponse, OrderSummary, Product } from '../../contract/contract.js';
import { openDatabase } from '../../server/db/open.js';
import { createSilentLogger } from '../../server/logger.js';
import { createPolarGateway } from '../../server/polar/gateway.js';
import { createReconciler } from '../../server/reconcile.js';
import { signedDelivery } from '../helpers/sign-webhook.js';
import { startTestKit, waitFor } from '../helpers/test-kit.js';
import type { TestKit } from '../helpers/test-kit.js';

const PAYING_CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };

const kits: TestKit[] = [];

afterEach(async () => {
  while (kits.length > 0) await kits.pop()!.close();
});

async function start(options: Parameters<typeof startTestKit>[0] = {}): Promise<TestKit> {
  const kit = await startTestKit(options);
  kits.push(kit);
  return kit;
}

async function json<T>(response: Response | Promise<Response>): Promise<T> {
  const res = await response;
  const text = await res.text();
  if (!res.ok) throw new Error(`${res.url} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function product(t: TestKit, name: string): Promise<Product> {
  const products = await json<Product[]>(t.fetch('/api/products'));
  const found = products.find((p) => p.name === name);
  if (!found) throw new Error(`no product ${name}`);
  return found;
}

/** Buys `product` for `externalId` through the kit and the emulator's control API. */
async function buy(t: TestKit, p: Product, externalId: string) {
  const email = `${externalId}@example.com`;
  const checkout = await json<CheckoutResponse>(
    t.admin('/api/checkout', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ product_id: p.id, email, external_customer_id: externalId }),
    }),
  );
  await t.control(`/_emulator/checkouts/${checkout.checkout_id}/pay`, {
    card: PAYING_CARD,
    customer_email: email,
    customer_name: 'Test Buyer',
  });
  await t.emulator.webhooks.drain();
  return { checkout, email };
}

function access(t: TestKit, key: string): Promise<AccessResponse> {
  return json<AccessResponse>(t.admin(`/api/customers/${encodeURIComponent(key)}/access`));
}

/** Every row of the tables reconciliation writes, for before/after comparisons. */
function snapshot(dbPath: string): Record<string, unknown[]> {
  const db = new Database(dbPath, { readonly: true });
  try {
    const tables = ['orders', 'subscriptions', 'customers', 'refunds'];
    return Object.fromEntries(
      tables.map((table) => [table, db.prepare(`SELECT * FROM ${table} ORDER BY id`).all()]),
    );
  } finally {
    db.close();
  }
}

describe('reconcile', () => {
  it('restores orders, subscriptions, customers and access whose webhooks were never delivered', async () => {
    const t = await start({ registerWebhook: false });
    const monthly = await product(t, 'Monthly Plan');
    const lifetime = await product(t, 'Lifetime License');
    const sub = await buy(t, monthly, 'lost-sub');
    const once = await buy(t, lifetime, 'lost-once');

    expect((await t.admin('/api/customers/lost-sub/access')).status).toBe(404);
    expect(await json<OrderSummary[]>(t.admin(`/api/orders/${sub.email}`))).toEqual([]);

    const report = await t.kit.reconcile();
    expect(report.since).toBeNull();
    expect(report.orders).toMatchObject({ fetched: 2, created: 2, failed: 0 });
    expect(report.subscriptions).toMatchObject({ fetched: 1, created: 1 });
    expect(report.customers).toMatchObject({ fetched: 2, created: 2 });

    const subAccess = await access(t, 'lost-sub');
    expect(subAccess.active).toBe(true);
    expect(subAccess.subscriptions).toHaveLength(1);
    expect(subAccess.subscriptions[0]).toMatchObject({ product_id: monthly.id, status: 'active' });
    expect((await access(t, 'lost-once')).product_ids).toEqual([lifetime.id]);
    const orders = await json<OrderSummary[]>(t.admin(`/api/orders/${once.email}`));
    expect(orders).toHaveLength(1);
    expect(orders[0]).toMatchObject({
      paid: true,
      product_id: lifetime.id,
      checkout_id: once.checkout.checkout_id,
    });
    const status = await json<{ order: unknown }>(t.fetch(`/api/checkout/${sub.checkout.checkout_id}`));
    expect(status.order).not.toBeNull();
  });

  it('changes nothing on a second run', async () => {
    const t = await start({ registerWebhook: false });
    await buy(t, await product(t, 'Monthly Plan'), 'twice');
    await t.kit.reconcile();
    const before = snapshot(t.dbPath);

    const second = await t.kit.reconcile({ full: true });
    expect(second.total).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(second.total.unchanged).toBe(second.total.fetched);
    const third = await t.kit.reconcile();
    expect(third.since).not.toBeNull();
    expect(third.total).toMatchObject({ created: 0, updated: 0 });
    expect(snapshot(t.dbPath)).toEqual(before);
  });

  it('leaves alone what webhooks already delivered', async () => {
    const t = await start();
    await buy(t, await product(t, 'Monthly Plan'), 'on-time');
    const before = snapshot(t.dbPath);
    expect(before.orders).toHaveLength(1);
    const report = await t.kit.reconcile();
    expect(report.total).toMatchObject({ created: 0, updated: 0, failed: 0 });
    expect(snapshot(t.dbPath)).toEqual(before);
  });

  it('heals a cancellation and a refund made while webhooks were lost, in an incremental run', async () => {
    const t = await start();
    const monthly = await product(t, 'Monthly Plan');
    const lifetime = await product(t, 'Lifetime License');
    await buy(t, monthly, 'cancels');
    await buy(t, lifetime, 'refunded');
    const first = await t.kit.reconcile();
    expect(first.total.created).toBe(0);

    for (const endpoint of t.emulator.webhooks.listEndpoints())
      t.emulator.webhooks.deleteEndpoint(endpoint.id);
    const subscriptionId = (await access(t, 'cancels')).subscriptions[0]!.id;
    await t.control(`/_emulator/subscriptions/${subscriptionId}/revoke`);
    const orderId = (await json<OrderSummary[]>(t.admin('/api/orders/refunded@example.com')))[0]!.id;
    await t.control(`/_emulator/orders/${orderId}/refund`, {});
    expect((await access(t, 'cancels')).subscriptions).toHaveLength(1);

    const report = await t.kit.reconcile();
    expect(report.since).toBe(first.startedAt);
    expect(report.subscriptions.updated).toBe(1);
    expect(report.refunds.created).toBe(1);
    expect(report.orders.updated).toBe(1);
    // Benefit grants have no list endpoint to read them back from; subscriptions and orders decide here.
    expect((await access(t, 'cancels')).subscriptions).toEqual([]);
    expect((await access(t, 'refunded')).product_ids).toEqual([]);
    const [order] = await json<OrderSummary[]>(t.admin('/api/orders/refunded@example.com'));
    expect(order!.status).toBe('refunded');
  });

  it('never overwrites a newer state with an older copy read from Polar', async () => {
    const t = await start();
    await buy(t, await product(t, 'Monthly Plan'), 'newer');
    const subscription = await json<{ items: Array<Record<string, unknown>> }>(
      fetch(`${t.emulator.url.replace(/\/+$/, '')}/v1/subscriptions/`, {
        headers: { authorization: 'Bearer polar_oat_test_token' },
      }),
    ).then((list) => list.items[0]!);
    // A state one hour newer than Polar's, as a later webhook would carry it.
    const later = new Date(Date.now() + 3_600_000).toISOString();
    const newer = {
      ...subscription,
      status: 'canceled',
      modified_at: later,
      ended_at: later,
      canceled_at: later,
    };
    const { body, headers } = signedDelivery(
      { type: 'subscription.revoked', timestamp: later, data: newer },
      t.webhookSecret,
    );
    expect((await t.fetch('/api/webhooks/polar', { method: 'POST', headers, body })).status).toBe(202);
    expect((await access(t, 'newer')).subscriptions).toEqual([]);

    const report = await t.kit.reconcile({ full: true });
    expect(report.subscriptions).toMatchObject({ fetched: 1, updated: 0, unchanged: 1 });
    expect((await access(t, 'newer')).subscriptions).toEqual([]);
  });

  it('retries a page Polar failed or rate limited, where it failed', async () => {
    const t = await start({ registerWebhook: false });
    await buy(t, await product(t, 'Lifetime License'), 'retried');
    await t.control('/_emulator/faults', { path: '/v1/subscriptions', status: 503, count: 1 });
    await t.control('/_emulator/faults', { path: '/v1/orders', status: 429, retry_after: 1, count: 1 });
    const report = await t.kit.reconcile();
    expect(report.orders.created).toBe(1);
    expect((await access(t, 'retried')).active).toBe(true);
  });

  it('records a failed run without moving the watermark, and the next run catches up', async () => {
    const t = await start({ registerWebhook: false });
    const first = await t.kit.reconcile();
    await buy(t, await product(t, 'Lifetime License'), 'outage');
    await t.control('/_emulator/faults', { path: '/v1/subscriptions', status: 503, count: 4 });
    await expect(t.kit.reconcile()).rejects.toMatchObject({ code: 'POLAR_UNAVAILABLE' });

    const report = await t.kit.reconcile();
    expect(report.since).toBe(first.startedAt);
    expect(report.orders.created).toBe(1);
    expect((await access(t, 'outage')).active).toBe(true);
  });

  it('reads only orders created since the last run (less the overlap), and subscriptions whole', async () => {
    const t = await start({ registerWebhook: false });
    const db = openDatabase({ path: t.dbPath });
    try {
      const gateway = createPolarGateway({
        accessToken: 'polar_oat_test',
        server: 'local',
        baseUrl: t.emulator.url,
      });
      const reconciler = createReconciler({ db, gateway, logger: createSilentLogger(), overlapMs: 0 });
      await buy(t, await product(t, 'Monthly Plan'), 'first-buyer');
      await pastThisMillisecond();
      const first = await reconciler.run();
      expect(first.orders.fetched).toBe(1);
      expect(reconciler.watermark()).toBe(first.startedAt);
      expect(reconciler.latest()).toMatchObject({ status: 'completed', created: first.total.created });

      await buy(t, await product(t, 'Lifetime License'), 'second-buyer');
      const second = await reconciler.run();
      expect(second.since).toBe(first.startedAt);
      expect(second.orders).toMatchObject({ fetched: 1, created: 1 });
      expect(second.subscriptions).toMatchObject({ fetched: 1, created: 0 });
      expect(second.customers).toMatchObject({ created: 1 });
      const full = await reconciler.run({ full: true });
      expect(full.orders).toMatchObject({ fetched: 2, created: 0, updated: 0 });
    } finally {
      db.close();
    }
  });

  it('runs on its own every reconcileIntervalMs', async () => {
    const t = await start({ registerWebhook: false, kit: { reconcileIntervalMs: 1000 } });
    await buy(t, await product(t, 'Lifetime License'), 'scheduled');
    await waitFor(
      async () => (await t.admin('/api/customers/scheduled/access')).status === 200,
      'the scheduled run',
      { timeoutMs: 5000, intervalMs: 100 },
    );
  });

  it('rejects a bad interval and a bad since', async () => {
    await expect(start({ kit: { reconcileIntervalMs: 10 } })).rejects.toThrow(/reconcileIntervalMs/);
    const t = await start();
    await expect(t.kit.reconcile({ since: 'yesterday' })).rejects.toThrow(/since must be an ISO-8601/);
  });
});

/**
 * A run's watermark has millisecond precision: an order stamped later in the same millisecond as the run's
 * start is indistinguishable from one stamped before it, so with `overlapMs: 0` the next run would read it
 * again. Production runs keep an overlap of an hour; this test steps past the millisecond instead.
 */
async function pastThisMillisecond(): Promise<void> {
  const start = Date.now();
  while (Date.now() <= start + 1) await new Promise((resolve) => setTimeout(resolve, 1));
}
