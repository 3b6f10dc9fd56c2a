/** Customers (`/v1/customers/...`, including the external-id variants and customer state), customer sessions and events ingest. */
import express from 'express';
import { z } from 'zod';
import { invalid, notFound } from '../errors.js';
import { customerJson, customerStateJson, eventJson, sessionJson } from '../objects.js';
import type { CustomerRecord } from '../records.js';
import type { EmulatorStore } from '../store.js';
import { byList, byMetadata, list, paginate, parse } from './query.js';
import { addressInput, email, httpUrl, metadataInput } from './schemas.js';

const createBody = z.object({
  email,
  name: z.string().nullable().optional(),
  external_id: z.string().min(1).nullable().optional(),
  metadata: metadataInput.optional(),
  billing_address: addressInput.nullable().optional(),
  organization_id: z.string().nullable().optional(),
  type: z.enum(['individual', 'team']).nullable().optional(),
  tax_id: z.unknown().optional(),
  locale: z.string().nullable().optional(),
});

const updateBody = z.object({
  email: email.nullable().optional(),
  name: z.string().nullable().optional(),
  external_id: z.string().min(1).nullable().optional(),
  metadata: metadataInput.optional(),
  billing_address: addressInput.nullable().optional(),
  tax_id: z.unknown().optional(),
  locale: z.string().nullable().optional(),
});

const sessionBody = z.object({
  customer_id: z.string().nullable().optional(),
  external_customer_id: z.string().nullable().optional(),
  customer_external_id: z.string().nullable().optional(),
  return_url: httpUrl.nullable().optional(),
});

const ingestBody = z.object({
  events: z
    .array(
      z.object({
        name: z.string().min(1).max(128),
        customer_id: z.string().nullable().optional(),
        external_customer_id: z.string().nullable().optional(),
        external_id: z.string().nullable().optional(),
        timestamp: z.iso.datetime({ offset: true }).nullable().optional(),
        // Plain values; Polar also allows the structured `_cost` and `_llm` keys.
        metadata: z
          .record(z.string().max(40), z.unknown())
          .refine(
            (m) =>
              Object.entries(m).every(
                ([k, v]) => k.startsWith('_') || ['string', 'number', 'boolean'].includes(typeof v),
              ),
            'Metadata values must be strings, numbers or booleans.',
          )
          .optional(),
        parent_id: z.string().nullable().optional(),
        organization_id: z.string().nullable().optional(),
      }),
    )
    .max(1000, 'At most 1000 events per request.'),
});

export function customersRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  const json = (c: CustomerRecord) => customerJson(c, store.organization);
  const byExternal = (ext: string) => {
    const c = store.customerByExternal(ext);
    if (!c) throw notFound('Customer not found.');
    return c;
  };
  const update = (c: CustomerRecord, body: unknown) => {
    const patch = parse(updateBody, body);
    return store.updateCustomer(c, {
      ...(patch.email ? { email: patch.email } : {}),
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.external_id !== undefined ? { external_id: patch.external_id } : {}),
      ...(patch.metadata !== undefined ? { metadata: patch.metadata } : {}),
      ...(patch.billing_address !== undefined ? { billing_address: patch.billing_address } : {}),
    });
  };

  router.get('/', (req, res) => {
    const query = list(req, 'query')[0]?.toLowerCase();
    const items = store.state.customers
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter((c) => c.deleted_at === null)
      .filter(byMetadata(req))
      .filter(byList(req, 'email', (c) => c.email))
      .filter(
        (c) =>
          !query ||
          c.email.toLowerCase().includes(query) ||
          (c.name ?? '').toLowerCase().includes(query) ||
          (c.external_id ?? '').toLowerCase().includes(query),
      );
    res.json(paginate(req, items, json));
  });
  router.post('/', (req, res) => {
    const body = parse(createBody, req.body);
    res.status(201).json(json(store.createCustomer(body)));
  });
  router.get('/external/:externalId', (req, res) => {
    res.json(json(byExternal(req.params.externalId)));
  });
  router.get('/external/:externalId/state', (req, res) => {
    res.json(customerStateJson(byExternal(req.params.externalId), store.ctx));
  });
  router.patch('/external/:externalId', (req, res) => {
    res.json(json(update(byExternal(req.params.externalId), req.body)));
  });
  router.delete('/external/:externalId', (req, res) => {
    store.deleteCustomer(byExternal(req.params.externalId));
    res.status(204).end();
  });
  router.get('/:id', (req, res) => {
    res.json(json(store.requireCustomer(req.params.id)));
  });
  router.get('/:id/state', (req, res) => {
    res.json(customerStateJson(store.requireCustomer(req.params.id), store.ctx));
  });
  router.patch('/:id', (req, res) => {
    res.json(json(update(store.requireCustomer(req.params.id), req.body)));
  });
  router.delete('/:id', (req, res) => {
    store.deleteCustomer(store.requireCustomer(req.params.id));
    res.status(204).end();
  });
  return router;
}

export function customerSessionsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.post('/', (req, res) => {
    const body = parse(sessionBody, req.body);
    const session = store.createSession({
      customer_id: body.customer_id ?? null,
      external_customer_id: body.external_customer_id ?? body.customer_external_id ?? null,
      return_url: body.return_url ?? null,
    });
    res.status(201).json(sessionJson(session, store.ctx));
  });
  return router;
}

export function eventsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const names = list(req, 'name');
    const items = store.state.events
      .filter(byList(req, 'customer_id', (e) => e.customer_id))
      .filter(byList(req, 'external_customer_id', (e) => e.external_customer_id))
      .filter((e) => names.length === 0 || names.includes(e.name));
    res.json(paginate(req, items, (e) => eventJson(e, store.ctx), ['-timestamp']));
  });
  router.get('/:id', (req, res) => {
    const e = store.state.events.find((x) => x.id === req.params.id);
    if (!e) throw notFound('Event not found.');
    res.json(eventJson(e, store.ctx));
  });
  router.post('/ingest', (req, res) => {
    const raw = req.body as { events?: unknown } | undefined;
    if (Array.isArray(raw?.events) && raw.events.length > 1000)
      throw invalid(['body', 'events'], 'List should have at most 1000 items after validation', 'too_long');
    const body = parse(ingestBody, req.body);
    res.json(store.ingestEvents(body.events));
  });
  return router;
}
