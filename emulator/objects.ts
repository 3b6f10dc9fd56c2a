/**
 * Builders that turn the emulator's records into Polar's JSON objects (API version 2026-10), with every
 * required key of polar-reference.md section 5: integer cents, ISO timestamps with `Z`, `customer.type`.
 * The same builders serve REST responses, webhook payloads and the customer portal, so every path returns
 * the same object.
 */
import type {
  ActivationRecord,
  BenefitRecord,
  CheckoutRecord,
  CustomerRecord,
  DiscountRecord,
  EventRecord,
  GrantRecord,
  LicenseKeyRecord,
  OrderRecord,
  Organization,
  PriceRecord,
  ProductRecord,
  RefundRecord,
  SessionRecord,
  State,
  SubscriptionRecord,
} from './records.js';

/** What the builders need to resolve references between records. */
export type ObjectContext = {
  readonly org: Organization;
  readonly state: State;
  /** Base of checkout and portal URLs. */
  publicUrl(): string;
};

type Json = Record<string, unknown>;

export function priceJson(p: PriceRecord): Json {
  const base = {
    created_at: p.created_at,
    modified_at: null,
    id: p.id,
    source: 'catalog',
    amount_type: p.amount_type,
    price_currency: p.price_currency,
    tax_behavior: null,
    is_archived: p.is_archived,
    product_id: p.product_id,
  };
  return p.amount_type === 'fixed'
    ? { ...base, price_amount: p.price_amount }
    : {
        ...base,
        minimum_amount: p.minimum_amount,
        maximum_amount: p.maximum_amount,
        preset_amount: p.preset_amount,
      };
}

export function benefitJson(b: BenefitRecord, org: Organization): Json {
  return {
    id: b.id,
    created_at: b.created_at,
    modified_at: b.modified_at,
    type: b.type,
    description: b.description,
    selectable: true,
    deletable: true,
    is_deleted: false,
    organization_id: org.id,
    metadata: b.metadata,
    visibility: 'public',
    properties: b.properties,
    visibility_configurable: false,
  };
}

/** Product without prices and benefits (Polar's `OrderProduct`). */
function productBaseJson(p: ProductRecord, org: Organization): Json {
  return {
    id: p.id,
    created_at: p.created_at,
    modified_at: p.modified_at,
    trial_interval: null,
    trial_interval_count: null,
    name: p.name,
    description: p.description,
    visibility: p.visibility,
    recurring_interval: p.recurring_interval,
    recurring_interval_count: p.recurring_interval_count,
    meter_interval: null,
    meter_interval_count: null,
    is_recurring: p.recurring_interval !== null,
    is_archived: p.is_archived,
    organization_id: org.id,
    metadata: p.metadata,
  };
}

export function productJson(p: ProductRecord, ctx: ObjectContext): Json {
  return {
    ...productBaseJson(p, ctx.org),
    is_deletable: true,
    prices: p.prices.map(priceJson),
    benefits: p.benefit_ids.flatMap((id) => {
      const b = ctx.state.benefits.find((x) => x.id === id);
      return b ? [benefitJson(b, ctx.org)] : [];
    }),
    medias: [],
    attached_custom_fields: [],
  };
}

export function customerJson(c: CustomerRecord, org: Organization): Json {
  return {
    id: c.id,
    created_at: c.created_at,
    modified_at: c.modified_at,
    metadata: c.metadata,
    external_id: c.external_id,
    email: c.email,
    email_verified: c.email_verified,
    type: 'individual',
    name: c.name,
    billing_name: null,
    billing_address: c.billing_address,
    tax_id: null,
    locale: null,
    organization_id: org.id,
    default_payment_method_id: null,
    deleted_at: c.deleted_at,
    first_user_event_at: null,
    avatar_url: null,
  };
}

/** Polar's `Discount` object (the `...Base` shapes embedded in orders and subscriptions). */
export function discountJson(d: DiscountRecord, org: Organization): Json {
  return {
    ...discountTerms(d),
    created_at: d.created_at,
    modified_at: null,
    id: d.id,
    metadata: {},
    name: d.name,
    code: d.code,
    starts_at: null,
    ends_at: null,
    max_redemptions: null,
    redemptions_count: 0,
    organization_id: org.id,
  };
}

