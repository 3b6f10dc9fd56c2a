/** Orders, subscriptions and refunds (`/v1/orders/`, `/v1/subscriptions/`, `/v1/refunds/`). */
import express from 'express';
import { z } from 'zod';
import { orderJson, refundJson, subscriptionJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { bool, byList, byMetadata, date, paginate, parse } from './query.js';
import { metadataInput } from './schemas.js';

const CANCELLATION_REASONS = [
  'customer_service',
  'low_quality',
  'missing_features',
  'switched_service',
  'too_complex',
  'too_expensive',
  'unused',
  'other',
] as const;

const subscriptionUpdateBody = z.union([
  z.object({
    cancel_at_period_end: z.boolean(),
    customer_cancellation_reason: z.enum(CANCELLATION_REASONS).nullable().optional(),
    customer_cancellation_comment: z.string().nullable().optional(),
  }),
  z.object({
    revoke: z.literal(true),
    customer_cancellation_reason: z.enum(CANCELLATION_REASONS).nullable().optional(),
    customer_cancellation_comment: z.string().nullable().optional(),
  }),
]);

const refundBody = z.object({
  order_id: z.string(),
  reason: z.enum([
    'duplicate',
    'fraudulent',
    'customer_request',
    'service_disruption',
    'satisfaction_guarantee',
    'dispute_prevention',
    'other',
  ]),
  amount: z.number().int().min(1),
  comment: z.string().nullable().optional(),
  revoke_benefits: z.boolean().optional(),
  metadata: metadataInput.optional(),
});

export function ordersRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const after = date(req, 'created_after');
    const before = date(req, 'created_before');
    const modifiedAfter = date(req, 'modified_after');
    const externalIds = new Set(
      (req.query.external_customer_id === undefined
        ? []
        : [req.query.external_customer_id].flat().map(String)
      ).flatMap((ext) => store.state.customers.filter((c) => c.external_id === ext).map((c) => c.id)),
    );
    const items = store.state.orders
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'customer_id', (o) => o.customer_id))
      .filter((o) => req.query.external_customer_id === undefined || externalIds.has(o.customer_id))
      .filter(byMetadata(req))
      .filter(byList(req, 'product_id', (o) => o.product_id))
      .filter(byList(req, 'checkout_id', (o) => o.checkout_id))
      .filter(byList(req, 'subscription_id', (o) => o.subscription_id))
      .filter(byList(req, 'discount_id', (o) => o.discount_id))
      .filter(byList(req, 'status', (o) => o.status))
      .filter(byList(req, 'billing_reason', (o) => o.billing_reason))
      .filter(
        byList(req, 'product_billing_type', (o) =>
          store.product(o.product_id)?.recurring_interval ? 'recurring' : 'one_time',
        ),
      )
      .filter((o) => after === undefined || Date.parse(o.created_at) >= after)
      .filter((o) => before === undefined || Date.parse(o.created_at) < before)
      .filter(
        (o) => modifiedAfter === undefined || Date.parse(o.modified_at ?? o.created_at) >= modifiedAfter,
      );
    res.json(paginate(req, items, (o) => orderJson(o, store.ctx)));
  });
  router.get('/:id', (req, res) => {
    res.json(orderJson(store.requireOrder(req.params.id), store.ctx));
  });
  return router;
}

export function subscriptionsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const active = bool(req, 'active');
    const cancelAtPeriodEnd = bool(req, 'cancel_at_period_end');
    const externalIds = [req.query.external_customer_id ?? []].flat().map(String);
    const items = store.state.subscriptions
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'customer_id', (s) => s.customer_id))
      .filter(byMetadata(req))
      .filter(
        (s) =>
          externalIds.length === 0 ||
          externalIds.includes(store.customer(s.customer_id)?.external_id ?? '\u0000'),
      )
      .filter(byList(req, 'product_id', (s) => s.product_id))
      .filter(byList(req, 'discount_id', (s) => s.discount_id))
      .filter(byList(req, 'status', (s) => s.status))
      .filter((s) => active === undefined || (s.status === 'active' || s.status === 'trialing') === active)
      .filter((s) => cancelAtPeriodEnd === undefined || s.cancel_at_period_end === cancelAtPeriodEnd);
    res.json(paginate(req, items, (s) => subscriptionJson(s, store.ctx), ['-started_at']));
  });
  router.get('/:id', (req, res) => {
    res.json(subscriptionJson(store.requireSubscription(req.params.id), store.ctx));
  });
  router.patch('/:id', (req, res) => {
    const s = store.requireSubscription(req.params.id);
    const body = parse(subscriptionUpdateBody, req.body);
    if ('revoke' in body) store.endSubscription(s);
    else if (body.cancel_at_period_end) store.cancelSubscription(s, body);
    else store.uncancelSubscription(s);
    res.json(subscriptionJson(s, store.ctx));
  });
  router.delete('/:id', (req, res) => {
    const s = store.requireSubscription(req.params.id);
    store.endSubscription(s);
    res.json(subscriptionJson(s, store.ctx));
  });
  return router;
}

export function refundsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.post('/', (req, res) => {
    const body = parse(refundBody, req.body);
    res.status(201).json(refundJson(store.refundOrder(body), store.organization));
  });
  router.get('/', (req, res) => {
    const items = store.state.refunds
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'id', (r) => r.id))
      .filter(byList(req, 'order_id', (r) => r.order_id))
      .filter(byList(req, 'subscription_id', (r) => r.subscription_id))
      .filter(byList(req, 'customer_id', (r) => r.customer_id));
    res.json(paginate(req, items, (r) => refundJson(r, store.organization)));
  });
  return router;
}
