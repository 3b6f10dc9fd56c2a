/**
 * License keys: the server API (`/v1/license-keys/...`, access token) and the public customer-portal
 * variants (`/v1/customer-portal/license-keys/validate|activate|deactivate`, scoped by `organization_id`).
 */
import express from 'express';
import { z } from 'zod';
import { notFound } from '../errors.js';
import { licenseKeyJson, licenseKeyWithActivationsJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { byList, paginate, parse } from './query.js';
import { metadataInput } from './schemas.js';

const conditions = metadataInput.optional();

const validateBody = z.object({
  key: z.string().min(1),
  organization_id: z.string().optional(),
  activation_id: z.string().nullable().optional(),
  benefit_id: z.string().nullable().optional(),
  customer_id: z.string().nullable().optional(),
  increment_usage: z.number().int().min(1).nullable().optional(),
  conditions,
});

const activateBody = z.object({
  key: z.string().min(1),
  organization_id: z.string().optional(),
  label: z.string().min(1).max(256),
  conditions,
  meta: metadataInput.optional(),
});

const deactivateBody = z.object({
  key: z.string().min(1),
  organization_id: z.string().optional(),
  activation_id: z.string().min(1),
});

const updateBody = z.object({
  status: z.enum(['granted', 'revoked', 'disabled']).optional(),
  usage: z.number().int().min(0).optional(),
  limit_activations: z.number().int().min(1).max(50).nullable().optional(),
  limit_usage: z.number().int().min(1).nullable().optional(),
  expires_at: z.iso.datetime({ offset: true }).nullable().optional(),
});

/** Validate / activate / deactivate, shared by the server and the public routers. */
function keyActions(store: EmulatorStore, router: express.Router, requireOrg: boolean): void {
  const schemaFor = <S extends z.ZodObject>(s: S) =>
    requireOrg ? s.extend({ organization_id: z.string().min(1) }) : s;
  const checkOrg = (orgId: string | undefined) => {
    if (orgId !== undefined && orgId !== store.organization.id) throw notFound('License key not found.');
  };
  router.post('/validate', (req, res) => {
    const body = parse(schemaFor(validateBody), req.body) as z.output<typeof validateBody>;
    checkOrg(body.organization_id);
    res.json(store.validateLicenseKey(body));
  });
  router.post('/activate', (req, res) => {
    const body = parse(schemaFor(activateBody), req.body) as z.output<typeof activateBody>;
    checkOrg(body.organization_id);
    res.json(store.activateLicenseKey(body));
  });
  router.post('/deactivate', (req, res) => {
    const body = parse(schemaFor(deactivateBody), req.body) as z.output<typeof deactivateBody>;
    checkOrg(body.organization_id);
    store.deactivateLicenseKey(body);
    res.status(204).end();
  });
}

export function licenseKeysRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  keyActions(store, router, false);
  router.get('/', (req, res) => {
    const items = store.state.licenseKeys
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'benefit_id', (k) => k.benefit_id));
    res.json(paginate(req, items, (k) => licenseKeyJson(k, store.ctx)));
  });
  const byId = (id: string) => {
    const k = store.state.licenseKeys.find((x) => x.id === id);
    if (!k) throw notFound('License key not found.');
    return k;
  };
  router.get('/:id', (req, res) => {
    res.json(licenseKeyWithActivationsJson(byId(req.params.id), store.ctx));
  });
  router.patch('/:id', (req, res) => {
    const k = byId(req.params.id);
    const body = parse(updateBody, req.body);
    Object.assign(k, Object.fromEntries(Object.entries(body).filter(([, v]) => v !== undefined)));
    // A stamp from the store's strictly increasing clock, so it is later than any the key had before.
    k.modified_at = store.clock.timestamp();
    store.touch();
    res.json(licenseKeyJson(k, store.ctx));
  });
  router.get('/:id/activations/:activationId', (req, res) => {
    const k = byId(req.params.id);
    const a = store.state.activations.find(
      (x) => x.id === req.params.activationId && x.license_key_id === k.id,
    );
    if (!a) throw notFound('License key activation not found.');
    res.json({ ...a, conditions: undefined, license_key: licenseKeyJson(k, store.ctx) });
  });
  return router;
}

/** The public (no access token) license-key endpoints of the customer portal. */
export function publicLicenseKeysRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  keyActions(store, router, true);
  return router;
}

/** Paths that need no access token: the public license-key endpoints. */
export function isPublicLicenseKeyPath(path: string): boolean {
  return /^\/v1\/customer-portal\/license-keys\/(validate|activate|deactivate)\/?$/.test(path);
}
