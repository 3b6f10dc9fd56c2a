/**
 * The emulator's state and its domain actions. Every action keeps all paths consistent (the order a
 * checkout created is the order `GET /v1/orders/{id}` returns and the one in `order.paid`) and emits
 * Polar's webhook sequence for it (polar-reference.md section 6.3).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { Catalog, CatalogBenefit } from './catalog.js';
import { addInterval, addMilliseconds, type Clock } from './clock.js';
import { badRequest, invalid, notFound, notPermitted, PolarApiError } from './errors.js';
import {
  activationJson,
  benefitJson,
  checkoutJson,
  customerJson,
  customerStateJson,
  discountAmount,
  grantJson,
  licenseKeyJson,
  type ObjectContext,
  orderJson,
  productJson,
  refundJson,
  subscriptionJson,
} from './objects.js';
import {
  type ActivationRecord,
  type BenefitRecord,
  type CardBehaviour,
  type CheckoutRecord,
  type CustomerRecord,
  type DiscountRecord,
  emptyState,
  type GrantRecord,
  type LicenseKeyRecord,
  type Metadata,
  type OrderRecord,
  type Organization,
  type ProductRecord,
  type SessionRecord,
  type State,
  type SubscriptionRecord,
} from './records.js';

export type StoreOptions = {
  organization: Organization;
  clock: Clock;
  publicUrl: () => string;
  /** Where webhook events go (the dispatcher's `emit`). */
  emit: (type: string, data: object) => void;
  catalog: Catalog;
};

export type CheckoutCreateInput = {
  products: string[];
  customer_email?: string | null;
  customer_name?: string | null;
  external_customer_id?: string | null;
  customer_id?: string | null;
  metadata?: Metadata;
  customer_metadata?: Metadata;
  success_url?: string | null;
  return_url?: string | null;
  embed_origin?: string | null;
  amount?: number | null;
  discount_id?: string | null;
  allow_discount_codes?: boolean;
  require_billing_address?: boolean;
  allow_trial?: boolean | null;
  is_business_customer?: boolean;
  customer_billing_address?: { country: string } | null;
  locale?: string | null;
};

export type CardInput = {
  number: string;
  exp_month: number;
  exp_year: number;
  cvc: string;
  name?: string | null;
};

export type ConfirmInput = {
  customer_email?: string | null;
  customer_name?: string | null;
  amount?: number | null;
  card?: CardInput | null;
  discount_code?: string | null;
};

export type CustomerInput = {
  email: string;
  name?: string | null;
  external_id?: string | null;
  metadata?: Metadata;
  billing_address?: { country: string } | null;
};

export type EventInput = {
  name: string;
  customer_id?: string | null;
  external_customer_id?: string | null;
  external_id?: string | null;
  timestamp?: string | null;
  metadata?: Record<string, unknown>;
};

export type LicenseKeyScope = { customerId?: string };

/** The test cards of DESIGN.md, by number. */
export const TEST_CARDS = {
  pays: '4242424242424242',
  declined: '4000000000000002',
  authentication: '4000002500003155',
  failsRenewals: '4000000000000341',
} as const;

const CHECKOUT_TTL_MS = 60 * 60 * 1000;
const SESSION_TTL_MS = 60 * 60 * 1000;

export type EmulatorStore = ReturnType<typeof createStore>;

