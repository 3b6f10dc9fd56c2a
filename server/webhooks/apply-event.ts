import type { Database } from 'better-sqlite3';
import { createBenefitGrantStore } from '../db/benefit-grants.js';
import { createCheckoutStore } from '../db/checkouts.js';
import { createCustomerStore } from '../db/customers.js';
import { createOrderStore } from '../db/orders.js';
import {
  PolarDataError,
  parsePolar,
  polarBenefitEventSchema,
  polarCustomerSchema,
} from '../db/polar-shapes.js';
import { createProductStore } from '../db/products.js';
import { createRefundStore } from '../db/refunds.js';
import { createSubscriptionStore } from '../db/subscriptions.js';
import type { PolarWebhookEvent } from '../polar/verify-webhook.js';

/** Every event type SDK 1.x (API 2026-10) knows (polar-reference.md 6.3). Any other type is stored and ignored. */
export const KNOWN_EVENT_TYPES = [
  'benefit.created',
  'benefit.updated',
  'benefit_grant.created',
  'benefit_grant.cycled',
  'benefit_grant.revoked',
  'benefit_grant.updated',
  'checkout.created',
  'checkout.expired',
  'checkout.updated',
  'customer.created',
  'customer.deleted',
  'customer.state_changed',
  'customer.updated',
  'customer_seat.assigned',
  'customer_seat.claimed',
  'customer_seat.revoked',
  'discount.created',
  'discount.deleted',
  'discount.updated',
  'member.created',
  'member.deleted',
  'member.updated',
  'order.created',
  'order.paid',
  'order.refunded',
  'order.updated',
  'organization.updated',
  'product.created',
  'product.updated',
  'refund.created',
  'refund.updated',
  'subscription.active',
  'subscription.canceled',
  'subscription.created',
  'subscription.cycled',
  'subscription.migrated',
  'subscription.past_due',
  'subscription.paused',
  'subscription.resumed',
  'subscription.revoked',
  'subscription.uncanceled',
  'subscription.updated',
] as const;

export type KnownEventType = (typeof KNOWN_EVENT_TYPES)[number];

const KNOWN: ReadonlySet<string> = new Set(KNOWN_EVENT_TYPES);

export function isKnownEventType(type: string): type is KnownEventType {
  return KNOWN.has(type);
}

export type EventApplier = ReturnType<typeof createEventApplier>;

/**
 * Applies webhook events to the kit's tables. `apply` is synchronous and must run inside the caller's
 * transaction, together with the record of the delivery. Every write keeps the newest state of its row
 * (by `modified_at`, then the event time), so events applied in any order, or twice, converge.
 */
export function createEventApplier(db: Database) {
  const customers = createCustomerStore(db);
  const products = createProductStore(db);
  const checkouts = createCheckoutStore(db);
  const orders = createOrderStore(db);
  const subscriptions = createSubscriptionStore(db);
  const grants = createBenefitGrantStore(db);
  const refunds = createRefundStore(db);

  /**
   * Customers and subscriptions embedded in other objects are stored when complete, so lookups work even if
   * their own events are late or lost; an incomplete embedded copy is skipped rather than failing the event.
   * An embedded copy only fills in a row that is missing or older: it never wins over the object's own event
   * with the same `modified_at`. (A sender whose clock stamps two changes with one instant would otherwise let
   * a renewal's order, still embedding the subscription `active`, undo the `past_due` of its own event.)
   */
  function embeddedCustomer(value: unknown, at: string): void {
    if (value === undefined || value === null) return;
    try {
      // `upsert` checks the shape itself (once), and writes nothing when it does not fit.
      customers.upsert(value, at, { embedded: true });
    } catch (error) {
      if (!(error instanceof PolarDataError)) throw error;
    }
  }
  function embeddedSubscription(value: unknown, at: string): void {
    if (value === undefined || value === null) return;
    try {
      subscriptions.upsert(value, at, { embedded: true });
    } catch (error) {
      if (!(error instanceof PolarDataError)) throw error;
    }
  }

  return {
    /**
     * Applies one event whose type is known; `at` is the envelope timestamp (else the delivery time).
     * @throws {PolarDataError} when `data` lacks a field the kit stores
     */
    apply(event: PolarWebhookEvent & { type: KnownEventType }, at: string): void {
      const data = event.data as Record<string, unknown> | null | undefined;
      switch (event.type) {
        case 'checkout.created':
        case 'checkout.updated':
        case 'checkout.expired':
          checkouts.upsertFromPolar(data, at);
          return;
        case 'customer.created':
        case 'customer.updated':
        case 'customer.state_changed':
          customers.upsert(data, at);
          return;
        case 'customer.deleted': {
          const customer = parsePolar(polarCustomerSchema, data, 'customer');
          customers.upsert(data, at);
          customers.markDeleted(customer.id, customer.deleted_at ?? at);
          return;
        }
        case 'order.created':
        case 'order.paid':
        case 'order.updated':
        case 'order.refunded':
          orders.upsert(data, at);
          embeddedCustomer(data?.customer, at);
          if (data?.subscription) embeddedSubscription(data.subscription, at);
          return;
        case 'subscription.created':
        case 'subscription.updated':
        case 'subscription.active':
        case 'subscription.canceled':
        case 'subscription.uncanceled':
        case 'subscription.revoked':
        case 'subscription.past_due':
        case 'subscription.cycled':
        case 'subscription.migrated':
        case 'subscription.paused':
        case 'subscription.resumed':
          subscriptions.upsert(data, at);
          embeddedCustomer(data?.customer, at);
          return;
        case 'refund.created':
        case 'refund.updated':
          refunds.upsert(data, at);
          return;
        case 'benefit_grant.created':
        case 'benefit_grant.updated':
        case 'benefit_grant.revoked':
        case 'benefit_grant.cycled':
          grants.upsert(data, at);
          embeddedCustomer(data?.customer, at);
          return;
        case 'product.created':
        case 'product.updated':
          products.upsert(data, at);
          return;
        case 'benefit.created':
        case 'benefit.updated': {
          const benefit = parsePolar(polarBenefitEventSchema, data, 'benefit');
          const described = { id: benefit.id, type: benefit.type, description: benefit.description ?? null };
          products.updateBenefit(described);
          grants.describeBenefit(described);
          return;
        }
        case 'customer_seat.assigned':
        case 'customer_seat.claimed':
        case 'customer_seat.revoked':
        case 'discount.created':
        case 'discount.deleted':
        case 'discount.updated':
        case 'member.created':
        case 'member.deleted':
        case 'member.updated':
        case 'organization.updated':
          // Known, but the kit keeps no state for them: recorded (and passed to the hooks) only.
          return;
        default: {
          const unhandled: never = event.type;
          throw new Error(`No handler for event type ${String(unhandled)}`);
        }
      }
    },
  };
}
