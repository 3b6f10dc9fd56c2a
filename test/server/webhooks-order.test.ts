import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Database } from 'better-sqlite3';
import { openDatabase } from '../../server/db/open.js';
import { createAccessQueries } from '../../server/db/access.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import {
  orderSubscription,
  polarBenefitGrant,
  polarCheckout,
  polarCustomer,
  polarOrder,
  polarRefund,
  polarSubscription,
  webhookEvent,
} from '../helpers/polar-payloads.js';
import { shuffledWithRepeats, snapshotKitState } from '../helpers/kit-state.js';
import { createMemoryLogger } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();
const PRODUCT = '4d8a2b6f-0c3e-4f5a-9d1e-2b7c8a9f0e11';
const CHECKOUT = '0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d';
const SUBSCRIPTION = 'a7b8c9d0-e1f2-4a3b-8c4d-5e6f7a8b9c0d';
const FIRST_ORDER = 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e';
const RENEWAL = 'c2d3e4f5-a6b7-4c8d-9e0f-1a2b3c4d5e6f';

/** Minute `n` of the subscription's story. */
const t = (n: number) => `2026-01-15T10:${String(n).padStart(2, '0')}:00Z`;

/** A subscription's whole life, as Polar would send it, in creation order (polar-reference.md 6.3). */
function lifeEvents(): Array<{ type: string; data: unknown }> {
  const customer = polarCustomer({ created_at: t(1), modified_at: null });
  const customerFields = { created_at: t(1), modified_at: null };
  const checkout = (status: string, modified: string | null) =>
    polarCheckout({
      id: CHECKOUT,
      product_id: PRODUCT,
      status,
      created_at: t(0),
      modified_at: modified,
      amount: 900,
      total_amount: 900,
    });
  const subscription = (modified: string | null, fields: Record<string, unknown> = {}) =>
    polarSubscription(
      {
        id: SUBSCRIPTION,
        checkout_id: CHECKOUT,
        product_id: PRODUCT,
        created_at: t(3),
        modified_at: modified,
        current_period_start: t(3),
        current_period_end: '2026-02-15T10:03:00Z',
        ...fields,
      },
      customerFields,
    );
  const created = subscription(null, { status: 'incomplete' });
  const active = subscription(t(4), { status: 'active' });
  const canceled = subscription(t(7), {
    status: 'active',
    cancel_at_period_end: true,
    canceled_at: t(7),
    ends_at: '2026-02-15T10:03:00Z',
  });
  const uncanceled = subscription(t(8), { status: 'active' });
  const renewed = subscription(t(10), {
    status: 'active',
    current_period_start: '2026-02-15T10:03:00Z',
    current_period_end: '2026-03-15T10:03:00Z',
  });
  const pastDue = subscription(t(11), {
    status: 'past_due',
    past_due_at: t(11),
    current_period_start: '2026-02-15T10:03:00Z',
    current_period_end: '2026-03-15T10:03:00Z',
  });
  const revoked = subscription(t(12), {
    status: 'canceled',
    ended_at: t(12),
    ends_at: t(12),
    canceled_at: t(12),
    current_period_start: '2026-02-15T10:03:00Z',
    current_period_end: '2026-03-15T10:03:00Z',
  });
  const order = (
    id: string,
    reason: string,
    modified: string | null,
    sub: Record<string, unknown>,
    fields: Record<string, unknown>,
  ) =>
    polarOrder(
      {
        id,
        product_id: PRODUCT,
        checkout_id: reason === 'subscription_create' ? CHECKOUT : null,
        subscription_id: SUBSCRIPTION,
        subscription: orderSubscription(sub),
        billing_reason: reason,
        created_at: reason === 'subscription_create' ? t(3) : t(9),
        modified_at: modified,
        subtotal_amount: 900,
        net_amount: 900,
        total_amount: 900,
        ...fields,
      },
      customerFields,
    );
  const grant = (modified: string | null, fields: Record<string, unknown>) =>
    polarBenefitGrant({
      subscription_id: SUBSCRIPTION,
      order_id: null,
      created_at: t(6),
      modified_at: modified,
      customer: customer,
      ...fields,
    });
  const refund = (status: string, modified: string | null) =>
    polarRefund({
      order_id: RENEWAL,
      subscription_id: SUBSCRIPTION,
      amount: 900,
      status,
      created_at: t(13),
      modified_at: modified,
    });
  const refundedRenewal = order(RENEWAL, 'subscription_cycle', t(14), pastDue, {
    status: 'refunded',
    paid: true,
    refunded_amount: 900,
  });
  return [
    { type: 'checkout.created', data: checkout('open', null) },
    { type: 'customer.created', data: customer },
    { type: 'checkout.updated', data: checkout('confirmed', t(2)) },
    { type: 'subscription.created', data: created },
    {
      type: 'order.created',
      data: order(FIRST_ORDER, 'subscription_create', null, created, { status: 'pending', paid: false }),
    },
    { type: 'subscription.active', data: active },
    { type: 'subscription.updated', data: active },
    {
      type: 'order.paid',
      data: order(FIRST_ORDER, 'subscription_create', t(5), active, { status: 'paid', paid: true }),
    },
    { type: 'checkout.updated', data: checkout('succeeded', t(6)) },
    { type: 'benefit_grant.created', data: grant(null, {}) },
    {
      type: 'customer.state_changed',
      data: { ...customer, active_subscriptions: [], granted_benefits: [], active_meters: [] },
    },
    { type: 'subscription.updated', data: canceled },
    { type: 'subscription.canceled', data: canceled },
    { type: 'subscription.uncanceled', data: uncanceled },
    { type: 'subscription.updated', data: uncanceled },
    {
      type: 'order.created',
      data: order(RENEWAL, 'subscription_cycle', null, uncanceled, { status: 'pending', paid: false }),
    },
    {
      type: 'order.paid',
      data: order(RENEWAL, 'subscription_cycle', t(10), renewed, { status: 'paid', paid: true }),
    },
    { type: 'subscription.updated', data: renewed },
    { type: 'subscription.past_due', data: pastDue },
    { type: 'subscription.updated', data: pastDue },
    { type: 'subscription.revoked', data: revoked },
    { type: 'subscription.updated', data: revoked },
    {
      type: 'benefit_grant.revoked',
      data: grant(t(12), { is_granted: false, is_revoked: true, revoked_at: t(12) }),
    },
    { type: 'refund.created', data: refund('pending', null) },
    { type: 'refund.updated', data: refund('succeeded', t(14)) },
    { type: 'order.refunded', data: refundedRenewal },
    { type: 'order.updated', data: refundedRenewal },
    { type: 'customer.updated', data: { ...customer, name: 'Jane Q. Doe', modified_at: t(15) } },
  ];
}