function checkoutDiscountJson(d: DiscountRecord): Json {
  return {
    ...discountTerms(d),
    id: d.id,
    name: d.name,
    code: d.code,
  };
}

/** How long and how much a discount takes off, as both of Polar's discount shapes begin. */
function discountTerms(d: DiscountRecord): Json {
  return {
    duration: d.duration,
    ...(d.duration === 'repeating' ? { duration_in_months: d.duration_in_months ?? 1 } : {}),
    type: d.type,
    ...(d.type === 'percentage'
      ? { basis_points: d.basis_points }
      : { amount: d.amount, currency: d.currency, amounts: { [d.currency ?? 'usd']: d.amount } }),
  };
}

/** The discount taken off `amount` (integer cents, never more than the amount). */
export function discountAmount(d: DiscountRecord | undefined, amount: number): number {
  if (!d) return 0;
  if (d.type === 'percentage') return Math.min(amount, Math.floor((amount * (d.basis_points ?? 0)) / 10_000));
  return Math.min(amount, d.amount ?? 0);
}

export function checkoutJson(c: CheckoutRecord, ctx: ObjectContext): Json {
  const products = c.product_ids.flatMap((id) => {
    const p = ctx.state.products.find((x) => x.id === id);
    return p ? [p] : [];
  });
  const product = products.find((p) => p.id === c.product_id) ?? null;
  const price = product?.prices.find((p) => p.id === c.product_price_id) ?? null;
  const discount = c.discount_id ? ctx.state.discounts.find((d) => d.id === c.discount_id) : undefined;
  const discountAmt = discountAmount(discount, c.amount);
  const net = c.amount - discountAmt;
  const isFree = price?.amount_type === 'fixed' && price.price_amount === 0;
  const paymentRequired = net > 0;
  const isRecurring = product?.recurring_interval != null;
  return {
    id: c.id,
    created_at: c.created_at,
    modified_at: c.modified_at,
    custom_field_data: {},
    payment_processor: 'stripe',
    status: c.status,
    client_secret: c.client_secret,
    url: `${ctx.publicUrl()}/checkout/${c.client_secret}`,
    expires_at: c.expires_at,
    success_url: c.success_url ?? `${ctx.publicUrl()}/checkout/${c.client_secret}/confirmation`,
    return_url: c.return_url,
    embed_origin: c.embed_origin,
    amount: c.amount,
    seats: null,
    min_seats: null,
    max_seats: null,
    units: null,
    min_units: null,
    max_units: null,
    discount_amount: discountAmt,
    net_amount: net,
    tax_amount: null,
    tax_behavior: null,
    total_amount: net,
    currency: c.currency,
    allow_trial: c.allow_trial,
    active_trial_interval: null,
    active_trial_interval_count: null,
    trial_end: null,
    organization_id: ctx.org.id,
    product_id: c.product_id,
    product_price_id: c.product_price_id,
    discount_id: c.discount_id,
    allow_discount_codes: c.allow_discount_codes,
    require_billing_address: c.require_billing_address,
    is_discount_applicable: true,
    is_free_product_price: isFree,
    is_payment_required: paymentRequired,
    is_payment_setup_required: isRecurring && !paymentRequired && !isFree,
    is_payment_form_required: paymentRequired || (isRecurring && !isFree),
    customer_id: c.customer_id,
    is_business_customer: c.is_business_customer,
    customer_name: c.customer_name,
    customer_email: c.customer_email,
    customer_ip_address: null,
    customer_billing_name: null,
    customer_billing_address: c.customer_billing_address,
    customer_tax_id: null,
    locale: c.locale,
    payment_method_type: null,
    payment_processor_metadata: c.payment_processor_metadata,
    billing_address_fields: {
      country: c.require_billing_address ? 'required' : 'optional',
      state: 'disabled',
      city: 'disabled',
      postal_code: 'disabled',
      line1: 'disabled',
      line2: 'disabled',
    },
    trial_interval: null,
    trial_interval_count: null,
    metadata: c.metadata,
    external_customer_id: c.external_customer_id,
    customer_external_id: c.external_customer_id,
    products: products.map((p) => productJson(p, ctx)),
    product: product ? productJson(product, ctx) : null,
    product_price: price ? priceJson(price) : null,
    prices: Object.fromEntries(
      products.map((p) => [p.id, p.prices.filter((x) => !x.is_archived).map(priceJson)]),
    ),
    discount: discount ? checkoutDiscountJson(discount) : null,
    subscription_id: c.subscription_id,
    attached_custom_fields: [],
    customer_metadata: c.customer_metadata,
    organization: customerOrganizationJson(ctx.org),
  };
}