/** Creates the state and the domain actions over it. */
export function createStore(options: StoreOptions) {
  const { organization: org, clock } = options;
  let state: State = emptyState();
  let muted: Map<string, object> | null = null;
  /** The earliest time at which something may expire or renew; ticks before it have nothing to do. */
  let nextDue = 0;
  /** Moves on with every change of the state (see `revision()` below). */
  let revision = 0;

  const ctx: ObjectContext = {
    org,
    get state() {
      return state;
    },
    publicUrl: options.publicUrl,
  };

  /** A fresh timestamp for a change: every change stamps one, which also marks the state as changed. */
  const now = () => {
    revision += 1;
    return clock.timestamp();
  };
  const emit = (type: string, data: object) => {
    revision += 1;
    if (muted) muted.set(type, data);
    else options.emit(type, data);
  };

  // ---------- lookups ----------
  const product = (id: string) => state.products.find((p) => p.id === id);
  const customer = (id: string) => state.customers.find((c) => c.id === id && c.deleted_at === null);
  const customerByExternal = (ext: string) =>
    state.customers.find((c) => c.external_id === ext && c.deleted_at === null);
  const customerByEmail = (email: string) =>
    state.customers.find((c) => c.email.toLowerCase() === email.toLowerCase() && c.deleted_at === null);

  function requireCustomer(id: string): CustomerRecord {
    const c = customer(id);
    if (!c) throw notFound('Customer not found.');
    return c;
  }
  function requireProduct(id: string): ProductRecord {
    const p = product(id);
    if (!p) throw notFound('Product not found.');
    return p;
  }
  function requireOrder(id: string): OrderRecord {
    const o = state.orders.find((x) => x.id === id);
    if (!o) throw notFound('Order not found.');
    return o;
  }
  function requireSubscription(id: string): SubscriptionRecord {
    const s = state.subscriptions.find((x) => x.id === id);
    if (!s) throw notFound('Subscription not found.');
    return s;
  }

  // ---------- catalogue ----------
  function loadCatalog(catalog: Catalog, emitEvents: boolean): void {
    const at = now();
    const seen = new Set<string>();
    const benefitIds = new Map<string, string>();
    for (const [index, input] of catalog.products.entries()) {
      const id = input.id ?? deterministicId(`product:${input.name}:${index}`);
      seen.add(id);
      const benefits = input.benefits.map((b) => upsertBenefit(b, at, benefitIds));
      const existing = product(id);
      const priceId = existing?.prices[0]?.id ?? deterministicId(`price:${id}`);
      const price =
        input.price.type === 'fixed'
          ? {
              id: priceId,
              created_at: existing?.prices[0]?.created_at ?? at,
              product_id: id,
              amount_type: 'fixed' as const,
              price_currency: input.currency,
              price_amount: input.price.amount,
              minimum_amount: 0,
              maximum_amount: null,
              preset_amount: null,
              is_archived: false,
            }
          : {
              id: priceId,
              created_at: existing?.prices[0]?.created_at ?? at,
              product_id: id,
              amount_type: 'custom' as const,
              price_currency: input.currency,
              price_amount: 0,
              minimum_amount: input.price.minimum_amount,
              maximum_amount: input.price.maximum_amount ?? null,
              preset_amount: input.price.preset_amount ?? null,
              is_archived: false,
            };
      const record: ProductRecord = {
        id,
        created_at: existing?.created_at ?? at,
        modified_at: existing ? at : null,
        name: input.name,
        description: input.description ?? null,
        visibility: input.visibility,
        recurring_interval: input.recurring_interval ?? null,
        recurring_interval_count: input.recurring_interval ? (input.recurring_interval_count ?? 1) : null,
        is_archived: input.is_archived,
        metadata: input.metadata,
        prices: [price],
        benefit_ids: benefits,
      };
      if (existing) Object.assign(existing, record);
      else state.products.push(record);
      if (emitEvents) emit(existing ? 'product.updated' : 'product.created', productJson(record, ctx));
    }
    for (const p of state.products) {
      if (!seen.has(p.id) && !p.is_archived) {
        p.is_archived = true;
        p.modified_at = at;
        if (emitEvents) emit('product.updated', productJson(p, ctx));
      }
    }
    state.discounts = catalog.discounts.map((d, i): DiscountRecord => ({
      id: d.id ?? deterministicId(`discount:${d.name}:${i}`),
      created_at: at,
      name: d.name,
      code: d.code ?? null,
      type: d.type,
      basis_points: d.type === 'percentage' ? d.basis_points : null,
      amount: d.type === 'fixed' ? d.amount : null,
      currency: d.type === 'fixed' ? d.currency : null,
      duration: d.duration,
      duration_in_months: d.duration_in_months ?? null,
    }));
  }

  function upsertBenefit(input: CatalogBenefit, at: string, ids: Map<string, string>): string {
    const id =
      input.id ??
      ids.get(`${input.type}:${input.description}`) ??
      deterministicId(`benefit:${input.type}:${input.description}`);
    ids.set(`${input.type}:${input.description}`, id);
    const properties =
      input.type === 'custom'
        ? { note: input.note ?? null }
        : {
            prefix: input.prefix ?? null,
            expires: input.expires ?? null,
            activations: input.activation_limit
              ? { limit: input.activation_limit, enable_customer_admin: true }
              : null,
            limit_usage: input.limit_usage ?? null,
          };
    const record: BenefitRecord = {
      id,
      created_at: at,
      modified_at: null,
      type: input.type,
      description: input.description,
      metadata: input.metadata ?? {},
      properties,
    };
    const existing = state.benefits.find((b) => b.id === id);
    if (existing) Object.assign(existing, { ...record, created_at: existing.created_at });
    else state.benefits.push(record);
    return id;
  }

  // ---------- clock-driven changes ----------
  /** Applies what time has made due: checkout expiry, subscription renewals and period ends. */
  function tick(): void {
    const t = clock.now().getTime();
    if (t < nextDue) return;
    for (const c of state.checkouts) {
      if (c.status === 'open' && Date.parse(c.expires_at) <= t) {
        c.status = 'expired';
        c.modified_at = now();
        emit('checkout.expired', checkoutJson(c, ctx));
      }
    }
    for (const s of state.subscriptions) {
      for (let i = 0; i < 120; i++) {
        if (!(s.status === 'active' || s.status === 'past_due' || s.status === 'trialing')) break;
        if (Date.parse(s.current_period_end) > t) break;
        if (s.cancel_at_period_end) endSubscription(s, s.current_period_end);
        else renewSubscription(s);
      }
    }
    nextDue = Infinity;
    for (const c of state.checkouts) if (c.status === 'open') noteDeadline(c.expires_at);
    for (const s of state.subscriptions) {
      if (s.status === 'active' || s.status === 'past_due' || s.status === 'trialing')
        noteDeadline(s.current_period_end);
    }
  }

  /** Makes the next {@link tick} look at the records again once `iso` has passed. */
  function noteDeadline(iso: string): void {
    nextDue = Math.min(nextDue, Date.parse(iso));
  }

  // ---------- checkouts ----------
  function createCheckout(input: CheckoutCreateInput): CheckoutRecord {
    if (input.products.length === 0) throw invalid(['body', 'products'], 'At least one product is required.');
    const products = input.products.map((id, i) => {
      const p = product(id);
      if (!p || p.is_archived)
        throw invalid(['body', 'products', i], 'Product does not exist or is archived.');
      return p;
    });
    const first = products[0]!;
    const price = first.prices.find((p) => !p.is_archived)!;
    let linked: CustomerRecord | undefined;
    if (input.customer_id) {
      linked = customer(input.customer_id);
      if (!linked) throw invalid(['body', 'customer_id'], 'Customer does not exist.');
    } else if (input.external_customer_id) {
      linked = customerByExternal(input.external_customer_id);
    }
    let discountId: string | null = null;
    if (input.discount_id) {
      if (!state.discounts.some((d) => d.id === input.discount_id))
        throw invalid(['body', 'discount_id'], 'Discount does not exist.');
      discountId = input.discount_id;
    }
    const amount = chooseAmount(price, input.amount ?? null, ['body', 'amount']);
    const id = randomUUID();
    const at = now();
    const record: CheckoutRecord = {
      id,
      created_at: at,
      modified_at: null,
      status: 'open',
      client_secret: `polar_c_${token(24)}`,
      expires_at: addMilliseconds(at, CHECKOUT_TTL_MS),
      success_url: input.success_url ? substituteCheckoutId(input.success_url, id) : null,
      return_url: input.return_url ?? null,
      embed_origin: input.embed_origin ?? null,
      product_ids: products.map((p) => p.id),
      product_id: first.id,
      product_price_id: price.id,
      amount,
      currency: price.price_currency,
      discount_id: discountId,
      customer_id: linked?.id ?? null,
      external_customer_id: input.external_customer_id ?? linked?.external_id ?? null,
      customer_email: input.customer_email ?? linked?.email ?? null,
      customer_name: input.customer_name ?? linked?.name ?? null,
      customer_billing_address: input.customer_billing_address ?? null,
      is_business_customer: input.is_business_customer ?? false,
      locale: input.locale ?? 'en',
      allow_discount_codes: input.allow_discount_codes ?? true,
      require_billing_address: input.require_billing_address ?? false,
      allow_trial: input.allow_trial ?? true,
      metadata: input.metadata ?? {},
      customer_metadata: input.customer_metadata ?? {},
      payment_processor_metadata: {},
      subscription_id: null,
      order_id: null,
      pending_card: null,
    };
    state.checkouts.push(record);
    noteDeadline(record.expires_at);
    emit('checkout.created', checkoutJson(record, ctx));
    return record;
  }

  function checkoutById(id: string): CheckoutRecord {
    const c = state.checkouts.find((x) => x.id === id);
    if (!c) throw notFound('Checkout not found.');
    return c;
  }

  /** The checkout a client secret opens; 404 unknown, 410 once expired. */
  function checkoutByClientSecret(secret: string): CheckoutRecord {
    const c = state.checkouts.find((x) => x.client_secret === secret);
    if (!c) throw notFound('Checkout not found.');
    if (c.status === 'expired')
      throw new PolarApiError(410, 'ExpiredCheckoutError', 'This checkout session has expired.');
    return c;
  }

  /** A checkout by id or client secret (the control API accepts both). */
  function checkoutByIdOrSecret(key: string): CheckoutRecord {
    return key.startsWith('polar_c_') ? checkoutByClientSecret(key) : checkoutById(key);
  }

  function requireOpen(c: CheckoutRecord): void {
    if (c.status === 'expired')
      throw new PolarApiError(410, 'ExpiredCheckoutError', 'This checkout session has expired.');
    if (c.status !== 'open') throw notPermitted(`This checkout is ${c.status}, not open.`, 'NotOpenCheckout');
  }

  function updateCheckoutClient(
    secret: string,
    patch: {
      customer_email?: string | null;
      customer_name?: string | null;
      amount?: number | null;
      product_id?: string | null;
      discount_code?: string | null;
    },
  ): CheckoutRecord {
    const c = checkoutByClientSecret(secret);
    requireOpen(c);
    applyCheckoutPatch(c, patch);
    c.modified_at = now();
    emit('checkout.updated', checkoutJson(c, ctx));
    return c;
  }

  function applyCheckoutPatch(
    c: CheckoutRecord,
    patch: {
      customer_email?: string | null;
      customer_name?: string | null;
      amount?: number | null;
      product_id?: string | null;
      discount_code?: string | null;
    },
  ): void {
    if (patch.product_id) {
      if (!c.product_ids.includes(patch.product_id))
        throw invalid(['body', 'product_id'], "Product is not one of this checkout's products.");
      const p = requireProduct(patch.product_id);
      const price = p.prices.find((x) => !x.is_archived)!;
      c.product_id = p.id;
      c.product_price_id = price.id;
      c.currency = price.price_currency;
      c.amount = chooseAmount(price, null, ['body', 'amount']);
    }
    if (patch.amount !== undefined && patch.amount !== null) {
      const price = requireProduct(c.product_id).prices.find((x) => x.id === c.product_price_id)!;
      if (price.amount_type !== 'custom')
        throw invalid(['body', 'amount'], 'Amount can only be set on a pay-what-you-want price.');
      c.amount = chooseAmount(price, patch.amount, ['body', 'amount']);
    }
    if (patch.discount_code) {
      const d = state.discounts.find((x) => x.code?.toLowerCase() === patch.discount_code!.toLowerCase());
      if (!d || !c.allow_discount_codes)
        throw invalid(['body', 'discount_code'], 'Discount code is invalid.');
      c.discount_id = d.id;
    }
    if (patch.customer_email) c.customer_email = patch.customer_email;
    if (patch.customer_name !== undefined && patch.customer_name !== null)
      c.customer_name = patch.customer_name;
  }

  function isPaymentFormRequired(c: CheckoutRecord): boolean {
    return Boolean(checkoutJson(c, ctx).is_payment_form_required);
  }

  /**
   * The hosted page's confirm: validates the buyer and card, then pays, declines or waits for the
   * authentication step, as the test card says.
   */
  function confirmCheckout(secret: string, input: ConfirmInput): CheckoutRecord {
    const c = checkoutByClientSecret(secret);
    requireOpen(c);
    const email = input.customer_email ?? c.customer_email;
    if (!email) throw invalid(['body', 'customer_email'], 'Field required', 'missing');
    if (!EMAIL.test(email))
      throw invalid(['body', 'customer_email'], 'value is not a valid email address', 'value_error', email);
    const cardOutcome = input.card ? checkCard(input.card, clock.now()) : null;
    applyCheckoutPatch(c, {
      customer_email: email,
      customer_name: input.customer_name,
      amount: input.amount,
      discount_code: input.discount_code,
    });
    let behaviour: CardBehaviour = 'pays';
    if (isPaymentFormRequired(c)) {
      if (!cardOutcome) throw invalid(['body', 'card'], 'Field required', 'missing');
      const outcome = cardOutcome;
      if (outcome === 'declined') throw badRequest('PaymentError', 'Your card was declined.');
      if (outcome === 'authentication') {
        c.status = 'confirmed';
        c.pending_card = 'pays';
        c.payment_processor_metadata = { next_action: 'authenticate' };
        c.modified_at = now();
        emit('checkout.updated', checkoutJson(c, ctx));
        return c;
      }
      behaviour = outcome;
    }
    c.status = 'confirmed';
    c.modified_at = now();
    emit('checkout.updated', checkoutJson(c, ctx));
    completeCheckout(c, behaviour);
    return c;
  }

  /** The extra authentication step of the 3155 card: approve pays, fail puts the checkout back to open. */
  function authenticateCheckout(secret: string, approve: boolean): CheckoutRecord {
    const c = checkoutByClientSecret(secret);
    if (c.status !== 'confirmed' || c.pending_card === null)
      throw notPermitted('This checkout is not waiting for card authentication.', 'NotOpenCheckout');
    const behaviour = c.pending_card;
    c.pending_card = null;
    c.payment_processor_metadata = {};
    c.modified_at = now();
    if (!approve) {
      c.status = 'open';
      noteDeadline(c.expires_at);
      emit('checkout.updated', checkoutJson(c, ctx));
      throw badRequest('PaymentError', 'Card authentication failed.');
    }
    completeCheckout(c, behaviour);
    return c;
  }

  /** The control API's pay: confirm with a test card (4242 by default) and answer the authentication step. */
  function payCheckout(
    key: string,
    input: {
      card?: Partial<CardInput> | string | null;
      customer_email?: string | null;
      customer_name?: string | null;
      authentication?: 'approve' | 'fail';
      amount?: number | null;
    },
  ): CheckoutRecord {
    const c = checkoutByIdOrSecret(key);
    const approve = (input.authentication ?? 'approve') === 'approve';
    // A checkout already waiting for the authentication step only needs the answer.
    if (c.status === 'confirmed' && c.pending_card) return authenticateCheckout(c.client_secret, approve);
    const given = typeof input.card === 'string' ? { number: input.card } : (input.card ?? {});
    const card: CardInput = {
      number: given.number ?? TEST_CARDS.pays,
      exp_month: given.exp_month ?? 12,
      exp_year: given.exp_year ?? clock.now().getUTCFullYear() + 3,
      cvc: given.cvc ?? '123',
      name: input.customer_name ?? 'Test Buyer',
    };
    const paid = confirmCheckout(c.client_secret, {
      customer_email:
        input.customer_email ?? c.customer_email ?? `buyer-${token(6).toLowerCase()}@example.com`,
      customer_name: input.customer_name ?? c.customer_name ?? 'Test Buyer',
      amount: input.amount,
      card,
    });
    if (paid.status === 'confirmed' && paid.pending_card)
      return authenticateCheckout(c.client_secret, approve);
    return paid;
  }

  /** Creates the customer, subscription, order, grants and license keys of a paid checkout. */
  function completeCheckout(c: CheckoutRecord, card: CardBehaviour): void {
    const at = now();
    const p = requireProduct(c.product_id);
    const cust = findOrCreateCustomer(c);
    const discount = c.discount_id ? state.discounts.find((d) => d.id === c.discount_id) : undefined;
    const discountAmt = discountAmount(discount, c.amount);
    let sub: SubscriptionRecord | null = null;
    if (p.recurring_interval) {
      sub = {
        id: randomUUID(),
        created_at: at,
        modified_at: null,
        status: 'active',
        amount: c.amount - discountAmt,
        currency: c.currency,
        recurring_interval: p.recurring_interval,
        recurring_interval_count: p.recurring_interval_count ?? 1,
        current_period_start: at,
        current_period_end: addInterval(at, p.recurring_interval, p.recurring_interval_count ?? 1),
        cancel_at_period_end: false,
        canceled_at: null,
        started_at: at,
        ends_at: null,
        ended_at: null,
        past_due_at: null,
        customer_id: cust.id,
        product_id: p.id,
        product_price_id: c.product_price_id,
        discount_id: c.discount_id,
        checkout_id: c.id,
        metadata: { ...c.metadata },
        customer_cancellation_reason: null,
        customer_cancellation_comment: null,
        card,
      };
      state.subscriptions.push(sub);
      noteDeadline(sub.current_period_end);
      emit('subscription.created', subscriptionJson(sub, ctx));
    }
    const order = newOrder({
      billing_reason: sub ? 'subscription_create' : 'purchase',
      customer: cust,
      product_id: p.id,
      product_price_id: c.product_price_id,
      subscription: sub,
      checkout_id: c.id,
      discount_id: c.discount_id,
      subtotal: c.amount,
      discount: discountAmt,
      currency: c.currency,
      metadata: { ...c.metadata },
      period: sub ? [sub.current_period_start, sub.current_period_end] : null,
    });
    payOrder(order);
    if (sub) {
      emit('subscription.active', subscriptionJson(sub, ctx));
      emit('subscription.updated', subscriptionJson(sub, ctx));
    }
    c.status = 'succeeded';
    c.customer_id = cust.id;
    c.subscription_id = sub?.id ?? null;
    c.order_id = order.id;
    c.modified_at = now();
    emit('checkout.updated', checkoutJson(c, ctx));
    for (const benefitId of p.benefit_ids) grantBenefit(cust, benefitId, order.id, sub?.id ?? null);
    emit('customer.state_changed', customerStateJson(cust, ctx));
  }

  function findOrCreateCustomer(c: CheckoutRecord): CustomerRecord {
    const existing =
      (c.customer_id ? customer(c.customer_id) : undefined) ??
      (c.external_customer_id ? customerByExternal(c.external_customer_id) : undefined) ??
      (c.customer_email ? customerByEmail(c.customer_email) : undefined);
    if (existing) {
      let changed = false;
      if (!existing.name && c.customer_name) {
        existing.name = c.customer_name;
        changed = true;
      }
      if (!existing.external_id && c.external_customer_id) {
        existing.external_id = c.external_customer_id;
        changed = true;
      }
      if (Object.keys(c.customer_metadata).length > 0) {
        existing.metadata = { ...existing.metadata, ...c.customer_metadata };
        changed = true;
      }
      if (changed) {
        existing.modified_at = now();
        emit('customer.updated', customerJson(existing, org));
      }
      return existing;
    }
    const created: CustomerRecord = {
      id: randomUUID(),
      created_at: now(),
      modified_at: null,
      email: c.customer_email ?? `customer-${token(6).toLowerCase()}@example.com`,
      email_verified: false,
      name: c.customer_name,
      external_id: c.external_customer_id,
      metadata: { ...c.customer_metadata },
      billing_address: c.customer_billing_address ?? { country: 'US' },
      deleted_at: null,
    };
    state.customers.push(created);
    emit('customer.created', customerJson(created, org));
    return created;
  }

  function newOrder(input: {
    billing_reason: OrderRecord['billing_reason'];
    customer: CustomerRecord;
    product_id: string;
    product_price_id: string;
    subscription: SubscriptionRecord | null;
    checkout_id: string | null;
    discount_id: string | null;
    subtotal: number;
    discount: number;
    currency: string;
    metadata: Metadata;
    period: [string, string] | null;
  }): OrderRecord {
    state.invoiceSeq += 1;
    const order: OrderRecord = {
      id: randomUUID(),
      created_at: now(),
      modified_at: null,
      status: 'pending',
      billing_reason: input.billing_reason,
      customer_id: input.customer.id,
      product_id: input.product_id,
      product_price_id: input.product_price_id,
      subscription_id: input.subscription?.id ?? null,
      checkout_id: input.checkout_id,
      discount_id: input.discount_id,
      subtotal_amount: input.subtotal,
      discount_amount: input.discount,
      tax_amount: 0,
      refunded_amount: 0,
      currency: input.currency,
      billing_name: input.customer.name,
      invoice_number: `${org.slug.toUpperCase().replace(/[^A-Z0-9]+/g, '')}-${String(state.invoiceSeq).padStart(4, '0')}`,
      metadata: input.metadata,
      period_start: input.period?.[0] ?? null,
      period_end: input.period?.[1] ?? null,
    };
    state.orders.push(order);
    emit('order.created', orderJson(order, ctx));
    return order;
  }

  function payOrder(order: OrderRecord): void {
    order.status = 'paid';
    order.modified_at = now();
    emit('order.paid', orderJson(order, ctx));
    emit('order.updated', orderJson(order, ctx));
  }

  function grantBenefit(
    cust: CustomerRecord,
    benefitId: string,
    orderId: string | null,
    subscriptionId: string | null,
  ): void {
    const benefit = state.benefits.find((b) => b.id === benefitId);
    if (!benefit) return;
    const at = now();
    const grant: GrantRecord = {
      id: randomUUID(),
      created_at: at,
      modified_at: null,
      granted_at: at,
      revoked_at: null,
      customer_id: cust.id,
      benefit_id: benefit.id,
      order_id: orderId,
      subscription_id: subscriptionId,
      properties: {},
    };
    if (benefit.type === 'license_keys') {
      const props = benefit.properties as {
        prefix: string | null;
        expires: { ttl: number; timeframe: 'day' | 'month' | 'year' } | null;
        activations: { limit: number } | null;
        limit_usage: number | null;
      };
      const key: LicenseKeyRecord = {
        id: randomUUID(),
        created_at: at,
        modified_at: null,
        customer_id: cust.id,
        benefit_id: benefit.id,
        grant_id: grant.id,
        key: `${props.prefix ? `${props.prefix}-` : ''}${randomUUID().toUpperCase()}`,
        status: 'granted',
        limit_activations: props.activations?.limit ?? null,
        usage: 0,
        limit_usage: props.limit_usage,
        validations: 0,
        last_validated_at: null,
        expires_at: props.expires ? addInterval(at, props.expires.timeframe, props.expires.ttl) : null,
      };
      state.licenseKeys.push(key);
      grant.properties = { license_key_id: key.id, display_key: `****-${key.key.slice(-4)}` };
    }
    state.grants.push(grant);
    emit('benefit_grant.created', grantJson(grant, ctx));
  }

  function revokeGrants(filter: (g: GrantRecord) => boolean): void {
    const at = now();
    for (const g of state.grants) {
      if (g.revoked_at || !filter(g)) continue;
      g.revoked_at = at;
      g.modified_at = at;
      for (const k of state.licenseKeys) {
        if (k.grant_id === g.id) {
          k.status = 'revoked';
          k.modified_at = at;
        }
      }
      emit('benefit_grant.revoked', grantJson(g, ctx));
    }
  }

  // ---------- subscriptions ----------
  function renewSubscription(s: SubscriptionRecord): void {
    if (!(s.status === 'active' || s.status === 'past_due' || s.status === 'trialing'))
      throw notPermitted(`This subscription is ${s.status} and cannot renew.`);
    if (s.cancel_at_period_end) {
      endSubscription(s, s.current_period_end);
      return;
    }
    const cust = requireCustomer(s.customer_id);
    const p = requireProduct(s.product_id);
    const price = p.prices.find((x) => x.id === s.product_price_id) ?? p.prices[0]!;
    const discount = s.discount_id ? state.discounts.find((d) => d.id === s.discount_id) : undefined;
    const full = price.amount_type === 'fixed' ? price.price_amount : s.amount;
    const keepsDiscount = discount !== undefined && discount.duration !== 'once';
    const discountAmt = keepsDiscount ? discountAmount(discount, full) : 0;
    const start = s.current_period_end;
    const end = addInterval(start, s.recurring_interval, s.recurring_interval_count);
    s.current_period_start = start;
    s.current_period_end = end;
    s.amount = full - discountAmt;
    if (!keepsDiscount) s.discount_id = null;
    s.modified_at = now();
    const order = newOrder({
      billing_reason: 'subscription_cycle',
      customer: cust,
      product_id: p.id,
      product_price_id: price.id,
      subscription: s,
      checkout_id: null,
      discount_id: keepsDiscount ? (discount?.id ?? null) : null,
      subtotal: full,
      discount: discountAmt,
      currency: s.currency,
      metadata: { ...s.metadata },
      period: [start, end],
    });
    if (s.card === 'fails_renewals' && order.subtotal_amount - order.discount_amount > 0) {
      markPastDue(s);
      return;
    }
    payOrder(order);
    const wasPastDue = s.status === 'past_due';
    if (s.status !== 'active' || s.past_due_at !== null) {
      // Paid after a trial or past due: a new state, so a new modified_at (the order events carried the old).
      s.status = 'active';
      s.past_due_at = null;
      s.modified_at = now();
    }
    emit('subscription.updated', subscriptionJson(s, ctx));
    if (wasPastDue) emit('subscription.active', subscriptionJson(s, ctx));
    emit('customer.state_changed', customerStateJson(cust, ctx));
  }

  function markPastDue(s: SubscriptionRecord): void {
    if (s.status !== 'active' && s.status !== 'trialing' && s.status !== 'past_due')
      throw notPermitted(`This subscription is ${s.status}.`);
    const at = now();
    s.status = 'past_due';
    s.past_due_at = at;
    s.modified_at = at;
    emit('subscription.updated', subscriptionJson(s, ctx));
    emit('subscription.past_due', subscriptionJson(s, ctx));
    emit('customer.state_changed', customerStateJson(requireCustomer(s.customer_id), ctx));
  }

  /** Cancels at period end: access continues until `current_period_end`. */
  function cancelSubscription(
    s: SubscriptionRecord,
    reason: {
      customer_cancellation_reason?: string | null;
      customer_cancellation_comment?: string | null;
    } = {},
  ): void {
    if (s.status === 'canceled' || s.ended_at)
      throw notPermitted('This subscription is already canceled.', 'AlreadyCanceledSubscription');
    if (s.cancel_at_period_end)
      throw notPermitted(
        'This subscription is already set to cancel at period end.',
        'AlreadyCanceledSubscription',
      );
    const at = now();
    s.cancel_at_period_end = true;
    s.canceled_at = at;
    s.ends_at = s.current_period_end;
    s.customer_cancellation_reason = reason.customer_cancellation_reason ?? s.customer_cancellation_reason;
    s.customer_cancellation_comment = reason.customer_cancellation_comment ?? s.customer_cancellation_comment;
    s.modified_at = at;
    emit('subscription.updated', subscriptionJson(s, ctx));
    emit('subscription.canceled', subscriptionJson(s, ctx));
    emit('customer.state_changed', customerStateJson(requireCustomer(s.customer_id), ctx));
  }

  function uncancelSubscription(s: SubscriptionRecord): void {
    if (s.status === 'canceled' || s.ended_at)
      throw notPermitted(
        'This subscription has ended and cannot be uncanceled.',
        'AlreadyCanceledSubscription',
      );
    if (!s.cancel_at_period_end) return;
    s.cancel_at_period_end = false;
    s.canceled_at = null;
    s.ends_at = null;
    s.customer_cancellation_reason = null;
    s.customer_cancellation_comment = null;
    s.modified_at = now();
    emit('subscription.updated', subscriptionJson(s, ctx));
    emit('subscription.uncanceled', subscriptionJson(s, ctx));
    emit('customer.state_changed', customerStateJson(requireCustomer(s.customer_id), ctx));
  }

  /** Ends access now (or at `endedAt`): status `canceled`, benefits revoked. */
  function endSubscription(s: SubscriptionRecord, endedAt: string = now()): void {
    if (s.status === 'canceled' || s.ended_at)
      throw notPermitted('This subscription is already canceled.', 'AlreadyCanceledSubscription');
    const wasCanceled = s.cancel_at_period_end;
    s.status = 'canceled';
    s.canceled_at = s.canceled_at ?? endedAt;
    s.ends_at = endedAt;
    s.ended_at = endedAt;
    s.modified_at = now();
    emit('subscription.updated', subscriptionJson(s, ctx));
    if (!wasCanceled) emit('subscription.canceled', subscriptionJson(s, ctx));
    emit('subscription.revoked', subscriptionJson(s, ctx));
    revokeGrants((g) => g.subscription_id === s.id);
    emit('customer.state_changed', customerStateJson(requireCustomer(s.customer_id), ctx));
  }

  // ---------- refunds ----------
  function refundOrder(input: {
    order_id: string;
    amount?: number | null;
    reason?: string;
    revoke_benefits?: boolean;
    comment?: string | null;
    metadata?: Metadata;
  }) {
    const order = state.orders.find((o) => o.id === input.order_id);
    if (!order) throw invalid(['body', 'order_id'], 'Order does not exist.');
    if (order.status === 'refunded')
      throw notPermitted('This order is already fully refunded.', 'RefundedAlready');
    if (order.status !== 'paid' && order.status !== 'partially_refunded')
      throw notPermitted('Only paid orders can be refunded.');
    const refundable = order.subtotal_amount - order.discount_amount - order.refunded_amount;
    const amount = input.amount ?? refundable;
    if (!Number.isInteger(amount) || amount <= 0 || amount > refundable)
      throw invalid(['body', 'amount'], `Amount must be between 1 and ${refundable}.`, 'value_error', amount);
    const at = now();
    const refund = {
      id: randomUUID(),
      created_at: at,
      modified_at: null,
      status: 'succeeded' as const,
      reason: input.reason ?? 'customer_request',
      amount,
      tax_amount: 0,
      currency: order.currency,
      order_id: order.id,
      subscription_id: order.subscription_id,
      customer_id: order.customer_id,
      revoke_benefits: input.revoke_benefits ?? false,
      metadata: input.metadata ?? {},
    };
    state.refunds.push(refund);
    order.refunded_amount += amount;
    order.status = amount === refundable ? 'refunded' : 'partially_refunded';
    order.modified_at = at;
    emit('refund.created', refundJson(refund, org));
    emit('order.refunded', orderJson(order, ctx));
    emit('order.updated', orderJson(order, ctx));
    if (refund.revoke_benefits) {
      const sub = order.subscription_id
        ? state.subscriptions.find((s) => s.id === order.subscription_id)
        : undefined;
      if (sub && sub.status !== 'canceled') endSubscription(sub);
      else {
        revokeGrants((g) => g.order_id === order.id);
        emit('customer.state_changed', customerStateJson(requireCustomer(order.customer_id), ctx));
      }
    }
    return refund;
  }

  // ---------- customers ----------
  function createCustomer(input: CustomerInput): CustomerRecord {
    if (customerByEmail(input.email)) throw customerExists('email', input.email);
    if (input.external_id && customerByExternal(input.external_id))
      throw customerExists('external_id', input.external_id);
    const c: CustomerRecord = {
      id: randomUUID(),
      created_at: now(),
      modified_at: null,
      email: input.email,
      email_verified: false,
      name: input.name ?? null,
      external_id: input.external_id ?? null,
      metadata: input.metadata ?? {},
      billing_address: input.billing_address ?? null,
      deleted_at: null,
    };
    state.customers.push(c);
    emit('customer.created', customerJson(c, org));
    return c;
  }

  function updateCustomer(c: CustomerRecord, patch: Partial<CustomerInput>): CustomerRecord {
    if (patch.email && patch.email.toLowerCase() !== c.email.toLowerCase() && customerByEmail(patch.email))
      throw customerExists('email', patch.email);
    if (patch.external_id !== undefined && patch.external_id !== c.external_id) {
      if (c.external_id !== null)
        throw invalid(
          ['body', 'external_id'],
          'External ID cannot be updated once set.',
          'value_error',
          patch.external_id,
        );
      if (patch.external_id && customerByExternal(patch.external_id))
        throw customerExists('external_id', patch.external_id);
      c.external_id = patch.external_id ?? null;
    }
    if (patch.email) {
      c.email = patch.email;
      c.email_verified = false;
    }
    if (patch.name !== undefined) c.name = patch.name ?? null;
    if (patch.metadata !== undefined) c.metadata = patch.metadata;
    if (patch.billing_address !== undefined) c.billing_address = patch.billing_address ?? null;
    c.modified_at = now();
    emit('customer.updated', customerJson(c, org));
    emit('customer.state_changed', customerStateJson(c, ctx));
    return c;
  }

  function deleteCustomer(c: CustomerRecord): void {
    for (const s of state.subscriptions) {
      if (s.customer_id === c.id && s.status !== 'canceled') endSubscription(s);
    }
    revokeGrants((g) => g.customer_id === c.id);
    c.deleted_at = now();
    c.modified_at = c.deleted_at;
    emit('customer.deleted', customerJson(c, org));
  }

  // ---------- customer sessions ----------
  function createSession(input: {
    customer_id?: string | null;
    external_customer_id?: string | null;
    return_url?: string | null;
  }): SessionRecord {
    let c: CustomerRecord | undefined;
    if (input.customer_id) {
      c = customer(input.customer_id);
      if (!c)
        throw invalid(['body', 'customer_id'], 'Customer does not exist.', 'value_error', input.customer_id);
    } else if (input.external_customer_id) {
      c = customerByExternal(input.external_customer_id);
      if (!c)
        throw invalid(
          ['body', 'external_customer_id'],
          'Customer does not exist.',
          'value_error',
          input.external_customer_id,
        );
    } else {
      throw invalid(
        ['body', 'customer_id'],
        'Either customer_id or external_customer_id is required.',
        'missing',
      );
    }
    const at = now();
    const session: SessionRecord = {
      id: randomUUID(),
      created_at: at,
      token: `polar_cst_${token(32)}`,
      customer_id: c.id,
      expires_at: addMilliseconds(at, SESSION_TTL_MS),
      return_url: input.return_url ?? null,
    };
    state.sessions.push(session);
    return session;
  }

  /** The customer a portal bearer token belongs to, or undefined (unknown or expired token). */
  function sessionCustomer(tokenValue: string): CustomerRecord | undefined {
    const s = state.sessions.find((x) => x.token === tokenValue);
    if (!s || Date.parse(s.expires_at) <= clock.now().getTime()) return undefined;
    return customer(s.customer_id);
  }

  // ---------- events ----------
  function ingestEvents(events: EventInput[]): { inserted: number; duplicates: number } {
    events.forEach((e, i) => {
      if (!e.customer_id && !e.external_customer_id)
        throw invalid(
          ['body', 'events', i, 'customer_id'],
          'Either customer_id or external_customer_id is required.',
          'missing',
        );
      if (e.customer_id && !customer(e.customer_id))
        throw invalid(
          ['body', 'events', i, 'customer_id'],
          'Customer does not exist.',
          'value_error',
          e.customer_id,
        );
    });
    const seen = new Set(state.events.flatMap((e) => (e.external_id ? [e.external_id] : [])));
    let inserted = 0;
    let duplicates = 0;
    const at = now();
    for (const e of events) {
      if (e.external_id && seen.has(e.external_id)) {
        duplicates++;
        continue;
      }
      if (e.external_id) seen.add(e.external_id);
      state.events.push({
        id: randomUUID(),
        created_at: at,
        timestamp: e.timestamp ? new Date(e.timestamp).toISOString() : at,
        name: e.name,
        customer_id: e.customer_id ?? customerByExternal(e.external_customer_id ?? '')?.id ?? null,
        external_customer_id: e.external_customer_id ?? null,
        external_id: e.external_id ?? null,
        metadata: e.metadata ?? {},
      });
      inserted++;
    }
    return { inserted, duplicates };
  }

  // ---------- license keys ----------
  function findKey(key: string, scope: LicenseKeyScope): LicenseKeyRecord {
    const k = state.licenseKeys.find((x) => x.key === key);
    if (!k || (scope.customerId && k.customer_id !== scope.customerId))
      throw notFound('License key not found.');
    return k;
  }

  function assertUsable(k: LicenseKeyRecord): void {
    if (k.status !== 'granted') throw notPermitted(`License key is ${k.status}.`);
    if (k.expires_at && Date.parse(k.expires_at) <= clock.now().getTime())
      throw notPermitted('License key has expired.');
  }

  function validateLicenseKey(input: {
    key: string;
    activation_id?: string | null;
    benefit_id?: string | null;
    customer_id?: string | null;
    increment_usage?: number | null;
    conditions?: Metadata;
  }) {
    const k = findKey(input.key, {});
    if (k.status !== 'granted') throw notFound('License key not found.');
    if (input.benefit_id && input.benefit_id !== k.benefit_id) throw notFound('License key not found.');
    if (input.customer_id && input.customer_id !== k.customer_id) throw notFound('License key not found.');
    if (k.expires_at && Date.parse(k.expires_at) <= clock.now().getTime())
      throw notFound('License key has expired.');
    let activation: ActivationRecord | undefined;
    if (input.activation_id) {
      activation = state.activations.find((a) => a.id === input.activation_id && a.license_key_id === k.id);
      if (!activation) throw notFound('License key activation not found.');
      for (const [name, value] of Object.entries(input.conditions ?? {})) {
        if (activation.conditions[name] !== value)
          throw notFound('License key activation does not match the conditions.');
      }
    }
    if (input.increment_usage) {
      if (k.limit_usage !== null && k.usage + input.increment_usage > k.limit_usage)
        throw badRequest('BadRequest', `License key only has ${k.limit_usage - k.usage} more usages.`);
      k.usage += input.increment_usage;
    }
    k.validations += 1;
    k.last_validated_at = now();
    k.modified_at = k.last_validated_at;
    return {
      ...licenseKeyJson(k, ctx),
      activation: activation
        ? {
            id: activation.id,
            license_key_id: activation.license_key_id,
            label: activation.label,
            meta: activation.meta,
            created_at: activation.created_at,
            modified_at: activation.modified_at,
          }
        : null,
    };
  }

  function activateLicenseKey(input: { key: string; label: string; conditions?: Metadata; meta?: Metadata }) {
    const k = findKey(input.key, {});
    assertUsable(k);
    if (k.limit_activations === null) throw notPermitted('This license key does not support activations.');
    const count = state.activations.filter((a) => a.license_key_id === k.id).length;
    if (count >= k.limit_activations) throw notPermitted('License key activation limit already reached.');
    const a: ActivationRecord = {
      id: randomUUID(),
      created_at: now(),
      modified_at: null,
      license_key_id: k.id,
      label: input.label,
      meta: input.meta ?? {},
      conditions: input.conditions ?? {},
    };
    state.activations.push(a);
    return activationJson(a, k, ctx);
  }

  function deactivateLicenseKey(input: { key: string; activation_id: string }): void {
    const k = findKey(input.key, {});
    const index = state.activations.findIndex(
      (a) => a.id === input.activation_id && a.license_key_id === k.id,
    );
    if (index < 0) throw notFound('License key activation not found.');
    state.activations.splice(index, 1);
    revision += 1;
  }

  // ---------- trigger ----------
  /**
   * Sends one event of `type` with realistic data. What the event needs (customer, order, subscription) is
   * created silently first, through the same domain actions, so the event's objects exist on every path.
   */
  function trigger(type: string): object {
    const recipe = TRIGGERS[type];
    if (!recipe) {
      throw invalid(
        ['body', 'type'],
        `Unsupported event type. Supported: ${Object.keys(TRIGGERS).join(', ')}.`,
        'value_error',
        type,
      );
    }
    const captured = new Map<string, object>();
    muted = captured;
    try {
      recipe();
    } finally {
      muted = null;
    }
    const data = captured.get(type);
    if (!data) throw new Error(`trigger ${type}: the recipe did not produce the event`);
    emit(type, data);
    return data;
  }

  function demoProduct(recurring: boolean): ProductRecord {
    const p =
      state.products.find(
        (x) => !x.is_archived && (x.recurring_interval !== null) === recurring && paidPrice(x),
      ) ?? state.products.find((x) => !x.is_archived && (x.recurring_interval !== null) === recurring);
    if (!p)
      throw notPermitted(
        `The catalog has no ${recurring ? 'recurring' : 'one-time'} product for this event.`,
      );
    return p;
  }

  function purchase(recurring: boolean): CheckoutRecord {
    const p = demoProduct(recurring);
    const c = createCheckout({
      products: [p.id],
      customer_email: `buyer-${token(6).toLowerCase()}@example.com`,
      customer_name: 'Test Buyer',
    });
    return payCheckout(c.id, {});
  }

  const subOf = (c: CheckoutRecord) => requireSubscription(c.subscription_id!);
  const TRIGGERS: Record<string, () => void> = {
    'checkout.created': () => createCheckout({ products: [demoProduct(true).id] }),
    'checkout.updated': () => purchase(false),
    'checkout.expired': () => {
      const c = createCheckout({ products: [demoProduct(true).id] });
      c.status = 'expired';
      c.modified_at = now();
      emit('checkout.expired', checkoutJson(c, ctx));
    },
    'customer.created': () =>
      createCustomer({ email: `customer-${token(6).toLowerCase()}@example.com`, name: 'Test Customer' }),
    'customer.updated': () => {
      const c = createCustomer({ email: `customer-${token(6).toLowerCase()}@example.com` });
      updateCustomer(c, { name: 'Updated Customer' });
    },
    'customer.deleted': () =>
      deleteCustomer(createCustomer({ email: `customer-${token(6).toLowerCase()}@example.com` })),
    'customer.state_changed': () => purchase(true),
    'order.created': () => purchase(false),
    'order.paid': () => purchase(false),
    'order.updated': () => purchase(false),
    'benefit_grant.created': () => purchase(false),
    'subscription.created': () => purchase(true),
    'subscription.active': () => purchase(true),
    'subscription.updated': () => purchase(true),
    'subscription.canceled': () => cancelSubscription(subOf(purchase(true))),
    'subscription.uncanceled': () => {
      const s = subOf(purchase(true));
      cancelSubscription(s);
      uncancelSubscription(s);
    },
    'subscription.revoked': () => endSubscription(subOf(purchase(true))),
    'benefit_grant.revoked': () => endSubscription(subOf(purchase(true))),
    'subscription.past_due': () => markPastDue(subOf(purchase(true))),
    'refund.created': () => refundOrder({ order_id: purchase(false).order_id! }),
    'order.refunded': () => refundOrder({ order_id: purchase(false).order_id! }),
    'product.created': () => emit('product.created', productJson(demoProduct(true), ctx)),
    'product.updated': () => emit('product.updated', productJson(demoProduct(true), ctx)),
    'benefit.created': () => {
      const b = state.benefits[0];
      if (!b) throw notPermitted('The catalog has no benefit.');
      emit('benefit.created', benefitJson(b, org));
    },
    'benefit.updated': () => {
      const b = state.benefits[0];
      if (!b) throw notPermitted('The catalog has no benefit.');
      emit('benefit.updated', benefitJson(b, org));
    },
  };

  // ---------- whole state ----------
  function reset(catalog: Catalog): void {
    revision += 1;
    state = emptyState();
    nextDue = 0;
    loadCatalog(catalog, false);
  }

  reset(options.catalog);

  return {
    get state(): State {
      return state;
    },
    ctx,
    organization: org,
    clock,
    tick,
    reset,
    loadCatalog,
    exportState: (): State => structuredClone(state),
    importState(saved: State): void {
      revision += 1;
      state = { ...emptyState(), ...structuredClone(saved) };
      nextDue = 0;
    },
    /**
     * A number that moves on with every change the store's actions make (each stamps a time or emits an
     * event), so a saver can tell that nothing changed without comparing the whole state.
     */
    revision: () => revision,
    /** Marks the state changed, for code that edits records directly instead of through an action. */
    touch(): void {
      revision += 1;
    },
    // lookups
    product,
    requireProduct,
    customer,
    customerByExternal,
    requireCustomer,
    requireOrder,
    requireSubscription,
    // checkouts
    createCheckout,
    checkoutById,
    checkoutByClientSecret,
    checkoutByIdOrSecret,
    updateCheckoutClient,
    confirmCheckout,
    authenticateCheckout,
    payCheckout,
    // subscriptions
    renewSubscription,
    markPastDue,
    cancelSubscription,
    uncancelSubscription,
    endSubscription,
    // orders
    refundOrder,
    // customers
    createCustomer,
    updateCustomer,
    deleteCustomer,
    createSession,
    sessionCustomer,
    ingestEvents,
    // license keys
    findKey,
    validateLicenseKey,
    activateLicenseKey,
    deactivateLicenseKey,
    trigger,
    triggerTypes: () => Object.keys(TRIGGERS),
  };
}

