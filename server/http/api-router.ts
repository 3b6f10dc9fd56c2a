import cors from 'cors';
import express, { Router } from 'express';
import type { RequestHandler } from 'express';
import type { Logger } from '../logger.js';
import type { ProductCatalog } from '../product-catalog.js';
import { translateHttpErrors } from './http-errors.js';
import { notFound, problemHandler } from './problem-handler.js';
import { requestId } from './request-id.js';
import type { OriginPolicy } from './origins.js';
import { adminRouter } from './routes/admin.js';
import type { AdminQueries } from './routes/admin.js';
import { checkoutRouter } from './routes/checkout.js';
import type { CheckoutDeps } from './routes/checkout.js';
import { healthRouter } from './routes/health.js';
import type { HealthDeps } from './routes/health.js';
import { portalRouter } from './routes/portal.js';
import type { PortalDeps } from './routes/portal.js';
import { productsHandler } from './routes/products.js';

export type ApiRouterDeps = {
  logger: Logger;
  origins: OriginPolicy;
  health: HealthDeps;
  catalog: ProductCatalog;
  checkout: Omit<CheckoutDeps, 'catalog' | 'origins' | 'logger' | 'adminToken'>;
  admin: { token: string | null; queries: AdminQueries };
  portal: Omit<PortalDeps, 'gateway' | 'checkouts' | 'adminToken' | 'identify' | 'logger'>;
  /** `POST /webhooks/polar`, which parses its own raw body; mounted before any JSON parser. */
  webhooks: RequestHandler;
  /** Routes that parse their own, larger body (usage events); mounted before the JSON parser. */
  ownBodyRoutes?: RequestHandler[];
  /** Customer-service routes (license keys, webhook operations, stats, the OpenAPI document). */
  services?: RequestHandler[];
  /** Largest JSON body accepted by the other routes. @default '16kb' */
  jsonLimit?: string;
};

/**
 * The kit's API as one Express router, meant for `app.use('/api', router)`: request ids, the webhook route on
 * raw bytes, CORS limited to the allowed origins, JSON bodies with a size limit, the routes, and problem
 * responses for every error (including unknown `/api` paths), whatever app it is mounted in.
 */
export function createApiRouter(deps: ApiRouterDeps): Router {
  const router = Router();
  router.use(requestId);
  // Polar's deliveries come from a server, not a browser: ahead of CORS and the routes below.
  router.use(deps.webhooks);
  router.use(
    cors({
      origin: (origin, callback) => callback(null, origin !== undefined && deps.origins.allows(origin)),
      methods: ['GET', 'HEAD', 'POST'],
      allowedHeaders: ['Content-Type', 'Idempotency-Key', 'X-Request-Id'],
      exposedHeaders: ['ETag', 'Retry-After', 'X-Request-Id', 'Idempotent-Replayed'],
      maxAge: 600,
    }),
  );
  // The most requested route, with no body to parse: ahead of the routes below, so it skips their matching.
  router.get('/products', productsHandler({ catalog: deps.catalog }));
  for (const route of deps.ownBodyRoutes ?? []) router.use(route);
  router.use(
    express.json({ limit: deps.jsonLimit ?? '16kb', type: ['application/json', 'application/*+json'] }),
  );
  router.use(healthRouter(deps.health));
  router.use(
    checkoutRouter({
      ...deps.checkout,
      catalog: deps.catalog,
      origins: deps.origins,
      logger: deps.logger,
      adminToken: deps.admin.token,
    }),
  );
  router.use(
    portalRouter({
      ...deps.portal,
      gateway: deps.checkout.gateway,
      checkouts: deps.checkout.checkouts,
      adminToken: deps.admin.token,
      logger: deps.logger,
      ...(deps.checkout.identify ? { identify: deps.checkout.identify } : {}),
    }),
  );
  router.use(adminRouter({ adminToken: deps.admin.token, queries: deps.admin.queries }));
  for (const route of deps.services ?? []) router.use(route);
  router.use(notFound);
  router.use(translateHttpErrors);
  router.use(problemHandler(deps.logger));
  return router;
}