/** Subscription without nested objects (Polar's `OrderSubscription`). */
export function subscriptionBaseJson(s: SubscriptionRecord): Json {
  return {
    metadata: s.metadata,
    created_at: s.created_at,
    modified_at: s.modified_at,
    id: s.id,
    amount: s.amount,
    currency: s.currency,
    recurring_interval: s.recurring_interval,
    recurring_interval_count: s.recurring_interval_count,
    status: s.status,
    current_period_start: s.current_period_start,
    current_period_end: s.current_period_end,
    current_meter_period_start: null,
    current_meter_period_end: null,
    trial_start: null,
    trial_end: null,
    cancel_at_period_end: s.cancel_at_period_end,
    canceled_at: s.canceled_at,
    started_at: s.started_at,
    ends_at: s.ends_at,
    ended_at: s.ended_at,
    past_due_at: s.past_due_at,
    pause_at_period_end: false,
    paused_at: null,
    resumes_at: null,
    customer_id: s.customer_id,
    product_id: s.product_id,
    discount_id: s.discount_id,
    checkout_id: s.checkout_id,
    seats: null,
    units: null,
    customer_cancellation_reason: s.customer_cancellation_reason,
    customer_cancellation_comment: s.customer_cancellation_comment,
  };
}

export function subscriptionJson(s: SubscriptionRecord, ctx: ObjectContext): Json {
  const product = must(ctx.state.products.find((p) => p.id === s.product_id));
  const customer = must(ctx.state.customers.find((c) => c.id === s.customer_id));
  const discount = s.discount_id ? ctx.state.discounts.find((d) => d.id === s.discount_id) : undefined;
  return {
    ...subscriptionBaseJson(s),
    custom_field_data: {},
    customer: customerJson(customer, ctx.org),
    product: productJson(product, ctx),
    discount: discount ? discountJson(discount, ctx.org) : null,
    prices: product.prices.filter((p) => p.id === s.product_price_id).map(priceJson),
    meters: [],
    pending_update: null,
  };
}

