/**
 * The control API under `/_emulator` (not Polar's): reset, catalogue, state summary, paying checkouts,
 * subscription life-cycle steps, refunds, one-off events, the clock and fault switches. JSON in and out.
 */
import express from 'express';
import { z } from 'zod';
import { CatalogError, parseCatalog, type Catalog } from '../catalog.js';
import { invalid, validationError } from '../errors.js';
import type { FaultSwitches } from '../faults.js';
import { checkoutJson, orderJson, productJson, refundJson, subscriptionJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { parse } from './query.js';

export type ControlDeps = {
  store: EmulatorStore;
  faults: FaultSwitches;
  /** Forgets everything (state, webhooks, faults, clock) and reloads the current catalogue. */
  reset(): void;
  /** The catalogue in use, replaced by `POST /catalog`. */
  catalog: { current: Catalog };
};

const payBody = z.object({
  card: z
    .union([
      z.string(),
      z.object({
        number: z.string(),
        exp_month: z.number().int().optional(),
        exp_year: z.number().int().optional(),
        cvc: z.string().optional(),
      }),
    ])
    .nullable()
    .optional(),
  customer_email: z.string().nullable().optional(),
  customer_name: z.string().nullable().optional(),
  amount: z.number().int().nullable().optional(),
  authentication: z.enum(['approve', 'fail']).optional(),
});

const refundBody = z.object({
  amount: z.number().int().min(1).nullable().optional(),
  reason: z.string().optional(),
  revoke_benefits: z.boolean().optional(),
});

const faultBody = z
  .object({
    path: z.string().startsWith('/'),
    method: z.string().optional(),
    status: z
      .number()
      .int()
      .refine((s) => s === 429 || (s >= 500 && s <= 599), 'status must be 429 or 5xx')
      .optional(),
    retry_after: z.number().int().min(0).optional(),
    hang: z.boolean().optional(),
    count: z.number().int().min(1).default(1),
  })
  .refine((f) => f.hang || f.status !== undefined || true);

export function controlRouter(deps: ControlDeps): express.Router {
  const { store, faults } = deps;
  const router = express.Router();

  router.get('/', (_req, res) => {
    res.json({
      endpoints: [
        'POST /_emulator/reset',
        'POST /_emulator/catalog {products, discounts?}',
        'GET  /_emulator/state',
        'GET  /_emulator/events',
        'POST /_emulator/checkouts/:id_or_client_secret/pay {card?, customer_email?, customer_name?, amount?, authentication?}',
        'POST /_emulator/checkouts/client/:client_secret/authenticate {approve}',
        'POST /_emulator/subscriptions/:id/renew|cancel|uncancel|revoke|past_due',
        'POST /_emulator/orders/:id/refund {amount?, reason?, revoke_benefits?}',
        'GET  /_emulator/trigger',
        'POST /_emulator/trigger {type}',
        'GET  /_emulator/clock',
        'POST /_emulator/clock {advance_seconds}',
        'GET|POST|DELETE /_emulator/faults {path, method?, status?, retry_after?, hang?, count?}',
        'GET  /_emulator/deliveries',
        'POST /_emulator/deliveries/:webhook_id/redeliver',
      ],
    });
  });

  router.post('/reset', (_req, res) => {
    deps.reset();
    res.json({ ok: true });
  });

  router.post('/catalog', (req, res) => {
    const input = (req.body as { catalog?: unknown })?.catalog ?? req.body;
    let catalog: Catalog;
    try {
      catalog = parseCatalog(input, 'in the request body');
    } catch (err) {
      if (err instanceof CatalogError)
        throw validationError(
          err.issues.map((msg) => ({ loc: ['body', 'catalog'], msg, type: 'value_error' })),
        );
      throw err;
    }
    store.loadCatalog(catalog, true);
    deps.catalog.current = catalog;
    res.json({
      products: store.state.products.filter((p) => !p.is_archived).map((p) => productJson(p, store.ctx)),
    });
  });

  router.get('/state', (_req, res) => {
    const s = store.state;
    res.json({
      organization: store.organization,
      now: store.clock.now().toISOString(),
      clock_offset_seconds: store.clock.offsetMs() / 1000,
      counts: Object.fromEntries(
        Object.entries(s)
          .filter(([, v]) => Array.isArray(v))
          .map(([k, v]) => [k, (v as unknown[]).length]),
      ),
      products: s.products.map((p) => ({
        id: p.id,
        name: p.name,
        is_archived: p.is_archived,
        recurring_interval: p.recurring_interval,
        price: p.prices[0],
      })),
      checkouts: s.checkouts.map((c) => ({
        id: c.id,
        status: c.status,
        client_secret: c.client_secret,
        product_id: c.product_id,
      })),
      customers: s.customers.map((c) => ({
        id: c.id,
        email: c.email,
        external_id: c.external_id,
        deleted: c.deleted_at !== null,
      })),
      orders: s.orders.map((o) => ({
        id: o.id,
        status: o.status,
        billing_reason: o.billing_reason,
        customer_id: o.customer_id,
        product_id: o.product_id,
        subscription_id: o.subscription_id,
        amount: o.subtotal_amount - o.discount_amount,
      })),
      subscriptions: s.subscriptions.map((x) => ({
        id: x.id,
        status: x.status,
        customer_id: x.customer_id,
        product_id: x.product_id,
        current_period_end: x.current_period_end,
        cancel_at_period_end: x.cancel_at_period_end,
      })),
      license_keys: s.licenseKeys.map((k) => ({
        id: k.id,
        key: k.key,
        status: k.status,
        customer_id: k.customer_id,
      })),
    });
  });

  router.get('/events', (_req, res) => {
    res.json({ items: store.state.events });
  });

  router.post('/checkouts/client/:clientSecret/authenticate', (req, res) => {
    const body = parse(z.object({ approve: z.boolean() }), req.body);
    res.json(checkoutJson(store.authenticateCheckout(req.params.clientSecret, body.approve), store.ctx));
  });
  router.post('/checkouts/:id/pay', (req, res) => {
    const body = parse(payBody, req.body);
    res.json(checkoutJson(store.payCheckout(req.params.id, body), store.ctx));
  });

  const lifecycle: Record<string, (id: string) => void> = {
    renew: (id) => store.renewSubscription(store.requireSubscription(id)),
    cancel: (id) => store.cancelSubscription(store.requireSubscription(id)),
    uncancel: (id) => store.uncancelSubscription(store.requireSubscription(id)),
    revoke: (id) => store.endSubscription(store.requireSubscription(id)),
    past_due: (id) => store.markPastDue(store.requireSubscription(id)),
  };
  router.post('/subscriptions/:id/:action', (req, res) => {
    const action = lifecycle[req.params.action];
    if (!action)
      throw invalid(
        ['path', 'action'],
        `Unknown action. Use one of: ${Object.keys(lifecycle).join(', ')}.`,
        'value_error',
        req.params.action,
      );
    action(req.params.id);
    res.json(subscriptionJson(store.requireSubscription(req.params.id), store.ctx));
  });

  router.post('/orders/:id/refund', (req, res) => {
    store.requireOrder(req.params.id);
    const body = parse(refundBody, req.body);
    const refund = store.refundOrder({ order_id: req.params.id, ...body });
    res.json({
      refund: refundJson(refund, store.organization),
      order: orderJson(store.requireOrder(req.params.id), store.ctx),
    });
  });

  router.post('/trigger', (req, res) => {
    const body = parse(z.object({ type: z.string().min(1) }), req.body);
    res.json({ type: body.type, data: store.trigger(body.type) });
  });
  router.get('/trigger', (_req, res) => {
    res.json({ types: store.triggerTypes() });
  });

  router.get('/clock', (_req, res) => {
    res.json({ now: store.clock.now().toISOString(), offset_seconds: store.clock.offsetMs() / 1000 });
  });
  router.post('/clock', (req, res) => {
    const body = parse(z.object({ advance_seconds: z.number().min(0) }), req.body);
    store.clock.advance(body.advance_seconds);
    store.tick();
    res.json({ now: store.clock.now().toISOString(), offset_seconds: store.clock.offsetMs() / 1000 });
  });

  router.get('/faults', (_req, res) => {
    res.json({ items: faults.list() });
  });
  router.post('/faults', (req, res) => {
    const body = parse(faultBody, req.body);
    res.status(201).json(faults.add(body));
  });
  router.delete('/faults', (_req, res) => {
    faults.clear();
    res.status(204).end();
  });
  return router;
}
