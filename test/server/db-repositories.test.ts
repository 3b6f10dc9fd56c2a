import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { loadMigrations, migrate } from '../../server/db/migrate.js';
import { openDatabase } from '../../server/db/open.js';
import { createProductStore } from '../../server/db/products.js';
import { createCheckoutStore, toCheckoutResponse } from '../../server/db/checkouts.js';
import { createCustomerStore } from '../../server/db/customers.js';
import { createOrderStore } from '../../server/db/orders.js';
import { createSubscriptionStore } from '../../server/db/subscriptions.js';
import { createBenefitGrantStore } from '../../server/db/benefit-grants.js';
import { createRefundStore } from '../../server/db/refunds.js';
import { createAccessQueries } from '../../server/db/access.js';
import { normalizeTimestamp } from '../../server/db/timestamps.js';
import { isAppError } from '../../server/errors.js';
import { KIT_STATE_TABLES } from '../helpers/kit-state.js';
import {
  polarBenefitGrant,
  polarCheckout,
  polarCustomer,
  polarOrder,
  polarProduct,
  polarRecurringProduct,
  polarRefund,
  polarSubscription,
} from '../helpers/polar-payloads.js';

function memoryDb() {
  return openDatabase({ path: ':memory:' });
}

describe('migrations', () => {
  it('creates every table as STRICT and rejects values outside the CHECK sets', () => {
    const db = memoryDb();
    const tables = db
      .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`)
      .all() as Array<{ name: string; sql: string }>;
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining([
        'benefit_grants',
        'checkouts',
        'customers',
        'orders',
        'products',
        'refunds',
        'subscriptions',
        'usage_outbox',
        'webhook_events',
      ]),
    );
    for (const table of tables) expect(table.sql).toMatch(/\)\s*STRICT$/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO webhook_events (webhook_id, type, payload, status, received_at) VALUES ('a', 't', '{}', 'weird', 'x')`,
        )
        .run(),
    ).toThrow(/CHECK constraint/);
    expect(() =>
      db
        .prepare(
          `INSERT INTO orders (id, status, paid, customer_id, billing_reason, subtotal_amount, discount_amount,
        net_amount, tax_amount, total_amount, currency, created_at, version_key)
        VALUES ('o', 'paid', 1, 'c', 'purchase', 10.5, 0, 0, 0, 0, 'usd', 'x', 'x')`,
        )
        .run(),
    ).toThrow(/cannot store REAL value in INTEGER column/);
  });

  it('makes webhook ids and usage external ids unique', () => {
    const db = memoryDb();
    const insert = db.prepare(
      `INSERT INTO webhook_events (webhook_id, type, payload, status, received_at) VALUES ('w1', 't', '{}', 'processed', 'x')`,
    );
    insert.run();
    expect(() => insert.run()).toThrow(/UNIQUE/);
  });
});