export function orderJson(o: OrderRecord, ctx: ObjectContext): Json {
  const product = ctx.state.products.find((p) => p.id === o.product_id);
  const customer = must(ctx.state.customers.find((c) => c.id === o.customer_id));
  const subscription = o.subscription_id
    ? ctx.state.subscriptions.find((s) => s.id === o.subscription_id)
    : undefined;
  const discount = o.discount_id ? ctx.state.discounts.find((d) => d.id === o.discount_id) : undefined;
  const net = o.subtotal_amount - o.discount_amount;
  const total = net + o.tax_amount;
  const paid = o.status === 'paid' || o.status === 'refunded' || o.status === 'partially_refunded';
  const label = product?.name ?? 'Product';
  return {
    id: o.id,
    created_at: o.created_at,
    modified_at: o.modified_at,
    status: o.status,
    paid,
    subtotal_amount: o.subtotal_amount,
    discount_amount: o.discount_amount,
    net_amount: net,
    tax_amount: o.tax_amount,
    total_amount: total,
    applied_balance_amount: 0,
    due_amount: paid ? 0 : total,
    refunded_amount: o.refunded_amount,
    refunded_tax_amount: 0,
    currency: o.currency,
    billing_reason: o.billing_reason,
    billing_name: o.billing_name,
    billing_address: customer.billing_address,
    invoice_number: o.invoice_number,
    is_invoice_generated: false,
    receipt_number: null,
    seats: null,
    units: null,
    customer_id: o.customer_id,
    product_id: o.product_id,
    discount_id: o.discount_id,
    subscription_id: o.subscription_id,
    checkout_id: o.checkout_id,
    next_payment_attempt_at: null,
    metadata: o.metadata,
    custom_field_data: {},
    platform_fee_amount: 0,
    platform_fee_currency: null,
    customer: customerJson(customer, ctx.org),
    product: product ? productBaseJson(product, ctx.org) : null,
    discount: discount ? discountJson(discount, ctx.org) : null,
    subscription: subscription ? subscriptionBaseJson(subscription) : null,
    items: [
      {
        created_at: o.created_at,
        modified_at: null,
        id: deriveId(o.id),
        label,
        amount: o.subtotal_amount,
        tax_amount: o.tax_amount,
        proration: false,
        product_price_id: o.product_price_id,
        start_timestamp: o.period_start,
        end_timestamp: o.period_end,
      },
    ],
    description: label,
    refundable_amount: paid ? Math.max(0, net - o.refunded_amount) : 0,
    refundable_tax_amount: 0,
  };
}

/** Polar's `CustomerOrganization`, embedded in customer-portal products. */
function customerOrganizationJson(org: Organization): Json {
  return {
    created_at: org.created_at,
    modified_at: null,
    id: org.id,
    name: org.name,
    slug: org.slug,
    avatar_url: null,
    proration_behavior: 'prorate',
    allow_customer_updates: true,
    customer_portal_settings: {
      usage: { show: true },
      subscription: { update_seats: false, update_plan: false },
    },
    organization_features: { member_model_enabled: false, checkout_localization_enabled: false },
  };
}

function customerProductJson(p: ProductRecord, ctx: ObjectContext): Json {
  return { ...productJson(p, ctx), organization: customerOrganizationJson(ctx.org) };
}

/** Polar's `CustomerOrder` (customer portal). */
export function customerOrderJson(o: OrderRecord, ctx: ObjectContext): Json {
  const full = orderJson(o, ctx);
  const product = ctx.state.products.find((p) => p.id === o.product_id);
  return { ...full, product: product ? customerProductJson(product, ctx) : null };
}

/** Polar's `CustomerSubscription` (customer portal). */
export function customerSubscriptionJson(s: SubscriptionRecord, ctx: ObjectContext): Json {
  const product = must(ctx.state.products.find((p) => p.id === s.product_id));
  return {
    ...subscriptionBaseJson(s),
    product: customerProductJson(product, ctx),
    prices: product.prices.filter((p) => p.id === s.product_price_id).map(priceJson),
    meters: [],
    pending_update: null,
  };
}

/** Polar's `CustomerPortalCustomer` (`GET /v1/customer-portal/customers/me`). */
export function portalCustomerJson(c: CustomerRecord): Json {
  return {
    created_at: c.created_at,
    modified_at: c.modified_at,
    id: c.id,
    email: c.email,
    email_verified: c.email_verified,
    name: c.name,
    billing_name: null,
    billing_address: c.billing_address,
    tax_id: null,
    oauth_accounts: {},
    default_payment_method_id: null,
    type: 'individual',
    locale: null,
  };
}

