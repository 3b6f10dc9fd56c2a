import type { Database } from 'better-sqlite3';
import { parsePolar, polarRefundSchema } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

export type RefundStore = ReturnType<typeof createRefundStore>;

/** Repository of refunds. */
export function createRefundStore(db: Database) {
  const upsert = db.prepare(`
    INSERT INTO refunds (id, order_id, subscription_id, customer_id, status, reason, amount, tax_amount, currency,
                         revoke_benefits, created_at, modified_at, version_key)
    VALUES (@id, @order_id, @subscription_id, @customer_id, @status, @reason, @amount, @tax_amount, @currency,
            @revoke_benefits, @created_at, @modified_at, @version_key)
    ON CONFLICT (id) DO UPDATE SET
      order_id = excluded.order_id, subscription_id = excluded.subscription_id,
      customer_id = excluded.customer_id, status = excluded.status, reason = excluded.reason,
      amount = excluded.amount, tax_amount = excluded.tax_amount, currency = excluded.currency,
      revoke_benefits = excluded.revoke_benefits, created_at = excluded.created_at,
      modified_at = excluded.modified_at, version_key = excluded.version_key
    WHERE excluded.version_key > refunds.version_key`);

  return {
    /**
     * Stores a Polar refund unless a newer state is stored. Returns whether it was written.
     * @throws {PolarDataError} when the refund lacks a field the kit stores
     */
    upsert(polarRefund: unknown, eventTimestamp?: string | null): boolean {
      const r = parsePolar(polarRefundSchema, polarRefund, 'refund');
      const row = {
        id: r.id,
        order_id: r.order_id,
        subscription_id: r.subscription_id ?? null,
        customer_id: r.customer_id,
        status: r.status,
        reason: r.reason,
        amount: r.amount,
        tax_amount: r.tax_amount,
        currency: r.currency,
        revoke_benefits: r.revoke_benefits ? 1 : 0,
        created_at: canonicalTimestamp(r.created_at),
        modified_at: optionalTimestamp(r.modified_at),
      };
      const version_key = versionKey(r, eventTimestamp, row, r.status === 'pending' ? 0 : 1);
      return upsert.run(Object.assign(row, { version_key })).changes > 0;
    },
  };
}
