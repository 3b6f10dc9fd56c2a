/** `GET /v1/discounts/` (filter `query` matches the name or the code) and `GET /v1/discounts/{id}`. */
import express from 'express';
import { notFound } from '../errors.js';
import { discountJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { list, paginate } from './query.js';

export function discountsRouter(store: EmulatorStore): express.Router {
  const router = express.Router();
  const json = (d: EmulatorStore['state']['discounts'][number]) => ({
    ...discountJson(d, store.organization),
    products: [],
  });
  router.get('/', (req, res) => {
    const query = list(req, 'query')[0]?.toLowerCase();
    const items = store.state.discounts.filter(
      (d) => !query || d.name.toLowerCase().includes(query) || (d.code ?? '').toLowerCase() === query,
    );
    res.json(paginate(req, items, json));
  });
  router.get('/:id', (req, res) => {
    const d = store.state.discounts.find((x) => x.id === req.params.id);
    if (!d) throw notFound('Discount not found.');
    res.json(json(d));
  });
  return router;
}