export function customerStateJson(c: CustomerRecord, ctx: ObjectContext): Json {
  const subs = ctx.state.subscriptions.filter(
    (s) => s.customer_id === c.id && (s.status === 'active' || s.status === 'trialing'),
  );
  const grants = ctx.state.grants.filter((g) => g.customer_id === c.id && g.granted_at && !g.revoked_at);
  return {
    ...customerJson(c, ctx.org),
    active_subscriptions: subs.map((s) => ({
      id: s.id,
      created_at: s.created_at,
      modified_at: s.modified_at,
      custom_field_data: {},
      metadata: s.metadata,
      status: s.status,
      amount: s.amount,
      currency: s.currency,
      recurring_interval: s.recurring_interval,
      current_period_start: s.current_period_start,
      current_period_end: s.current_period_end,
      trial_start: null,
      trial_end: null,
      cancel_at_period_end: s.cancel_at_period_end,
      canceled_at: s.canceled_at,
      started_at: s.started_at,
      ends_at: s.ends_at,
      product_id: s.product_id,
      discount_id: s.discount_id,
      meters: [],
    })),
    granted_benefits: grants.flatMap((g) => {
      const b = ctx.state.benefits.find((x) => x.id === g.benefit_id);
      if (!b) return [];
      return [
        {
          id: g.id,
          created_at: g.created_at,
          modified_at: g.modified_at,
          granted_at: g.granted_at,
          benefit_id: b.id,
          benefit_type: b.type,
          benefit_metadata: b.metadata,
          properties: g.properties,
        },
      ];
    }),
    active_meters: [],
  };
}

export function sessionJson(s: SessionRecord, ctx: ObjectContext): Json {
  const customer = must(ctx.state.customers.find((c) => c.id === s.customer_id));
  return {
    created_at: s.created_at,
    modified_at: null,
    id: s.id,
    token: s.token,
    expires_at: s.expires_at,
    return_url: s.return_url,
    customer_portal_url: `${ctx.publicUrl()}/${ctx.org.slug}/portal?customer_session_token=${s.token}`,
    customer_id: s.customer_id,
    customer: customerJson(customer, ctx.org),
  };
}

/** Polar's `BenefitGrantWebhook` (payload of `benefit_grant.*`). */
export function grantJson(g: GrantRecord, ctx: ObjectContext): Json {
  const customer = must(ctx.state.customers.find((c) => c.id === g.customer_id));
  const benefit = must(ctx.state.benefits.find((b) => b.id === g.benefit_id));
  return {
    created_at: g.created_at,
    modified_at: g.modified_at,
    id: g.id,
    granted_at: g.granted_at,
    is_granted: g.granted_at !== null && g.revoked_at === null,
    revoked_at: g.revoked_at,
    is_revoked: g.revoked_at !== null,
    subscription_id: g.subscription_id,
    order_id: g.order_id,
    customer_id: g.customer_id,
    member_id: null,
    benefit_id: g.benefit_id,
    error: null,
    customer: customerJson(customer, ctx.org),
    member: null,
    benefit: benefitJson(benefit, ctx.org),
    properties: g.properties,
  };
}

/** The part of a key shown to people who should not see it all: `****-` and the last 4 characters. */
export function displayKey(key: string): string {
  return `****-${key.slice(-4)}`;
}

/** Polar's `LicenseKeyRead`. */
export function licenseKeyJson(k: LicenseKeyRecord, ctx: ObjectContext): Json {
  const customer = must(ctx.state.customers.find((c) => c.id === k.customer_id));
  return {
    id: k.id,
    created_at: k.created_at,
    modified_at: k.modified_at,
    organization_id: ctx.org.id,
    customer_id: k.customer_id,
    customer: customerJson(customer, ctx.org),
    member_id: null,
    member: null,
    benefit_id: k.benefit_id,
    key: k.key,
    display_key: displayKey(k.key),
    status: k.status,
    limit_activations: k.limit_activations,
    usage: k.usage,
    limit_usage: k.limit_usage,
    validations: k.validations,
    last_validated_at: k.last_validated_at,
    expires_at: k.expires_at,
  };
}

export function activationBaseJson(a: ActivationRecord): Json {
  return {
    id: a.id,
    license_key_id: a.license_key_id,
    label: a.label,
    meta: a.meta,
    created_at: a.created_at,
    modified_at: a.modified_at,
  };
}

/** Polar's `LicenseKeyWithActivations`. */
export function licenseKeyWithActivationsJson(k: LicenseKeyRecord, ctx: ObjectContext): Json {
  return {
    ...licenseKeyJson(k, ctx),
    activations: ctx.state.activations.filter((a) => a.license_key_id === k.id).map(activationBaseJson),
  };
}

