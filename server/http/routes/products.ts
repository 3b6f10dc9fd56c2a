import { Router } from 'express';
import type { ProductCatalog } from '../../product-catalog.js';

/**
 * `GET /products`: the public catalogue from the kit's cache, with a strong `ETag` of the body so browsers
 * revalidate cheaply (`If-None-Match` → 304). `no-cache` means "revalidate every time", which keeps prices
 * current after a `product.updated` webhook.
 */
export function productsRouter(deps: { catalog: ProductCatalog }): Router {
  const router = Router();
  router.get('/products', async (req, res) => {
    const { body, etag } = await deps.catalog.list();
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, no-cache');
    res.setHeader('Vary', 'Origin');
    if (matchesEtag(req.get('if-none-match'), etag)) {
      res.status(304).end();
      return;
    }
    res.status(200).type('application/json').send(body);
  });
  return router;
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
