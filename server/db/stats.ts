import type { Database } from 'better-sqlite3';

/** Revenue of paid orders, in integer minor units of one currency (tax excluded, discounts applied). */
export type RevenueLine = {
  currency: string;
  orders: number;
  /** Sum of the orders' net amounts (after discounts, before tax). */
  gross: number;
  /** Refunded so far on those orders. */
  refunded: number;
  /** `gross - refunded`. */
  net: number;
};

export type ProductRevenueLine = RevenueLine & { product_id: string | null; product_name: string | null };

export type Stats = {
  /** Inclusive start of the range (normalised UTC), or `null` for the beginning of time. */
  from: string | null;
  /** Exclusive end of the range (normalised UTC), or `null` for now. */
  to: string | null;
  revenue: RevenueLine[];
  revenue_by_product: ProductRevenueLine[];
  /** Subscriptions active (or trialing) now, by product. */
  active_subscriptions: Array<{ product_id: string; product_name: string | null; count: number }>;
  /** Monthly recurring revenue of those subscriptions, per currency: yearly / 12, weekly × 52 / 12, daily × 365 / 12. */
  mrr: Array<{ currency: string; amount: number; subscriptions: number }>;
  /** Subscriptions that ended (canceled and over, or revoked) within the range. */
  churned_subscriptions: { count: number; by_product: Array<{ product_id: string; count: number }> };
};

const MONTHLY = `CASE recurring_interval
    WHEN 'month' THEN amount * 1.0
    WHEN 'year' THEN amount / 12.0
    WHEN 'week' THEN amount * 52.0 / 12.0
    WHEN 'day' THEN amount * 365.0 / 12.0
    ELSE 0 END`;

/**
 * Reporting queries over the kit's own tables (orders, refunds as recorded on orders, subscriptions), so
 * they need no call to Polar. Times are compared as normalised UTC text (see `timestamps.ts`).
 */
export function createStatsQueries(db: Database) {
  type Range = { from: string | null; to: string | null };
  const revenue = db.prepare<Range, RevenueLine>(`
    SELECT currency, COUNT(*) AS orders, SUM(net_amount) AS gross,
           SUM(MIN(refunded_amount, net_amount)) AS refunded,
           SUM(net_amount - MIN(refunded_amount, net_amount)) AS net
    FROM orders
    WHERE paid = 1 AND (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)
    GROUP BY currency ORDER BY currency`);
  const byProduct = db.prepare<Range, ProductRevenueLine>(`
    SELECT product_id, MAX(product_name) AS product_name, currency, COUNT(*) AS orders,
           SUM(net_amount) AS gross, SUM(MIN(refunded_amount, net_amount)) AS refunded,
           SUM(net_amount - MIN(refunded_amount, net_amount)) AS net
    FROM orders
    WHERE paid = 1 AND (@from IS NULL OR created_at >= @from) AND (@to IS NULL OR created_at < @to)
    GROUP BY product_id, currency ORDER BY net DESC, product_id`);
  const active = db.prepare<[], { product_id: string; product_name: string | null; count: number }>(`
    SELECT s.product_id, p.name AS product_name, COUNT(*) AS count
    FROM subscriptions s LEFT JOIN products p ON p.id = s.product_id
    WHERE s.status IN ('active', 'trialing')
    GROUP BY s.product_id ORDER BY count DESC, s.product_id`);
  const mrr = db.prepare<[], { currency: string; amount: number; subscriptions: number }>(`
    SELECT currency, CAST(ROUND(SUM(${MONTHLY})) AS INTEGER) AS amount, COUNT(*) AS subscriptions
    FROM subscriptions WHERE status = 'active'
    GROUP BY currency ORDER BY currency`);
  const churned = db.prepare<Range, { product_id: string; count: number }>(`
    SELECT product_id, COUNT(*) AS count FROM subscriptions
    WHERE ended_at IS NOT NULL AND status NOT IN ('active', 'trialing')
      AND (@from IS NULL OR ended_at >= @from) AND (@to IS NULL OR ended_at < @to)
    GROUP BY product_id ORDER BY count DESC, product_id`);

  return {
    /** Revenue and churn within `[from, to)` (normalised timestamps), active subscriptions and MRR now. */
    stats(range: Range): Stats {
      return db.transaction((): Stats => {
        const churn = churned.all(range);
        return {
          from: range.from,
          to: range.to,
          revenue: revenue.all(range),
          revenue_by_product: byProduct.all(range),
          active_subscriptions: active.all(),
          mrr: mrr.all(),
          churned_subscriptions: { count: churn.reduce((sum, row) => sum + row.count, 0), by_product: churn },
        };
      })();
    },
  };
}
