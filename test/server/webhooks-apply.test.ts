import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../server/db/open.js';
import { createAccessQueries } from '../../server/db/access.js';
import { createCheckoutStore } from '../../server/db/checkouts.js';
import { createProductStore } from '../../server/db/products.js';
import { createWebhookIngest } from '../../server/webhooks/ingest.js';
import { KNOWN_EVENT_TYPES } from '../../server/webhooks/apply-event.js';
import { generateWebhookSecret, signedDelivery } from '../helpers/sign-webhook.js';
import {
  polarBenefitGrant,
  polarCheckout,
  polarCustomer,
  polarOrder,
  polarProduct,
  polarRecurringProduct,
  webhookEvent,
} from '../helpers/polar-payloads.js';
import { createMemoryLogger } from '../helpers/webhook-app.js';

const SECRET = generateWebhookSecret();

function setup() {
  const db = openDatabase({ path: ':memory:' });
  const ingest = createWebhookIngest({ db, secret: SECRET, logger: createMemoryLogger() });
  let n = 0;
  const send = (
    type: string,
    data: unknown,
    timestamp = `2026-01-20T00:00:${String(n).padStart(2, '0')}Z`,
  ) => {
    n++;
    const { body, headers } = signedDelivery(webhookEvent(type, data, timestamp), SECRET);
    return ingest.handle(Buffer.from(body), headers);
  };
  return {
    db,
    ingest,
    send,
    queries: createAccessQueries(db),
    products: createProductStore(db),
    checkouts: createCheckoutStore(db),
  };
}

describe('applying each kind of event', () => {
  it('keeps the product cache current from product.created/updated, and drops archived products from the list', async () => {
    const s = setup();
    await s.send('product.created', polarProduct());
    await s.send('product.created', polarRecurringProduct());
    expect(
      s.products
        .listPublic()
        .map((p) => p.name)
        .sort(),
    ).toEqual(['Pro License', 'Pro Monthly']);
    await s.send(
      'product.updated',
      polarProduct({ name: 'Pro License v2', modified_at: '2026-01-16T00:00:00Z' }),
    );
    await s.send('product.updated', polarProduct({ name: 'stale', modified_at: '2026-01-15T12:00:00Z' }));
    await s.send(
      'product.updated',
      polarRecurringProduct({ is_archived: true, modified_at: '2026-01-16T00:00:00Z' }),
    );
    expect(s.products.listPublic().map((p) => p.name)).toEqual(['Pro License v2']);
  });

  it('refreshes benefit descriptions from benefit.updated', async () => {
    const s = setup();
    const benefit = { id: 'ben-1', type: 'custom', description: 'Old text' };
    await s.send('product.created', polarProduct({ benefits: [benefit] }));
    await s.send('customer.created', polarCustomer());
    await s.send(
      'benefit_grant.created',
      polarBenefitGrant({
        benefit_id: 'ben-1',
        benefit: { ...(polarBenefitGrant().benefit as object), id: 'ben-1', description: 'Old text' },
      }),
    );
    await s.send('benefit.updated', {
      ...benefit,
      description: 'New text',
      created_at: '2026-01-15T00:00:00Z',
      modified_at: '2026-01-19T00:00:00Z',
    });
    expect(s.products.listPublic()[0]!.benefits).toEqual([
      { id: 'ben-1', type: 'custom', description: 'New text' },
    ]);
    expect(s.queries.access('user_123')!.benefits).toEqual([
      { id: 'ben-1', type: 'custom', description: 'New text' },
    ]);
  });

  it('tracks checkouts through created, updated and expired', async () => {
    const s = setup();
    const id = polarCheckout().id as string;
    await s.send('checkout.created', polarCheckout());
    await s.send(
      'checkout.expired',
      polarCheckout({ status: 'expired', modified_at: '2026-01-15T11:00:00Z' }),
    );
    await s.send(
      'checkout.updated',
      polarCheckout({ status: 'confirmed', modified_at: '2026-01-15T10:30:00Z' }),
    );
    expect(s.checkouts.get(id)?.status).toBe('expired');
  });

  it('keeps a deleted customer deleted and without access, whatever arrives later', async () => {
    const s = setup();
    await s.send('customer.created', polarCustomer());
    await s.send('order.paid', polarOrder());
    expect(s.queries.access('user_123')?.active).toBe(true);
    await s.send(
      'customer.deleted',
      polarCustomer({ deleted_at: '2026-01-18T00:00:00Z', modified_at: '2026-01-18T00:00:00Z' }),
    );
    await s.send('order.updated', polarOrder({ modified_at: '2026-01-19T00:00:00Z' }));
    await s.send('customer.updated', polarCustomer({ modified_at: '2026-01-17T00:00:00Z' }));
    expect(s.queries.access('user_123')).toMatchObject({ active: false, product_ids: [] });
    expect(s.db.prepare(`SELECT deleted_at FROM customers`).get()).toEqual({
      deleted_at: '2026-01-18T00:00:00.000000Z',
    });
  });

  it('learns the customer from an order even when customer.created never arrives', async () => {
    const s = setup();
    await s.send('order.paid', polarOrder());
    expect(s.queries.access('jane@example.com')).toMatchObject({ external_id: 'user_123', active: true });
  });

  it('accepts every known event type, and records the ones that carry no state', async () => {
    const s = setup();
    const stateless = ['organization.updated', 'member.created', 'discount.updated', 'customer_seat.claimed'];
    for (const type of stateless) expect((await s.send(type, { id: 'x' })).status).toBe(202);
    const rows = s.db.prepare(`SELECT type, status FROM webhook_events ORDER BY id`).all();
    expect(rows).toEqual(stateless.map((type) => ({ type, status: 'processed' })));
    expect(KNOWN_EVENT_TYPES).toHaveLength(42);
  });
});