describe('migrations on a file', () => {
  it('keeps the rows of a database from before the raw copies were dropped, and their newest-state order', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-upgrade-'));
    try {
      const file = path.join(dir, 'kit.sqlite');
      const old = new Database(file);
      migrate(
        old,
        loadMigrations().filter((m) => m.version <= 10),
      );
      old
        .prepare(
          `INSERT INTO orders (id, status, paid, customer_id, billing_reason, subtotal_amount, discount_amount,
            net_amount, tax_amount, total_amount, currency, created_at, version_key, raw)
          VALUES ('o1', 'paid', 1, 'c1', 'purchase', 10, 0, 10, 0, 10, 'usd', '2026-01-15T10:00:00.000000Z',
            '2026-01-15T10:00:00.000000Z|2|2026-01-15T10:00:01.000000Z|00', '{"id":"o1"}')`,
        )
        .run();
      old.close();

      const db = openDatabase({ path: file });
      for (const table of KIT_STATE_TABLES) {
        const columns = db.prepare(`SELECT name FROM pragma_table_info(?)`).all(table) as Array<{
          name: string;
        }>;
        expect(columns.map((c) => c.name)).not.toContain('raw');
      }
      const indexes = db.prepare(`SELECT name FROM sqlite_master WHERE type = 'index'`).all() as Array<{
        name: string;
      }>;
      expect(indexes.map((i) => i.name)).not.toContain('webhook_events_status');
      expect(db.prepare(`SELECT id, status, total_amount FROM orders`).all()).toEqual([
        { id: 'o1', status: 'paid', total_amount: 10 },
      ]);
      // An older state of the order still loses to the one stored before the upgrade.
      const orders = createOrderStore(db);
      const older = polarOrder({
        id: 'o1',
        status: 'pending',
        paid: false,
        created_at: '2026-01-15T10:00:00Z',
        modified_at: null,
      });
      expect(orders.upsert(older, '2026-01-15T09:00:00Z')).toBe(false);
      db.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('brings a new file to the latest version once, and a reopen applies nothing', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-migrate-'));
    try {
      const file = path.join(dir, 'nested', 'kit.sqlite');
      const first = openDatabase({ path: file });
      const latest = loadMigrations().at(-1)!.version;
      expect(first.pragma('user_version', { simple: true })).toBe(latest);
      expect(first.pragma('journal_mode', { simple: true })).toBe('wal');
      // SQLite's own 2 MB page cache, not the 16 MB better-sqlite3 sets: written pages stay resident in it.
      expect(first.pragma('cache_size', { simple: true })).toBe(-2000);
      createCustomerStore(first).upsert(polarCustomer());
      first.close();
      const again = openDatabase({ path: file });
      expect(migrate(again)).toBe(0);
      expect(createCustomerStore(again).get(polarCustomer().id as string)?.email).toBe('jane@example.com');
      again.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('fsyncs every commit (synchronous FULL) unless NORMAL is asked for', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'kit-sync-'));
    try {
      const full = openDatabase({ path: path.join(dir, 'full.sqlite') });
      expect(full.pragma('synchronous', { simple: true })).toBe(2);
      full.close();
      const normal = openDatabase({ path: path.join(dir, 'normal.sqlite'), synchronous: 'normal' });
      expect(normal.pragma('synchronous', { simple: true })).toBe(1);
      normal.close();
      expect(() => openDatabase({ path: ':memory:', synchronous: 'OFF' as 'FULL' })).toThrow(
        /FULL or NORMAL/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('normalizeTimestamp', () => {
  it('orders timestamps of any precision and zone notation as time', () => {
    expect(normalizeTimestamp('2026-01-15T10:00:00Z')).toBe('2026-01-15T10:00:00.000000Z');
    expect(normalizeTimestamp('2026-01-15T10:00:00.123456Z')).toBe('2026-01-15T10:00:00.123456Z');
    expect(normalizeTimestamp('2026-01-15T12:00:00.5+02:00')).toBe('2026-01-15T10:00:00.500000Z');
    expect(normalizeTimestamp('2026-01-15T10:00:00')).toBeNull();
    expect(normalizeTimestamp('yesterday')).toBeNull();
  });
});

describe('createProductStore', () => {
  it('lists public unarchived products in the contract shape and forgets products Polar no longer lists', () => {
    const db = memoryDb();
    const products = createProductStore(db, { now: () => new Date('2026-02-01T00:00:00Z') });
    expect(products.refreshedAt()).toBeNull();
    products.replaceAll([
      polarProduct(),
      polarRecurringProduct(),
      polarProduct({ id: 'archived', is_archived: true }),
      polarProduct({ id: 'private', visibility: 'private' }),
    ]);
    expect(products.refreshedAt()).toBe('2026-02-01T00:00:00.000000Z');
    const listed = products.listPublic();
    expect(listed.map((p) => p.name).sort()).toEqual(['Pro License', 'Pro Monthly']);
    const monthly = listed.find((p) => p.name === 'Pro Monthly')!;
    expect(monthly).toMatchObject({
      is_recurring: true,
      recurring_interval: 'month',
      price_amount: 900,
      price_currency: 'usd',
    });
    expect(monthly.prices).toEqual([
      {
        id: '6f1e2d3c-4b5a-4978-8a6b-5c4d3e2f1a09',
        amount_type: 'fixed',
        price_amount: 900,
        price_currency: 'usd',
      },
    ]);
    expect(products.get('archived')).toMatchObject({ isArchived: true });

    products.replaceAll([polarProduct()]);
    expect(products.get('archived')).toBeNull();
    expect(products.listPublic()).toHaveLength(1);
  });

  it('keeps a newer webhook state over an older one and over a refresh of the same version', () => {
    const db = memoryDb();
    const products = createProductStore(db);
    expect(
      products.upsert(
        polarProduct({ name: 'New name', modified_at: '2026-01-20T00:00:00Z' }),
        '2026-01-20T00:00:01Z',
      ),
    ).toBe(true);
    expect(
      products.upsert(
        polarProduct({ name: 'Old name', modified_at: '2026-01-19T00:00:00Z' }),
        '2026-01-21T00:00:00Z',
      ),
    ).toBe(false);
    products.replaceAll([
      polarProduct({ name: 'Same version from the API', modified_at: '2026-01-20T00:00:00Z' }),
    ]);
    expect(products.listPublic()[0]!.name).toBe('New name');
  });

  it('maps pay-what-you-want prices, leaves archived prices out and rejects data it cannot store', () => {
    const db = memoryDb();
    const products = createProductStore(db);
    const custom = {
      created_at: '2026-01-15T10:00:00Z',
      modified_at: null,
      id: 'price-custom',
      source: 'catalog',
      amount_type: 'custom',
      price_currency: 'eur',
      tax_behavior: null,
      is_archived: false,
      product_id: 'pwyw',
      minimum_amount: 500,
      maximum_amount: null,
      preset_amount: 1500,
    };
    const archived = { ...custom, id: 'old', amount_type: 'fixed', price_amount: 1, is_archived: true };
    products.upsert(polarProduct({ id: 'pwyw', prices: [custom, archived] }));
    expect(products.listPublic()[0]).toMatchObject({
      price_amount: null,
      price_currency: 'eur',
      prices: [
        {
          id: 'price-custom',
          amount_type: 'custom',
          minimum_amount: 500,
          maximum_amount: null,
          preset_amount: 1500,
          price_currency: 'eur',
        },
      ],
    });
    expect(() => products.upsert(polarProduct({ id: 'bad', prices: 'nope' }))).toThrow(/prices/);
    expect(() => products.replaceAll([polarProduct({ id: 'fine' }), { id: 'broken' }])).toThrow();
    expect(products.get('fine')).toBeNull();
  });
});

describe('createCheckoutStore', () => {
  it('records the Idempotency-Key with the checkout and finds it again', () => {
    const db = memoryDb();
    const checkouts = createCheckoutStore(db);
    const stored = checkouts.insert(polarCheckout(), { idempotencyKey: 'key-1', requestHash: 'hash-1' });
    expect(stored).toMatchObject({
      status: 'open',
      productName: 'Pro License',
      idempotencyKey: 'key-1',
      requestHash: 'hash-1',
    });
    expect(checkouts.findByIdempotencyKey('key-1')?.id).toBe(stored.id);
    expect(checkouts.findByIdempotencyKey('key-2')).toBeNull();
    expect(toCheckoutResponse(stored)).toEqual({
      checkout_id: stored.id,
      checkout_url: stored.url,
      client_secret: 'polar_c_QUc3mKzTf9xLh2Rv7YwP1nBd',
      expires_at: '2026-01-15T11:00:00.000000Z',
      status: 'open',
    });
  });

  it('refuses a key that already belongs to another checkout', () => {
    const db = memoryDb();
    const checkouts = createCheckoutStore(db);
    checkouts.insert(polarCheckout(), { idempotencyKey: 'key-1', requestHash: 'h' });
    let error: unknown;
    try {
      checkouts.insert(polarCheckout({ id: 'other' }), { idempotencyKey: 'key-1', requestHash: 'h' });
    } catch (e) {
      error = e;
    }
    expect(isAppError(error) && error.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(checkouts.get('other')).toBeNull();
  });

  it('never lets an older state overwrite a newer one, whichever arrives first', () => {
    const db = memoryDb();
    const checkouts = createCheckoutStore(db);
    checkouts.upsertFromPolar(
      polarCheckout({ status: 'succeeded', modified_at: '2026-01-15T10:05:00Z' }),
      '2026-01-15T10:05:01Z',
    );
    checkouts.insert(polarCheckout(), { idempotencyKey: 'k' });
    expect(
      checkouts.upsertFromPolar(
        polarCheckout({ status: 'confirmed', modified_at: '2026-01-15T10:04:00Z' }),
        '2026-01-15T10:06:00Z',
      ),
    ).toBe(false);
    expect(checkouts.get(polarCheckout().id as string)).toMatchObject({
      status: 'succeeded',
      idempotencyKey: 'k',
    });
  });
});

describe('createAccessQueries', () => {
  function seeded() {
    const db = memoryDb();
    return {
      db,
      customers: createCustomerStore(db),
      orders: createOrderStore(db),
      subscriptions: createSubscriptionStore(db),
      grants: createBenefitGrantStore(db),
      refunds: createRefundStore(db),
      checkouts: createCheckoutStore(db),
      products: createProductStore(db),
      queries: createAccessQueries(db),
    };
  }

  it('finds a customer by external id, Polar id or email and lists what they paid for', () => {
    const s = seeded();
    s.customers.upsert(polarCustomer());
    s.orders.upsert(polarOrder());
    s.subscriptions.upsert(polarSubscription());
    s.grants.upsert(polarBenefitGrant());
    const byExternal = s.queries.access('user_123');
    expect(byExternal).toEqual({
      customer_id: '992fae2a-2a17-4b7a-8d9e-e287cf90131b',
      email: 'jane@example.com',
      external_id: 'user_123',
      active: true,
      subscriptions: [
        {
          id: polarSubscription().id,
          product_id: '4d8a2b6f-0c3e-4f5a-9d1e-2b7c8a9f0e11',
          status: 'active',
          current_period_end: '2026-02-15T10:00:00.000000Z',
          cancel_at_period_end: false,
        },
      ],
      product_ids: ['4d8a2b6f-0c3e-4f5a-9d1e-2b7c8a9f0e11', 'd8dd2de1-21b7-4a41-8bc3-ce909c0cfe23'].sort(),
      benefits: [
        { id: '5e0c9a3b-8d2f-4e1a-b7c6-1f2e3d4c5b6a', type: 'custom', description: 'Priority support' },
      ],
    });
    expect(s.queries.access('992fae2a-2a17-4b7a-8d9e-e287cf90131b')).toEqual(byExternal);
    expect(s.queries.access('JANE@example.com')).toEqual(byExternal);
    expect(s.queries.access('nobody@example.com')).toBeNull();
  });

  it('takes access away on refund, revocation, past due and revoked grants', () => {
    const s = seeded();
    s.customers.upsert(polarCustomer());
    s.orders.upsert(polarOrder());
    s.subscriptions.upsert(polarSubscription({ status: 'past_due', modified_at: '2026-02-15T10:00:00Z' }));
    s.grants.upsert(
      polarBenefitGrant({ is_granted: false, is_revoked: true, modified_at: '2026-02-15T10:00:00Z' }),
    );
    expect(s.queries.access('user_123')).toMatchObject({
      active: true,
      subscriptions: [],
      product_ids: ['d8dd2de1-21b7-4a41-8bc3-ce909c0cfe23'],
    });
    // A succeeded full refund takes the one-time product away even before `order.refunded` arrives.
    s.refunds.upsert(polarRefund());
    expect(s.queries.access('user_123')).toMatchObject({ active: false, product_ids: [], benefits: [] });
  });

  it('keeps a partially refunded purchase and drops a fully refunded order', () => {
    const s = seeded();
    s.customers.upsert(polarCustomer());
    s.orders.upsert(
      polarOrder({ status: 'partially_refunded', refunded_amount: 400, modified_at: '2026-01-16T00:00:00Z' }),
    );
    expect(s.queries.access('user_123')?.product_ids).toEqual(['d8dd2de1-21b7-4a41-8bc3-ce909c0cfe23']);
    s.orders.upsert(
      polarOrder({ status: 'refunded', refunded_amount: 1000, modified_at: '2026-01-17T00:00:00Z' }),
    );
    expect(s.queries.access('user_123')?.active).toBe(false);
  });

  it('lists orders by email newest first with the product name', () => {
    const s = seeded();
    s.customers.upsert(polarCustomer());
    s.orders.upsert(polarOrder());
    s.orders.upsert(polarOrder({ id: 'newer', created_at: '2026-03-01T00:00:00Z', product: null }));
    s.products.upsert(polarProduct());
    const orders = s.queries.ordersByEmail('Jane@Example.com');
    expect(orders.map((o) => o.id)).toEqual(['newer', 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e']);
    expect(orders[0]).toMatchObject({
      product_name: 'Pro License',
      paid: true,
      status: 'paid',
      customer_email: 'jane@example.com',
      total_amount: 1000,
    });
    expect(s.queries.ordersByEmail('other@example.com')).toEqual([]);
  });

  it('shows a checkout without an order until its order is paid', () => {
    const s = seeded();
    s.checkouts.insert(polarCheckout());
    const id = polarCheckout().id as string;
    expect(s.queries.checkoutStatus(id)).toMatchObject({
      status: 'open',
      order: null,
      subscription: null,
      amount: 1000,
      currency: 'usd',
      product: { id: 'd8dd2de1-21b7-4a41-8bc3-ce909c0cfe23', name: 'Pro License' },
    });
    s.orders.upsert(polarOrder({ status: 'pending', paid: false }));
    expect(s.queries.checkoutStatus(id)?.order).toBeNull();
    s.orders.upsert(polarOrder({ modified_at: '2026-01-15T10:00:03Z' }));
    expect(s.queries.checkoutStatus(id)?.order).toMatchObject({
      id: 'b1c2d3e4-f5a6-4b7c-8d9e-0f1a2b3c4d5e',
      paid: true,
    });
    expect(s.queries.checkoutStatus('unknown')).toBeNull();
  });
});
