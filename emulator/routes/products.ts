/** `GET /v1/products/` and `GET /v1/products/{id}`. */
import express from 'express';
import { productJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { bool, byList, byMetadata, list, paginate } from './query.js';

export function productsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  router.get('/', (req, res) => {
    const archived = bool(req, 'is_archived');
    const recurring = bool(req, 'is_recurring');
    const query = list(req, 'query')[0]?.toLowerCase();
    const benefit = list(req, 'benefit_id');
    const visibility = list(req, 'visibility');
    const items = store.state.products
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'id', (p) => p.id))
      .filter(byMetadata(req))
      .filter((p) => archived === undefined || p.is_archived === archived)
      .filter((p) => recurring === undefined || (p.recurring_interval !== null) === recurring)
      .filter((p) => !query || p.name.toLowerCase().includes(query))
      .filter((p) => benefit.length === 0 || p.benefit_ids.some((b) => benefit.includes(b)))
      .filter((p) => visibility.length === 0 || visibility.includes(p.visibility));
    res.json(paginate(req, items, (p) => productJson(p, store.ctx), ['created_at']));
  });
  router.get('/:id', (req, res) => {
    res.json(productJson(store.requireProduct(req.params.id), store.ctx));
  });
  return router;
}