/** Signed once: each delivery keeps its webhook-id and envelope timestamp across retries, as Polar's do. */
const deliveries = lifeEvents().map((e, i) =>
  signedDelivery(
    webhookEvent(e.type, e.data, `2026-01-15T11:00:${String(i).padStart(2, '0')}.000001Z`),
    SECRET,
    { id: `msg_${i}` },
  ),
);

/** The kit's state and its delivery log, for comparing delivery orders. */
function snapshot(db: Database): Record<string, unknown[]> {
  return snapshotKitState(db, {
    webhookEvents: ['webhook_id', 'type', 'status', 'attempts', 'error', 'payload'],
  });
}

async function deliver(order: number[]): Promise<Database> {
  const db = openDatabase({ path: ':memory:' });
  const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
  for (const i of order) {
    const d = deliveries[i]!;
    const result = await ingest.handle(Buffer.from(d.body), d.headers);
    expect(result.status === 202 || result.status === 200).toBe(true);
  }
  return db;
}

describe('out-of-order and repeated delivery', () => {
  const inOrder = deliveries.map((_, i) => i);

  it('ends a subscription life delivered in order in the expected state', async () => {
    const db = await deliver(inOrder);
    const queries = createAccessQueries(db);
    expect(queries.access('user_123')).toMatchObject({
      active: false,
      subscriptions: [],
      product_ids: [],
      benefits: [],
    });
    const subscription = db.prepare(`SELECT status, ended_at, cancel_at_period_end FROM subscriptions`).get();
    expect(subscription).toEqual({
      status: 'canceled',
      ended_at: '2026-01-15T10:12:00.000000Z',
      cancel_at_period_end: 0,
    });
    expect(db.prepare(`SELECT id, status FROM orders ORDER BY created_at`).all()).toEqual([
      { id: FIRST_ORDER, status: 'paid' },
      { id: RENEWAL, status: 'refunded' },
    ]);
    expect(queries.checkoutStatus(CHECKOUT)).toMatchObject({
      status: 'succeeded',
      order: { id: FIRST_ORDER, paid: true },
      subscription: { id: SUBSCRIPTION, status: 'canceled' },
    });
    expect(db.prepare(`SELECT name FROM customers`).get()).toEqual({ name: 'Jane Q. Doe' });
    db.close();
  });

  it('grants access in the middle of the life, after the first payment', async () => {
    const db = await deliver(inOrder.slice(0, 10));
    expect(createAccessQueries(db).access('user_123')).toMatchObject({
      active: true,
      product_ids: [PRODUCT],
      subscriptions: [{ id: SUBSCRIPTION, status: 'active', cancel_at_period_end: false }],
    });
    db.close();
  });

  it('reaches the same final state for 200 random delivery orders with repeats', async () => {
    const expected = snapshot(await deliver(inOrder));
    await fc.assert(
      fc.asyncProperty(shuffledWithRepeats(deliveries.length, 8), async (sequence) => {
        const db = await deliver(sequence);
        try {
          expect(snapshot(db)).toEqual(expected);
        } finally {
          db.close();
        }
      }),
      { numRuns: 200 },
    );
  });
});
