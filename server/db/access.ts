import type { Database } from 'better-sqlite3';
import type {
  AccessResponse,
  CheckoutStatusResponse,
  OrderStatus,
  OrderSummary,
  SubscriptionSummary,
} from '../../contract/contract.js';
import { createCheckoutStore } from './checkouts.js';
import { createCustomerStore } from './customers.js';

/** An order summary as SQLite returns it: the status as Polar sent it, and `paid` as 0 or 1. */
type OrderSummaryRow = Omit<OrderSummary, 'status' | 'paid'> & { status: string; paid: 0 | 1 };

/** A subscription summary as SQLite returns it: `cancel_at_period_end` as 0 or 1. */
type SubscriptionSummaryRow = Omit<SubscriptionSummary, 'cancel_at_period_end'> & {
  cancel_at_period_end: 0 | 1;
};

export type AccessQueries = ReturnType<typeof createAccessQueries>;

const ORDER_SUMMARY_COLUMNS = `
  o.id, o.status, o.paid, o.product_id, coalesce(o.product_name, p.name) AS product_name, o.total_amount,
  o.currency, o.billing_reason, o.subscription_id, o.checkout_id, c.email AS customer_email, o.created_at`;

/**
 * Read-only answers built from the kit's own database: what a customer has access to, their orders, and
 * where a checkout stands. Nothing here calls Polar.
 */
