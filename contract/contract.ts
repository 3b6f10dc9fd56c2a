/**
 * The HTTP contract between the widget (and any other client) and the kit. Types and constants only:
 * no DOM, no Node, no dependencies. Changing anything here is an API change: update the server, the widget,
 * the README, the OpenAPI document and the tests together.
 */

/** Route paths, relative to the kit's origin. `:name` segments are path parameters. */
export const API = {
  health: '/api/health',
  products: '/api/products',
  checkout: '/api/checkout',
  checkoutStatus: '/api/checkout/:id',
  portal: '/api/portal',
  licenseKeyValidate: '/api/license-keys/validate',
  licenseKeyActivate: '/api/license-keys/activate',
  licenseKeyDeactivate: '/api/license-keys/deactivate',
  webhooks: '/api/webhooks/polar',
  orders: '/api/orders/:email',
  customerAccess: '/api/customers/:key/access',
  usage: '/api/usage',
  usageOutbox: '/api/usage/outbox',
  webhookEvents: '/api/webhook-events',
  webhookEventReplay: '/api/webhook-events/:webhook_id/replay',
  stats: '/api/stats',
  openapi: '/api/openapi.json',
} as const;

/** `{CHECKOUT_ID}` in a success URL is replaced by the checkout id when the buyer is sent back. */
export const CHECKOUT_ID_PLACEHOLDER = '{CHECKOUT_ID}';

export type RecurringInterval = 'day' | 'week' | 'month' | 'year';

/** Checkout states, as Polar names them. */
export type CheckoutStatus = 'open' | 'expired' | 'confirmed' | 'succeeded' | 'failed';

/** A price of a product. Amounts are integer minor units (cents) in a lowercase ISO-4217 currency. */
export type Price =
  | { id: string; amount_type: 'fixed'; price_amount: number; price_currency: string }
  | {
      id: string;
      amount_type: 'custom';
      price_currency: string;
      minimum_amount: number;
      maximum_amount: number | null;
      preset_amount: number | null;
    }
  | { id: string; amount_type: 'other'; price_currency: string };

export type Benefit = { id: string; type: string; description: string };

/** One entry of `GET /api/products`: a public, unarchived product. */
export type Product = {
  id: string;
  name: string;
  description: string | null;
  is_recurring: boolean;
  recurring_interval: RecurringInterval | null;
  /** The first price's amount in minor units; `null` for a pay-what-you-want price. */
  price_amount: number | null;
  price_currency: string;
  prices: Price[];
  benefits: Benefit[];
  metadata: Record<string, string | number | boolean>;
};

export type ProductsResponse = Product[];

export type HealthResponse = {
  status: 'ok' | 'degraded';
  polar: 'ok' | 'unreachable';
  database: 'ok' | 'error';
  version: string;
  /** Which Polar the kit talks to: `local` (the emulator), `sandbox` or `production`. */
  mode?: 'local' | 'sandbox' | 'production';
};

/** `POST /api/checkout`. `external_customer_id` is never taken from here: it comes from the host app. */
export type CheckoutRequest = {
  product_id: string;
  email?: string;
  customer_name?: string;
  metadata?: Record<string, string | number | boolean>;
  success_url?: string;
  embed_origin?: string;
  discount_code?: string;
  /** Pay-what-you-want amount in minor units. */
  amount?: number;
};

export type CheckoutResponse = {
  checkout_id: string;
  checkout_url: string;
  client_secret: string;
  expires_at: string;
  status: CheckoutStatus;
};

export type OrderStatus = 'pending' | 'paid' | 'refunded' | 'partially_refunded';

export type OrderSummary = {
  id: string;
  status: OrderStatus;
  paid: boolean;
  product_id: string | null;
  product_name: string | null;
  total_amount: number;
  currency: string;
  billing_reason: string;
  subscription_id: string | null;
  checkout_id: string | null;
  customer_email: string | null;
  created_at: string;
};

