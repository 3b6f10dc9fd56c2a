import type { Database } from 'better-sqlite3';
import { parsePolar, polarOrderSchema } from './polar-shapes.js';
import type { PolarOrder } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

export type OrderStore = ReturnType<typeof createOrderStore>;

/** Repository of orders (purchases, subscription starts and renewals). */
export function createOrderStore(db: Database) {
  const upsert = db.prepare(`
    INSERT INTO orders (id, status, paid, customer_id, product_id, product_name, subscription_id, checkout_id,
                        billing_reason, subtotal_amount, discount_amount, net_amount, tax_amount, total_amount,
                        refunded_amount, currency, created_at, modified_at, version_key)
    VALUES (@id, @status, @paid, @customer_id, @product_id, @product_name, @subscription_id, @checkout_id,
            @billing_reason, @subtotal_amount, @discount_amount, @net_amount, @tax_amount, @total_amount,
            @refunded_amount, @currency, @created_at, @modified_at, @version_key)
    ON CONFLICT (id) DO UPDATE SET
      status = excluded.status, paid = excluded.paid, customer_id = excluded.customer_id,
      product_id = excluded.product_id, product_name = coalesce(excluded.product_name, orders.product_name),
      subscription_id = excluded.subscription_id, checkout_id = excluded.checkout_id,
      billing_reason = excluded.billing_reason, subtotal_amount = excluded.subtotal_amount,
      discount_amount = excluded.discount_amount, net_amount = excluded.net_amount,
      tax_amount = excluded.tax_amount, total_amount = excluded.total_amount,
      refunded_amount = excluded.refunded_amount, currency = excluded.currency,
      created_at = excluded.created_at, modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > orders.version_key`);

  return {
    /**
     * Stores a Polar order unless a newer state is stored. Returns whether it was written.
     * @throws {PolarDataError} when the order lacks a field the kit stores
     */
    upsert(polarOrder: unknown, eventTimestamp?: string | null): boolean {
      const o = parsePolar(polarOrderSchema, polarOrder, 'order');
      return upsert.run(toRow(o, eventTimestamp)).changes > 0;
    },
  };
}

/** How far along an order is, for two states with the same `modified_at`. */
const ORDER_RANK: Record<PolarOrder['status'], number> = {
  draft: 0,
  pending: 1,
  paid: 2,
  void: 2,
  partially_refunded: 3,
  refunded: 4,
};

function toRow(o: PolarOrder, eventTimestamp: string | null | undefined) {
  const row = {
    id: o.id,
    status: o.status,
    paid: o.paid ? 1 : 0,
    customer_id: o.customer_id,
    product_id: o.product_id ?? null,
    product_name: o.product?.name ?? null,
    subscription_id: o.subscription_id ?? null,
    checkout_id: o.checkout_id ?? null,
    billing_reason: o.billing_reason,
    subtotal_amount: o.subtotal_amount,
    discount_amount: o.discount_amount,
    net_amount: o.net_amount,
    tax_amount: o.tax_amount,
    total_amount: o.total_amount,
    refunded_amount: Math.max(0, o.refunded_amount ?? 0),
    currency: o.currency,
    created_at: canonicalTimestamp(o.created_at),
    modified_at: optionalTimestamp(o.modified_at),
  };
  return Object.assign(row, { version_key: versionKey(o, eventTimestamp, row, ORDER_RANK[o.status]) });
}
