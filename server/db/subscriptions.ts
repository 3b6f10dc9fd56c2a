import type { Database } from 'better-sqlite3';
import { parsePolar, polarSubscriptionSchema } from './polar-shapes.js';
import type { PolarSubscription } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

export type SubscriptionStore = ReturnType<typeof createSubscriptionStore>;

/** Repository of subscriptions; accepts both `Subscription` and the `OrderSubscription` embedded in orders. */
export function createSubscriptionStore(db: Database) {
  const upsert = db.prepare(`
    INSERT INTO subscriptions (id, status, customer_id, product_id, checkout_id, amount, currency,
                               recurring_interval, current_period_start, current_period_end, cancel_at_period_end,
                               canceled_at, started_at, ends_at, ended_at, past_due_at, created_at, modified_at,
                               version_key)
    VALUES (@id, @status, @customer_id, @product_id, @checkout_id, @amount, @currency,
            @recurring_interval, @current_period_start, @current_period_end, @cancel_at_period_end,
            @canceled_at, @started_at, @ends_at, @ended_at, @past_due_at, @created_at, @modified_at,
            @version_key)
    ON CONFLICT (id) DO UPDATE SET
      status = excluded.status, customer_id = excluded.customer_id, product_id = excluded.product_id,
      checkout_id = coalesce(excluded.checkout_id, subscriptions.checkout_id), amount = excluded.amount,
      currency = excluded.currency, recurring_interval = excluded.recurring_interval,
      current_period_start = excluded.current_period_start, current_period_end = excluded.current_period_end,
      cancel_at_period_end = excluded.cancel_at_period_end, canceled_at = excluded.canceled_at,
      started_at = excluded.started_at, ends_at = excluded.ends_at, ended_at = excluded.ended_at,
      past_due_at = excluded.past_due_at, created_at = excluded.created_at, modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > subscriptions.version_key`);

  return {
    /**
     * Stores a Polar subscription unless a newer state is stored. Returns whether it was written.
     * @param options.embedded the copy came inside another object's event (an order's `subscription`): it
     *   never replaces a stored state with the same `modified_at` (see `versionKey`)
     * @throws {PolarDataError} when the subscription lacks a field the kit stores
     */
    upsert(
      polarSubscription: unknown,
      eventTimestamp?: string | null,
      options: { embedded?: boolean } = {},
    ): boolean {
      const s = parsePolar(polarSubscriptionSchema, polarSubscription, 'subscription');
      return upsert.run(toRow(s, eventTimestamp, options)).changes > 0;
    },
  };
}

function toRow(
  s: PolarSubscription,
  eventTimestamp: string | null | undefined,
  options: { embedded?: boolean },
) {
  const row = {
    id: s.id,
    status: s.status,
    customer_id: s.customer_id,
    product_id: s.product_id,
    checkout_id: s.checkout_id ?? null,
    amount: s.amount,
    currency: s.currency,
    recurring_interval: s.recurring_interval,
    current_period_start: optionalTimestamp(s.current_period_start),
    current_period_end: optionalTimestamp(s.current_period_end),
    cancel_at_period_end: s.cancel_at_period_end ? 1 : 0,
    canceled_at: optionalTimestamp(s.canceled_at),
    started_at: optionalTimestamp(s.started_at),
    ends_at: optionalTimestamp(s.ends_at),
    ended_at: optionalTimestamp(s.ended_at),
    past_due_at: optionalTimestamp(s.past_due_at),
    created_at: canonicalTimestamp(s.created_at),
    modified_at: optionalTimestamp(s.modified_at),
  };
  return Object.assign(row, { version_key: versionKey(s, eventTimestamp, row, 0, options) });
}
