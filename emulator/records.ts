/**
 * The emulator's state as plain JSON records (so it can be saved as is). Field names follow Polar's JSON;
 * `objects.ts` turns a record into the full Polar object with every required key.
 */
export type Interval = 'day' | 'week' | 'month' | 'year';
export type Metadata = Record<string, string | number | boolean>;

export type Organization = { id: string; name: string; slug: string; created_at: string };

export type PriceRecord = {
  id: string;
  created_at: string;
  product_id: string;
  amount_type: 'fixed' | 'custom';
  price_currency: string;
  price_amount: number;
  minimum_amount: number;
  maximum_amount: number | null;
  preset_amount: number | null;
  is_archived: boolean;
};

export type ProductRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  name: string;
  description: string | null;
  visibility: 'public' | 'private' | 'draft';
  recurring_interval: Interval | null;
  recurring_interval_count: number | null;
  is_archived: boolean;
  metadata: Metadata;
  prices: PriceRecord[];
  benefit_ids: string[];
};

export type BenefitRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  type: 'custom' | 'license_keys';
  description: string;
  metadata: Metadata;
  /** `custom`: `{note}`; `license_keys`: `{prefix, expires, activations, limit_usage}` as Polar shows them. */
  properties: Record<string, unknown>;
};

export type DiscountRecord = {
  id: string;
  created_at: string;
  name: string;
  code: string | null;
  type: 'percentage' | 'fixed';
  basis_points: number | null;
  amount: number | null;
  currency: string | null;
  duration: 'once' | 'forever' | 'repeating';
  duration_in_months: number | null;
};

export type CheckoutStatus = 'open' | 'expired' | 'confirmed' | 'succeeded' | 'failed';

export type CheckoutRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  status: CheckoutStatus;
  client_secret: string;
  expires_at: string;
  /** Already has `{CHECKOUT_ID}` substituted; null = the hosted confirmation page. */
  success_url: string | null;
  return_url: string | null;
  embed_origin: string | null;
  product_ids: string[];
  product_id: string;
  product_price_id: string;
  /** The chosen amount before discount (custom prices: the buyer's amount). */
  amount: number;
  currency: string;
  discount_id: string | null;
  customer_id: string | null;
  external_customer_id: string | null;
  customer_email: string | null;
  customer_name: string | null;
  customer_billing_address: { country: string } | null;
  is_business_customer: boolean;
  locale: string | null;
  allow_discount_codes: boolean;
  require_billing_address: boolean;
  allow_trial: boolean;
  metadata: Metadata;
  customer_metadata: Metadata;
  payment_processor_metadata: Record<string, string>;
  subscription_id: string | null;
  /** Internal: the order created when the checkout succeeded. */
  order_id: string | null;
  /** Internal: the card behaviour kept while waiting for the authentication step. */
  pending_card: CardBehaviour | null;
};

/** What a test card does: pays; pays now but fails every renewal. */
export type CardBehaviour = 'pays' | 'fails_renewals';

export type CustomerRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  email: string;
  email_verified: boolean;
  name: string | null;
  external_id: string | null;
  metadata: Metadata;
  billing_address: { country: string } | null;
  deleted_at: string | null;
};

export type SessionRecord = {
  id: string;
  created_at: string;
  token: string;
  customer_id: string;
  expires_at: string;
  return_url: string | null;
};

export type OrderStatus = 'pending' | 'paid' | 'refunded' | 'partially_refunded' | 'void';
export type BillingReason = 'purchase' | 'subscription_create' | 'subscription_cycle' | 'subscription_update';

export type OrderRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  status: OrderStatus;
  billing_reason: BillingReason;
  customer_id: string;
  product_id: string;
  product_price_id: string;
  subscription_id: string | null;
  checkout_id: string | null;
  discount_id: string | null;
  subtotal_amount: number;
  discount_amount: number;
  tax_amount: number;
  refunded_amount: number;
  currency: string;
  billing_name: string | null;
  invoice_number: string;
  metadata: Metadata;
  period_start: string | null;
  period_end: string | null;
};

export type SubscriptionStatus = 'incomplete' | 'active' | 'past_due' | 'canceled' | 'unpaid' | 'trialing';

export type SubscriptionRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  status: SubscriptionStatus;
  amount: number;
  currency: string;
  recurring_interval: Interval;
  recurring_interval_count: number;
  current_period_start: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  canceled_at: string | null;
  started_at: string | null;
  ends_at: string | null;
  ended_at: string | null;
  past_due_at: string | null;
  customer_id: string;
  product_id: string;
  product_price_id: string;
  discount_id: string | null;
  checkout_id: string | null;
  metadata: Metadata;
  customer_cancellation_reason: string | null;
  customer_cancellation_comment: string | null;
  /** Internal: the behaviour of the card on file. */
  card: CardBehaviour;
};

export type GrantRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  granted_at: string | null;
  revoked_at: string | null;
  customer_id: string;
  benefit_id: string;
  order_id: string | null;
  subscription_id: string | null;
  properties: Record<string, unknown>;
};

export type LicenseKeyRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  customer_id: string;
  benefit_id: string;
  grant_id: string;
  key: string;
  status: 'granted' | 'revoked' | 'disabled';
  limit_activations: number | null;
  usage: number;
  limit_usage: number | null;
  validations: number;
  last_validated_at: string | null;
  expires_at: string | null;
};

export type ActivationRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  license_key_id: string;
  label: string;
  meta: Metadata;
  conditions: Metadata;
};

export type RefundRecord = {
  id: string;
  created_at: string;
  modified_at: string | null;
  status: 'pending' | 'succeeded' | 'failed' | 'canceled';
  reason: string;
  amount: number;
  tax_amount: number;
  currency: string;
  order_id: string;
  subscription_id: string | null;
  customer_id: string;
  revoke_benefits: boolean;
  metadata: Metadata;
};

export type EventRecord = {
  id: string;
  created_at: string;
  timestamp: string;
  name: string;
  customer_id: string | null;
  external_customer_id: string | null;
  external_id: string | null;
  metadata: Record<string, unknown>;
};

/** Everything the emulator knows, as one JSON-serialisable value. */
export type State = {
  products: ProductRecord[];
  benefits: BenefitRecord[];
  discounts: DiscountRecord[];
  checkouts: CheckoutRecord[];
  customers: CustomerRecord[];
  sessions: SessionRecord[];
  orders: OrderRecord[];
  subscriptions: SubscriptionRecord[];
  grants: GrantRecord[];
  licenseKeys: LicenseKeyRecord[];
  activations: ActivationRecord[];
  refunds: RefundRecord[];
  events: EventRecord[];
  invoiceSeq: number;
};

export function emptyState(): State {
  return {
    products: [],
    benefits: [],
    discounts: [],
    checkouts: [],
    customers: [],
    sessions: [],
    orders: [],
    subscriptions: [],
    grants: [],
    licenseKeys: [],
    activations: [],
    refunds: [],
    events: [],
    invoiceSeq: 0,
  };
}
