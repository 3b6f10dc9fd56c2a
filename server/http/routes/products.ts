import { Router } from 'express';
import type { RequestHandler } from 'express';
import type { ProductCatalog } from '../../product-catalog.js';

/**
 * `GET /products`: the public catalogue from the kit's cache, with a strong `ETag` of the body so browsers
 * revalidate cheaply (`If-None-Match` → 304). `no-cache` means "revalidate every time", which keeps prices
 * current after a `product.updated` webhook.
 *
 * The body and its tag are built once per change of the catalogue (see `createProductCatalog`), so a request
 * costs a header comparison and one write of bytes already in memory.
 */
export function productsRouter(deps: { catalog: ProductCatalog }): Router {
  const router = Router();
  router.get('/products', productsHandler(deps));
  return router;
}

/** The handler of `GET /products` alone, for a router that registers the route itself (one layer less). */
export function productsHandler(deps: { catalog: ProductCatalog }): RequestHandler {
  return async (req, res) => {
    const { bytes, etag } = deps.catalog.fresh() ?? (await deps.catalog.list());
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'public, no-cache');
    res.setHeader('Vary', 'Origin');
    if (matchesEtag(req.headers['if-none-match'], etag)) {
      res.statusCode = 304;
      res.end();
      return;
    }
    res.statusCode = 200;
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', bytes.length);
    // Node sends no body for HEAD by itself.
    res.end(bytes);
  };
}

function matchesEtag(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header === etag) return true;
  if (header.trim() === '*') return true;
  return header.split(',').some((tag) => tag.trim().replace(/^W\//, '') === etag);
}