const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

function paidPrice(p: ProductRecord): boolean {
  const price = p.prices[0];
  return price !== undefined && (price.amount_type === 'custom' || price.price_amount > 0);
}

/** The amount a checkout charges: a fixed price's amount, or the buyer's amount for a custom price. */
function chooseAmount(
  price: ProductRecord['prices'][number],
  requested: number | null,
  loc: (string | number)[],
): number {
  if (price.amount_type === 'fixed') {
    if (requested !== null && requested !== price.price_amount)
      throw invalid(loc, 'Amount can only be set on a pay-what-you-want price.', 'value_error', requested);
    return price.price_amount;
  }
  const amount = requested ?? price.preset_amount ?? price.minimum_amount;
  if (!Number.isInteger(amount) || amount < price.minimum_amount)
    throw invalid(loc, `Amount must be at least ${price.minimum_amount}.`, 'greater_than_equal', requested);
  if (price.maximum_amount !== null && amount > price.maximum_amount)
    throw invalid(loc, `Amount must be at most ${price.maximum_amount}.`, 'less_than_equal', requested);
  return amount;
}

/**
 * Checks a card like a payment processor in test mode would: 422 for data that is wrong (Luhn, expiry, CVC),
 * then the outcome of the test card.
 */
function checkCard(card: CardInput, today: Date): CardBehaviour | 'declined' | 'authentication' {
  const number = String(card.number).replace(/[\s-]/g, '');
  if (!/^\d{12,19}$/.test(number) || !luhn(number))
    throw invalid(['body', 'card', 'number'], 'Your card number is invalid.', 'value_error');
  const month = Number(card.exp_month);
  let year = Number(card.exp_year);
  if (year < 100) year += 2000;
  if (!Number.isInteger(month) || month < 1 || month > 12)
    throw invalid(['body', 'card', 'exp_month'], "Your card's expiration month is invalid.", 'value_error');
  const endOfMonth = Date.UTC(year, month, 1);
  if (!Number.isInteger(year) || endOfMonth <= today.getTime())
    throw invalid(['body', 'card', 'exp_year'], 'Your card has expired.', 'value_error');
  if (!/^\d{3,4}$/.test(String(card.cvc ?? '')))
    throw invalid(['body', 'card', 'cvc'], "Your card's security code is invalid.", 'value_error');
  if (number === TEST_CARDS.declined) return 'declined';
  if (number === TEST_CARDS.authentication) return 'authentication';
  if (number === TEST_CARDS.failsRenewals) return 'fails_renewals';
  return 'pays';
}