/** Polar's `LicenseKeyActivationRead`. */
export function activationJson(a: ActivationRecord, k: LicenseKeyRecord, ctx: ObjectContext): Json {
  return { ...activationBaseJson(a), license_key: licenseKeyJson(k, ctx) };
}

export function refundJson(r: RefundRecord, org: Organization): Json {
  return {
    created_at: r.created_at,
    modified_at: r.modified_at,
    id: r.id,
    metadata: r.metadata,
    status: r.status,
    reason: r.reason,
    amount: r.amount,
    tax_amount: r.tax_amount,
    currency: r.currency,
    organization_id: org.id,
    order_id: r.order_id,
    subscription_id: r.subscription_id,
    customer_id: r.customer_id,
    revoke_benefits: r.revoke_benefits,
    dispute: null,
  };
}

/** Polar's `UserEvent` (an ingested event). */
export function eventJson(e: EventRecord, ctx: ObjectContext): Json {
  const customer = e.customer_id ? ctx.state.customers.find((c) => c.id === e.customer_id) : undefined;
  return {
    id: e.id,
    timestamp: e.timestamp,
    organization_id: ctx.org.id,
    customer_id: customer?.id ?? null,
    customer: customer ? customerJson(customer, ctx.org) : null,
    external_customer_id: e.external_customer_id,
    member_id: null,
    external_member_id: null,
    child_count: 0,
    parent_id: null,
    label: e.name,
    name: e.name,
    source: 'user',
    metadata: e.metadata,
  };
}

/** Polar's `CustomerOrganization` (customer portal). */
export function organizationJson(org: Organization): Json {
  return customerOrganizationJson(org);
}

/** Polar's `Organization` (`GET /v1/organizations/{id}`). */
export function organizationFullJson(org: Organization): Json {
  const flags = (names: string[]) => Object.fromEntries(names.map((n) => [n, true]));
  return {
    ...customerOrganizationJson(org),
    email: null,
    website: null,
    socials: [],
    status: 'active',
    details_submitted_at: org.created_at,
    sso_enforced: false,
    default_presentment_currency: 'usd',
    default_tax_behavior: 'location',
    feature_settings: null,
    subscription_settings: {
      allow_multiple_subscriptions: true,
      proration_behavior: 'prorate',
      benefit_revocation_grace_period: 0,
      prevent_trial_abuse: false,
      allow_customer_updates: true,
    },
    customer_email_settings: Object.fromEntries(
      [
        'order_confirmation',
        'subscription_cancellation',
        'subscription_confirmation',
        'subscription_cycled',
        'subscription_cycled_after_trial',
        'subscription_past_due',
        'subscription_paused',
        'subscription_resumed',
        'subscription_renewal_reminder',
        'subscription_revoked',
        'subscription_trial_conversion_reminder',
        'subscription_uncanceled',
        'subscription_updated',
      ].map((n) => [n, false]),
    ),
    country: 'US',
    account_id: null,
    payout_account_id: null,
    capabilities: flags([
      'checkout_payments',
      'subscription_renewals',
      'payouts',
      'refunds',
      'api_access',
      'dashboard_access',
    ]),
  };
}

function must<T>(value: T | undefined): T {
  if (value === undefined) throw new Error('emulator state is inconsistent: a referenced record is missing');
  return value;
}

/** A stable UUID-shaped id derived from another id (for sub-objects such as order items). */
function deriveId(id: string): string {
  const hex = id.replace(/-/g, '');
  const flipped = hex
    .split('')
    .map((ch, i) => (i === 12 ? '4' : i === 16 ? '8' : (15 - parseInt(ch, 16)).toString(16)))
    .join('');
  return `${flipped.slice(0, 8)}-${flipped.slice(8, 12)}-${flipped.slice(12, 16)}-${flipped.slice(16, 20)}-${flipped.slice(20)}`;
}
