/** `GET /v1/organizations/` and `GET /v1/organizations/{id}`: the emulator's one organization. */
import express from 'express';
import { notFound } from '../errors.js';
import { organizationFullJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { list, paginate } from './query.js';

export function organizationsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const slug = list(req, 'slug');
    const items = [store.organization].filter((o) => slug.length === 0 || slug.includes(o.slug));
    res.json(paginate(req, items, organizationFullJson));
  });
  router.get('/:id', (req, res) => {
    if (req.params.id !== store.organization.id) throw notFound('Organization not found.');
    res.json(organizationFullJson(store.organization));
  });
  return router;
}