export function createAccessQueries(db: Database) {
  const customers = createCustomerStore(db);
  const checkouts = createCheckoutStore(db);

  // Subscriptions grant access while active or trialing (Polar's customer state lists exactly these);
  // `past_due` does not.
  const grantingSubscriptions = db.prepare<[string], SubscriptionSummaryRow>(`
    SELECT id, product_id, status, current_period_end, cancel_at_period_end FROM subscriptions
    WHERE customer_id = ? AND status IN ('active', 'trialing')
    ORDER BY created_at, id`);
  // A one-time purchase grants access once paid, until fully refunded (by the order's status, or by the
  // succeeded refunds the kit has seen, whichever arrived first).
  const purchasedProducts = db.prepare<[string], { product_id: string }>(`
    SELECT DISTINCT o.product_id FROM orders o
    WHERE o.customer_id = ? AND o.paid = 1 AND o.billing_reason = 'purchase' AND o.product_id IS NOT NULL
      AND o.status IN ('paid', 'partially_refunded')
      AND NOT (o.total_amount > 0 AND (
        SELECT coalesce(sum(r.amount + r.tax_amount), 0) FROM refunds r
        WHERE r.order_id = o.id AND r.status = 'succeeded') >= o.total_amount)
    ORDER BY o.product_id`);
  const grantedBenefits = db.prepare<[string], { id: string; type: string; description: string | null }>(`
    SELECT benefit_id AS id, min(benefit_type) AS type, max(benefit_description) AS description
    FROM benefit_grants WHERE customer_id = ? AND is_granted = 1 AND is_revoked = 0
    GROUP BY benefit_id ORDER BY benefit_id`);
  const ordersByEmail = db.prepare<[string], OrderSummaryRow>(`
    SELECT ${ORDER_SUMMARY_COLUMNS}
    FROM orders o JOIN customers c ON c.id = o.customer_id LEFT JOIN products p ON p.id = o.product_id
    WHERE c.email_lower = lower(?)
    ORDER BY o.created_at DESC, o.id DESC`);
  const paidOrderOfCheckout = db.prepare<[string], OrderSummaryRow>(`
    SELECT ${ORDER_SUMMARY_COLUMNS}
    FROM orders o LEFT JOIN customers c ON c.id = o.customer_id LEFT JOIN products p ON p.id = o.product_id
    WHERE o.checkout_id = ? AND o.paid = 1
    ORDER BY o.created_at, o.id LIMIT 1`);
  const subscriptionById = db.prepare<[string], SubscriptionSummaryRow>(`
    SELECT id, product_id, status, current_period_end, cancel_at_period_end FROM subscriptions WHERE id = ?`);
  const subscriptionOfCheckout = db.prepare<[string], SubscriptionSummaryRow>(`
    SELECT id, product_id, status, current_period_end, cancel_at_period_end FROM subscriptions
    WHERE checkout_id = ? ORDER BY created_at, id LIMIT 1`);
  const productName = db.prepare<[string], { name: string }>(`SELECT name FROM products WHERE id = ?`);

  return {
    /**
     * What the customer whose external id, Polar customer id or email is `key` may use now: active or
     * trialing subscriptions, paid one-time products not fully refunded, and granted benefits.
     * `null` when the kit has never seen such a customer.
     *
     * A subscription that is `past_due` (a renewal payment failed) is not active: it is left out of
     * `subscriptions`, and its product out of `product_ids`. The benefits Polar still grants during its grace
     * period stay in `benefits` until Polar revokes them (`benefit_grant.revoked`, sent with
     * `subscription.revoked` when the subscription ends). `active` is true exactly while something grants
     * access: `product_ids` or `benefits` is not empty. A deleted customer has no access.
     */
    access(key: string): AccessResponse | null {
      const customer = customers.findByKey(key);
      if (!customer) return null;
      const deleted = customer.deletedAt !== null;
      const subscriptions = deleted ? [] : grantingSubscriptions.all(customer.id).map(toSubscriptionSummary);
      const productIds = new Set(subscriptions.map((s) => s.product_id));
      if (!deleted) for (const row of purchasedProducts.all(customer.id)) productIds.add(row.product_id);
      const benefits = deleted ? [] : grantedBenefits.all(customer.id);
      return {
        customer_id: customer.id,
        email: customer.email ?? '',
        external_id: customer.externalId,
        active: productIds.size > 0 || benefits.length > 0,
        subscriptions,
        product_ids: [...productIds].sort(),
        benefits,
      };
    },
    /** Every order of the customers with this email (case-insensitive), newest first. */
    ordersByEmail(email: string): OrderSummary[] {
      return ordersByEmail.all(email).map(toOrderSummary);
    },
    /**
     * Where a checkout the kit knows stands; `order` and `subscription` stay `null` until an order of it is
     * paid. `null` for an unknown checkout.
     */
    checkoutStatus(id: string): CheckoutStatusResponse | null {
      const checkout = checkouts.get(id);
      if (!checkout) return null;
      const orderRow = paidOrderOfCheckout.get(id);
      let subscription: SubscriptionSummaryRow | undefined;
      if (orderRow) {
        const subscriptionId = orderRow.subscription_id ?? checkout.subscriptionId;
        subscription =
          (subscriptionId ? subscriptionById.get(subscriptionId) : undefined) ??
          subscriptionOfCheckout.get(id);
      }
      const name =
        checkout.productName ?? (checkout.productId ? productName.get(checkout.productId)?.name : undefined);
      return {
        checkout_id: checkout.id,
        status: checkout.status,
        product: checkout.productId ? { id: checkout.productId, name: name ?? '' } : null,
        amount: checkout.totalAmount,
        currency: checkout.currency,
        order: orderRow ? toOrderSummary(orderRow) : null,
        subscription: subscription ? toSubscriptionSummary(subscription) : null,
      };
    },
  };
}

function toSubscriptionSummary(row: SubscriptionSummaryRow): SubscriptionSummary {
  return { ...row, cancel_at_period_end: row.cancel_at_period_end === 1 };
}

function toOrderSummary(row: OrderSummaryRow): OrderSummary {
  return { ...row, status: toOrderStatus(row.status), paid: row.paid === 1 };
}

/** The contract knows four order states; Polar's `draft` and `void` orders are not (or not yet) paid. */
function toOrderStatus(status: string): OrderStatus {
  return status === 'paid' || status === 'refunded' || status === 'partially_refunded' ? status : 'pending';
}