export type SubscriptionStatus =
  'incomplete' | 'incomplete_expired' | 'trialing' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'paused';

export type SubscriptionSummary = {
  id: string;
  product_id: string;
  status: SubscriptionStatus;
  current_period_end: string | null;
  cancel_at_period_end: boolean;
};

/** `GET /api/checkout/:id`: `order` and `subscription` stay `null` until the kit has seen the payment. */
export type CheckoutStatusResponse = {
  checkout_id: string;
  status: CheckoutStatus;
  product: { id: string; name: string } | null;
  amount: number;
  currency: string;
  order: OrderSummary | null;
  subscription: SubscriptionSummary | null;
};

export type PortalRequest = { checkout_id?: string; customer_key?: string };
export type PortalResponse = { portal_url: string };

export type OrdersResponse = OrderSummary[];

export type AccessResponse = {
  customer_id: string;
  email: string;
  external_id: string | null;
  active: boolean;
  subscriptions: SubscriptionSummary[];
  product_ids: string[];
  benefits: Array<{ id: string; type: string; description: string | null }>;
};

export type WebhookReceipt = { received: true; duplicate?: true };

export type UsageEvent = {
  name: string;
  external_customer_id?: string;
  customer_id?: string;
  metadata?: Record<string, string | number | boolean>;
  external_id?: string;
  timestamp?: string;
};
export type UsageRequest = { events: UsageEvent[] };
export type UsageResponse = { accepted: number };

/** `GET /api/usage/outbox`: usage events waiting, sent, and rejected by Polar. */
export type UsageOutboxResponse = { pending: number; failed: number; sent: number };

/** `POST /api/license-keys/validate`. The organization is filled in by the kit. */
export type LicenseKeyValidateRequest = {
  key: string;
  activation_id?: string;
  benefit_id?: string;
  customer_id?: string;
  increment_usage?: number;
  conditions?: Record<string, string | number | boolean>;
};
/** `POST /api/license-keys/activate`. */
export type LicenseKeyActivateRequest = {
  key: string;
  label: string;
  conditions?: Record<string, string | number | boolean>;
  meta?: Record<string, string | number | boolean>;
};
/** `POST /api/license-keys/deactivate` → 204. */
export type LicenseKeyDeactivateRequest = { key: string; activation_id: string };

export type WebhookEventStatus = 'processed' | 'failed' | 'ignored';

/** One stored webhook delivery in `GET /api/webhook-events` (newest first; the payload is left out). */
export type WebhookEventSummary = {
  webhook_id: string;
  type: string;
  status: WebhookEventStatus;
  error: string | null;
  attempts: number;
  event_timestamp: string | null;
  received_at: string;
  processed_at: string | null;
};
/** `GET /api/webhook-events?status=&limit=&cursor=`; pass `next_cursor` back as `cursor` for the next page. */
export type WebhookEventsResponse = { items: WebhookEventSummary[]; next_cursor: string | null };
/** `POST /api/webhook-events/:webhook_id/replay`. */
export type WebhookEventReplayResponse = { webhook_id: string; status: WebhookEventStatus };

/** Revenue of paid orders in one currency, minor units: net amounts (after discounts, before tax). */
export type RevenueFigures = {
  currency: string;
  orders: number;
  gross: number;
  refunded: number;
  net: number;
};

/** `GET /api/stats?from=&to=`: revenue and churn within `[from, to)`; active subscriptions and MRR now. */
export type StatsResponse = {
  from: string | null;
  to: string | null;
  revenue: RevenueFigures[];
  revenue_by_product: Array<RevenueFigures & { product_id: string | null; product_name: string | null }>;
  active_subscriptions: Array<{ product_id: string; product_name: string | null; count: number }>;
  /** Monthly-normalised: yearly / 12, weekly × 52 / 12, daily × 365 / 12. */
  mrr: Array<{ currency: string; amount: number; subscriptions: number }>;
  churned_subscriptions: { count: number; by_product: Array<{ product_id: string; count: number }> };
};
