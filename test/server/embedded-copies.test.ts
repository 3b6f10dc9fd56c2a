/**
 * Copies of an object embedded in another object's event (an order's `subscription`, a grant's `customer`)
 * fill in what the kit has not seen yet, but never win over the object's own event with the same version.
 */
import { describe, expect, it } from 'vitest';
import { createAccessQueries } from '../../server/db/access.js';
import { openDatabase } from '../../server/db/open.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import {
  orderSubscription,
  polarBenefitGrant,
  polarCustomer,
  polarOrder,
  polarSubscription,
  webhookEvent,
} from '../helpers/polar-payloads.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import { createMemoryLogger } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();
const CUSTOMER = polarCustomer().id as string;
const SENT = '2026-02-15T10:00:00.500000Z';

function setup() {
  const db = openDatabase({ path: ':memory:' });
  const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
  const send = (type: string, data: unknown, timestamp = SENT) => {
    const { body, headers } = signedDelivery(webhookEvent(type, data, timestamp), SECRET);
    return ingest.handle(Buffer.from(body), headers);
  };
  const subscriptionStatus = (id: string) =>
    (db.prepare(`SELECT status FROM subscriptions WHERE id = ?`).get(id) as { status: string } | undefined)
      ?.status;
  return { db, send, subscriptionStatus, queries: createAccessQueries(db) };
}

/** A uuid-shaped id that differs per trial, so the copies' digests differ too. */
const idOf = (n: number, prefix = 'a7b8c9d0') =>
  `${prefix}-e1f2-4a3b-8c4d-${n.toString(16).padStart(12, '0')}`;

/**
 * A failed renewal from a sender whose clock stamps both states with one instant: the renewal's order still
 * embeds the subscription `active`, and `subscription.updated` carries it `past_due`, with the same
 * `modified_at` and the same envelope timestamp.
 */
function failedRenewal(n: number) {
  const id = idOf(n);
  const changed = '2026-02-15T10:00:00.000000Z';
  const fields = {
    id,
    customer_id: CUSTOMER,
    created_at: '2026-01-15T10:00:00Z',
    current_period_start: changed,
    current_period_end: '2026-03-15T10:00:00.000000Z',
    modified_at: changed,
  };
  const active = polarSubscription({ ...fields, status: 'active', past_due_at: null });
  const pastDue = polarSubscription({ ...fields, status: 'past_due', past_due_at: changed });
  const renewalOrder = polarOrder({
    id: idOf(n, 'c2d3e4f5'),
    customer_id: CUSTOMER,
    created_at: changed,
    modified_at: null,
    status: 'pending',
    paid: false,
    billing_reason: 'subscription_cycle',
    subscription_id: id,
    subscription: orderSubscription(active),
  });
  return { id, active, pastDue, renewalOrder };
}

describe('copies embedded in other events', () => {
  it('a subscription past due is never replaced by the same-instant copy in the renewal order, in either order', async () => {
    for (let n = 1; n <= 40; n++) {
      const { id, active, pastDue, renewalOrder } = failedRenewal(n);
      for (const orderFirst of [true, false]) {
        const s = setup();
        await s.send('subscription.active', active, '2026-01-15T10:00:01.000000Z');
        if (orderFirst) await s.send('order.created', renewalOrder);
        await s.send('subscription.updated', pastDue);
        if (!orderFirst) await s.send('order.created', renewalOrder);
        expect(s.subscriptionStatus(id), `trial ${n}, order ${orderFirst ? 'first' : 'last'}`).toBe(
          'past_due',
        );
        expect(s.queries.access(CUSTOMER)).toMatchObject({ subscriptions: [], product_ids: [] });
        s.db.close();
      }
    }
  });

  it('fills in a subscription the kit has not seen, and moves an older one forward', async () => {
    const s = setup();
    const { id, active, renewalOrder } = failedRenewal(1);
    await s.send('order.created', renewalOrder);
    expect(s.subscriptionStatus(id)).toBe('active');

    const t = setup();
    await t.send('subscription.created', { ...active, status: 'incomplete', modified_at: null });
    expect(t.subscriptionStatus(id)).toBe('incomplete');
    await t.send('order.created', renewalOrder);
    expect(t.subscriptionStatus(id)).toBe('active');
    s.db.close();
    t.db.close();
  });

  it("a grant's copy of the customer does not undo customer.updated of the same instant", async () => {
    const s = setup();
    const at = '2026-01-16T00:00:00.000000Z';
    await s.send('customer.updated', polarCustomer({ name: 'New Name', modified_at: at }), SENT);
    await s.send(
      'benefit_grant.created',
      polarBenefitGrant({ customer: polarCustomer({ name: 'Old Name', modified_at: at }) }),
      '2026-02-20T00:00:00.000000Z',
    );
    const row = s.db.prepare(`SELECT name FROM customers WHERE id = ?`).get(CUSTOMER) as { name: string };
    expect(row.name).toBe('New Name');
    // A newer copy still wins: the customer changed after its own event.
    await s.send(
      'benefit_grant.updated',
      polarBenefitGrant({
        customer: polarCustomer({ name: 'Newest Name', modified_at: '2026-01-17T00:00:00.000000Z' }),
      }),
    );
    expect(
      (s.db.prepare(`SELECT name FROM customers WHERE id = ?`).get(CUSTOMER) as { name: string }).name,
    ).toBe('Newest Name');
    s.db.close();
  });

  it('writes nothing when later orders carry the same state of their customer', async () => {
    const s = setup();
    const customerRow = () =>
      s.db.prepare(`SELECT name, version_key FROM customers WHERE id = ?`).get(CUSTOMER) as {
        name: string;
        version_key: string;
      };
    const order = (n: number, customer: object) =>
      polarOrder({ id: idOf(n, 'd4e5f6a7'), customer_id: CUSTOMER, customer });
    await s.send('order.paid', order(1, polarCustomer()), '2026-02-15T10:00:00.000000Z');
    const first = customerRow();
    await s.send('order.paid', order(2, polarCustomer()), '2026-02-16T10:00:00.000000Z');
    expect(customerRow()).toEqual(first);
    // A changed customer in a later order still moves the row forward.
    await s.send(
      'order.paid',
      order(3, polarCustomer({ name: 'Renamed', modified_at: '2026-02-16T09:00:00.000000Z' })),
      '2026-02-16T10:00:01.000000Z',
    );
    expect(customerRow().name).toBe('Renamed');
    s.db.close();
  });
});
