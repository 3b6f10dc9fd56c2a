import express from 'express';

export type PagesRouterOptions = { organizationSlug: string };

/** Hosted checkout page and customer portal page of the emulator. */
export function pagesRouter(options: PagesRouterOptions): express.Router {
  const router = express.Router();
  router.get('/checkout/:clientSecret', (_req, res) => {
    res.type('html').send('<!doctype html><title>Checkout</title><p>Checkout</p>');
  });
  router.get(`/:orgSlug/portal`, (req, res, next) => {
    if (req.params.orgSlug !== options.organizationSlug) return next();
    res.type('html').send('<!doctype html><title>Customer portal</title><p>Customer portal</p>');
  });
  return router;
}
