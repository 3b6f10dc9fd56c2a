import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../server/db/open.js';
import { createAccessQueries } from '../../server/db/access.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import { startEmulator } from '../helpers/emulator.js';
import type { StartedEmulator } from '../helpers/emulator.js';
import { generateWebhookSecret, signWebhook } from '../helpers/sign-webhook.js';
import { shuffledWithRepeats, snapshotKitState } from '../helpers/kit-state.js';
import { createMemoryLogger, startWebhookApp } from '../helpers/webhook-app.js';
import type { WebhookTestApp } from '../helpers/webhook-app.js';

/*
 * Real payloads: a subscription's life and a refunded purchase played on the emulator, captured from its
 * delivery log, then delivered again to fresh databases in random orders.
 */

const SECRET = generateWebhookSecret();
const CARD = { number: '4242424242424242', exp_month: 12, exp_year: 2035, cvc: '123' };

let emulator: StartedEmulator;
let receiver: WebhookTestApp;
let captured: Array<{ webhookId: string; type: string; payload: string }> = [];

async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${emulator.url}${path}`, {
    method,
    headers: { 'content-type': 'application/json', authorization: 'Bearer polar_oat_test' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function buy(productId: string, externalId: string): Promise<void> {
  const checkout = await api<{ id: string }>('POST', '/v1/checkouts/', {
    products: [productId],
    customer_email: `${externalId}@example.com`,
    external_customer_id: externalId,
  });
  await api('POST', `/_emulator/checkouts/${checkout.id}/pay`, {
    card: CARD,
    customer_email: `${externalId}@example.com`,
    customer_name: 'Real Payload',
  });
}

beforeAll(async () => {
  receiver = await startWebhookApp({ secret: SECRET });
  emulator = await startEmulator({
    timeScale: 0.001,
    webhook: { url: `${receiver.url}/api/webhooks/polar`, secret: SECRET },
  });
  const { items: products } = await api<{
    items: Array<{ id: string; is_recurring: boolean; prices: Array<{ price_amount?: number }> }>;
  }>('GET', '/v1/products/?limit=100');
  const paid = (p: (typeof products)[number]) => (p.prices[0]?.price_amount ?? 0) > 0;
  const monthly = products.find((p) => p.is_recurring && paid(p))!;
  const oneTime = products.find((p) => !p.is_recurring && paid(p))!;

  await buy(monthly.id, 'life');
  const state = await api<{
    subscriptions: Array<{ id: string }>;
    orders: Array<{ id: string; product_id: string }>;
  }>('GET', '/_emulator/state');
  const subscriptionId = state.subscriptions[0]!.id;
  for (const action of ['cancel', 'uncancel', 'renew', 'past_due', 'revoke']) {
    await api('POST', `/_emulator/subscriptions/${subscriptionId}/${action}`, {});
  }
  await buy(oneTime.id, 'refunded');
  const after = await api<{ orders: Array<{ id: string; product_id: string }> }>('GET', '/_emulator/state');
  const purchase = after.orders.find((o) => o.product_id === oneTime.id)!;
  await api('POST', `/_emulator/orders/${purchase.id}/refund`, {});
  await emulator.webhooks.drain();
  captured = emulator.webhooks
    .deliveries()
    .map((d) => ({ webhookId: d.webhook_id, type: d.type, payload: d.payload }));
});

afterAll(async () => {
  await emulator?.close();
  await receiver?.close();
});

async function deliver(order: number[]): Promise<Database> {
  const db = openDatabase({ path: ':memory:' });
  const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
  for (const i of order) {
    const event = captured[i]!;
    const result = await ingest.handle(
      Buffer.from(event.payload),
      signWebhook(event.payload, SECRET, { id: event.webhookId }),
    );
    expect([200, 202]).toContain(result.status);
  }
  return db;
}

describe('payloads captured from the emulator', () => {
  it('cover the life-cycle events and were all applied by the kit', async () => {
    const types = new Set(captured.map((c) => c.type));
    for (const type of [
      'checkout.updated',
      'customer.created',
      'order.created',
      'order.paid',
      'subscription.created',
      'subscription.active',
      'subscription.canceled',
      'subscription.uncanceled',
      'subscription.past_due',
      'subscription.revoked',
      'benefit_grant.created',
      'benefit_grant.revoked',
      'refund.created',
      'order.refunded',
    ]) {
      expect(types, type).toContain(type);
    }
    const statuses = receiver.db
      .prepare(`SELECT status, count(*) AS n FROM webhook_events GROUP BY status`)
      .all();
    expect(statuses).toEqual([{ status: 'processed', n: captured.length }]);
  });

  it('leave the customers with the access the story implies', async () => {
    const db = await deliver(captured.map((_, i) => i));
    const queries = createAccessQueries(db);
    expect(queries.access('life')).toMatchObject({
      active: false,
      subscriptions: [],
      product_ids: [],
      benefits: [],
    });
    expect(queries.access('refunded')).toMatchObject({ product_ids: [] });
    expect(queries.ordersByEmail('life@example.com').map((o) => o.billing_reason)).toContain(
      'subscription_cycle',
    );
    db.close();
  });

  it('converge to the in-order state whatever the delivery order (100 random orders)', async () => {
    const inOrder = captured.map((_, i) => i);
    const expected = snapshotKitState(await deliver(inOrder));
    await fc.assert(
      fc.asyncProperty(shuffledWithRepeats(inOrder.length, 0), async (order) => {
        const db = await deliver(order);
        try {
          expect(snapshotKitState(db)).toEqual(expected);
        } finally {
          db.close();
        }
      }),
      { numRuns: 100 },
    );
  });
});
