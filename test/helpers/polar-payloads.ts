import { readFileSync } from 'node:fs';

/**
 * Polar-shaped objects for tests, built from the verified fixtures in `test/fixtures/polar/`
 * (API version 2026-10) with per-test overrides.
 */

const FIXTURES = new URL('../fixtures/polar/', import.meta.url);

type Json = Record<string, unknown>;

function fixture(name: string): Json {
  return JSON.parse(readFileSync(new URL(`${name}.json`, FIXTURES), 'utf8')) as Json;
}

const base = {
  product: fixture('product'),
  productRecurring: fixture('product-recurring'),
  customer: fixture('customer'),
  checkout: fixture('checkout'),
  order: fixture('order'),
  subscription: fixture('subscription'),
};

export const ORGANIZATION_ID = '1dbfc517-0bbf-4301-9ba8-555ca42b9737';

function clone(value: Json): Json {
  return structuredClone(value);
}

export function polarProduct(overrides: Json = {}): Json {
  return { ...clone(base.product), ...overrides };
}

export function polarRecurringProduct(overrides: Json = {}): Json {
  return { ...clone(base.productRecurring), ...overrides };
}

export function polarCustomer(overrides: Json = {}): Json {
  return { ...clone(base.customer), ...overrides };
}

export function polarCheckout(overrides: Json = {}): Json {
  return { ...clone(base.checkout), ...overrides };
}

/** An order; `customer` is rebuilt from `customer_id`/`customerOverrides` so the two agree. */
export function polarOrder(overrides: Json = {}, customerOverrides: Json = {}): Json {
  const order = { ...clone(base.order), ...overrides };
  const customer = { ...(order.customer as Json), id: order.customer_id, ...customerOverrides };
  return { ...order, customer };
}

export function polarSubscription(overrides: Json = {}, customerOverrides: Json = {}): Json {
  const subscription = { ...clone(base.subscription), ...overrides };
  const customer = { ...(subscription.customer as Json), id: subscription.customer_id, ...customerOverrides };
  return { ...subscription, customer };
}

/** The `OrderSubscription` embedded in an order: a subscription without its nested objects. */
export function orderSubscription(subscription: Json): Json {
  const {
    customer: _c,
    product: _p,
    discount: _d,
    prices: _pr,
    meters: _m,
    pending_update: _u,
    custom_field_data: _f,
    ...rest
  } = subscription;
  return rest;
}

export function polarBenefitGrant(overrides: Json = {}): Json {
  const customer = polarCustomer();
  return {
    created_at: '2026-01-15T10:00:01Z',
    modified_at: null,
    id: '7a1f0a52-6c1d-4f43-9d55-3b8f2e6a9c10',
    granted_at: '2026-01-15T10:00:01Z',
    is_granted: true,
    revoked_at: null,
    is_revoked: false,
    subscription_id: null,
    order_id: (base.order.id as string) ?? null,
    customer_id: customer.id,
    member_id: null,
    benefit_id: '5e0c9a3b-8d2f-4e1a-b7c6-1f2e3d4c5b6a',
    error: null,
    customer,
    member: null,
    benefit: {
      id: '5e0c9a3b-8d2f-4e1a-b7c6-1f2e3d4c5b6a',
      created_at: '2026-01-15T09:00:00Z',
      modified_at: null,
      type: 'custom',
      description: 'Priority support',
      selectable: true,
      deletable: true,
      is_deleted: false,
      organization_id: ORGANIZATION_ID,
      metadata: {},
      visibility: 'public',
      properties: { note: null },
      visibility_configurable: true,
    },
    properties: {},
    previous_properties: null,
    ...overrides,
  };
}

export function polarRefund(overrides: Json = {}): Json {
  return {
    created_at: '2026-01-16T10:00:00Z',
    modified_at: null,
    id: 'e4f5a6b7-c8d9-4e0f-8a1b-2c3d4e5f6a7b',
    metadata: {},
    status: 'succeeded',
    reason: 'customer_request',
    amount: 1000,
    tax_amount: 0,
    currency: 'usd',
    organization_id: ORGANIZATION_ID,
    order_id: base.order.id,
    subscription_id: null,
    customer_id: base.order.customer_id,
    revoke_benefits: false,
    dispute: null,
    ...overrides,
  };
}

/** A webhook envelope as Polar sends it. */
export function webhookEvent(type: string, data: unknown, timestamp = '2026-01-15T10:00:05.123456Z'): Json {
  return { type, timestamp, api_version: '2026-10', data };
}