function luhn(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

function substituteCheckoutId(url: string, id: string): string {
  return url.replaceAll('{CHECKOUT_ID}', id).replaceAll('%7BCHECKOUT_ID%7D', id);
}

function token(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const bytes = randomBytes(length);
  let out = '';
  for (const b of bytes) out += alphabet[b % alphabet.length];
  return out;
}

/** Polar's 422 for an email or external id that another customer already has. */
function customerExists(field: 'email' | 'external_id', value: string): PolarApiError {
  const what = field === 'email' ? 'email address' : 'external ID';
  return invalid(['body', field], `A customer with this ${what} already exists.`, 'value_error', value);
}

/** A UUID v4-shaped id derived from a name, so catalogue entries without an id keep it across restarts. */
function deterministicId(name: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  const out: string[] = [];
  for (let round = 0; round < 4; round++) {
    for (const ch of `${round}:${name}`) {
      h1 = Math.imul(h1 ^ ch.charCodeAt(0), 0x01000193) >>> 0;
      h2 = Math.imul(h2 ^ ch.charCodeAt(0), 0x85ebca6b) >>> 0;
    }
    out.push(((h1 ^ h2) >>> 0).toString(16).padStart(8, '0'));
  }
  const hex = out.join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-${'89ab'[parseInt(hex[16]!, 16) % 4]}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}
