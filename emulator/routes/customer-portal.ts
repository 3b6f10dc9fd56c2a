/**
 * The customer portal API the hosted portal page uses; the bearer token is a customer session token
 * (`polar_cst_...`), anything else is 401.
 */
import express from 'express';
import { z } from 'zod';
import { notFound, unauthorized } from '../errors.js';
import {
  customerOrderJson,
  customerSubscriptionJson,
  licenseKeyWithActivationsJson,
  organizationJson,
  portalCustomerJson,
} from '../objects.js';
import type { CustomerRecord } from '../records.js';
import type { EmulatorStore } from '../store.js';
import { byList, paginate, parse } from './query.js';

const subscriptionUpdateBody = z.object({
  cancel_at_period_end: z.boolean(),
  cancellation_reason: z.string().nullable().optional(),
  cancellation_comment: z.string().nullable().optional(),
});

export function customerPortalRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  const customers = new WeakMap<express.Request, CustomerRecord>();
  const me = (req: express.Request) => customers.get(req)!;

  router.get('/organizations/:slug', (req, res) => {
    if (req.params.slug !== store.organization.slug) throw notFound('Organization not found.');
    res.json(organizationJson(store.organization));
  });

  router.use((req, _res, next) => {
    const header = req.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    const customer = token ? store.sessionCustomer(token) : undefined;
    if (!customer) throw unauthorized('A valid customer session token is required.');
    customers.set(req, customer);
    next();
  });

  router.get('/customers/me', (req, res) => {
    res.json(portalCustomerJson(me(req)));
  });

  router.get('/orders/', (req, res) => {
    const items = store.state.orders
      .filter((o) => o.customer_id === me(req).id)
      .filter(byList(req, 'product_id', (o) => o.product_id))
      .filter(byList(req, 'subscription_id', (o) => o.subscription_id));
    res.json(paginate(req, items, (o) => customerOrderJson(o, store.ctx)));
  });
  router.get('/orders/:id', (req, res) => {
    const o = store.state.orders.find((x) => x.id === req.params.id && x.customer_id === me(req).id);
    if (!o) throw notFound('Order not found.');
    res.json(customerOrderJson(o, store.ctx));
  });

  const ownSubscription = (req: express.Request, id: string) => {
    const s = store.state.subscriptions.find((x) => x.id === id && x.customer_id === me(req).id);
    if (!s) throw notFound('Subscription not found.');
    return s;
  };
  router.get('/subscriptions/', (req, res) => {
    const items = store.state.subscriptions
      .filter((s) => s.customer_id === me(req).id)
      .filter(byList(req, 'product_id', (s) => s.product_id))
      .filter(
        (s) => req.query.active === undefined || (s.status === 'active') === (req.query.active === 'true'),
      );
    res.json(paginate(req, items, (s) => customerSubscriptionJson(s, store.ctx), ['-started_at']));
  });
  router.get('/subscriptions/:id', (req, res) => {
    res.json(customerSubscriptionJson(ownSubscription(req, req.params.id), store.ctx));
  });
  router.patch('/subscriptions/:id', (req, res) => {
    const s = ownSubscription(req, req.params.id);
    const body = parse(subscriptionUpdateBody, req.body);
    if (body.cancel_at_period_end) {
      store.cancelSubscription(s, {
        customer_cancellation_reason: body.cancellation_reason ?? null,
        customer_cancellation_comment: body.cancellation_comment ?? null,
      });
    } else {
      store.uncancelSubscription(s);
    }
    res.json(customerSubscriptionJson(s, store.ctx));
  });
  router.delete('/subscriptions/:id', (req, res) => {
    const s = ownSubscription(req, req.params.id);
    store.cancelSubscription(s);
    res.json(customerSubscriptionJson(s, store.ctx));
  });

  router.get('/license-keys/', (req, res) => {
    const items = store.state.licenseKeys
      .filter((k) => k.customer_id === me(req).id)
      .filter(byList(req, 'benefit_id', (k) => k.benefit_id));
    res.json(paginate(req, items, (k) => licenseKeyWithActivationsJson(k, store.ctx)));
  });
  router.get('/license-keys/:id', (req, res) => {
    const k = store.state.licenseKeys.find((x) => x.id === req.params.id && x.customer_id === me(req).id);
    if (!k) throw notFound('License key not found.');
    res.json(licenseKeyWithActivationsJson(k, store.ctx));
  });
  return router;
}
