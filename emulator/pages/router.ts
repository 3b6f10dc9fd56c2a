import { fileURLToPath } from 'node:url';
import express from 'express';

/** Options of {@link pagesRouter}. */
export type PagesRouterOptions = {
  /** The organization slug of the portal URL (`/{slug}/portal`). */
  organizationSlug: string;
  /**
   * How long the checkout page waits for fulfilment after a successful payment (given to the page in a
   * `<meta name="polar-fulfilment-timeout-ms">`).
   * @default 15_000
   */
  fulfilmentTimeoutMs?: number;
};

/** Where the pages' browser scripts and styles are served from. */
export const PAGES_ASSETS_PATH = '/_pages';

/** Polar's hosted page waits this long for fulfilment before showing its own confirmation. */
export const DEFAULT_FULFILMENT_TIMEOUT_MS = 15_000;

const ASSETS_DIR = fileURLToPath(new URL('./assets/', import.meta.url));

/**
 * Serves the hosted checkout page (`/checkout/:client_secret`, plus its `/confirmation` view) and the customer
 * portal (`/:org_slug/portal`). The pages are static shells; their scripts read everything through the public
 * REST API with relative URLs, so they work under any public URL that routes to the emulator.
 */
export function pagesRouter(options: PagesRouterOptions): express.Router {
  if (!options.organizationSlug)
    throw new TypeError('pagesRouter: organizationSlug must be a non-empty string.');
  const fulfilmentTimeoutMs = options.fulfilmentTimeoutMs ?? DEFAULT_FULFILMENT_TIMEOUT_MS;
  if (!Number.isInteger(fulfilmentTimeoutMs) || fulfilmentTimeoutMs < 0) {
    throw new RangeError(
      `fulfilmentTimeoutMs must be a whole number of milliseconds >= 0, got ${String(options.fulfilmentTimeoutMs)}.`,
    );
  }
  const router = express.Router();

  router.use(
    PAGES_ASSETS_PATH,
    express.static(ASSETS_DIR, {
      index: false,
      fallthrough: true,
      setHeaders(res) {
        res.setHeader('X-Content-Type-Options', 'nosniff');
        res.setHeader('Cache-Control', 'no-cache');
      },
    }),
  );

  router.get(['/checkout/:clientSecret', '/checkout/:clientSecret/confirmation'], (req, res) => {
    sendPage(req, res, {
      title: 'Checkout',
      script: 'checkout.js',
      frameAncestors: '*',
      meta: { 'polar-fulfilment-timeout-ms': String(fulfilmentTimeoutMs) },
    });
  });

  router.get('/:orgSlug/portal', (req, res, next) => {
    if (req.params.orgSlug !== options.organizationSlug) {
      next();
      return;
    }
    sendPage(req, res, { title: 'Customer portal', script: 'portal.js', frameAncestors: "'none'" });
  });

  return router;
}

type PageSpec = {
  title: string;
  script: string;
  frameAncestors: string;
  /** `<meta name content>` pairs the page's script reads; names and values are ours, never request input. */
  meta?: Record<string, string>;
};

function sendPage(req: express.Request, res: express.Response, page: PageSpec): void {
  // Only the two known themes reach the markup; anything else falls back to light.
  const theme = req.query.theme === 'dark' ? 'dark' : 'light';
  res.setHeader(
    'Content-Security-Policy',
    [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self'",
      "img-src 'self' data:",
      "connect-src 'self'",
      "form-action 'self'",
      "base-uri 'none'",
      "object-src 'none'",
      `frame-ancestors ${page.frameAncestors}`,
    ].join('; '),
  );
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Cache-Control', 'no-store');
  res.type('html').send(`<!doctype html>
<html lang="en" data-theme="${theme}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<link rel="icon" href="data:,">
${Object.entries(page.meta ?? {})
  .map(([name, content]) => `<meta name="${name}" content="${content}">\n`)
  .join('')}<title>${page.title}</title>
<link rel="stylesheet" href="${PAGES_ASSETS_PATH}/pages.css">
<script type="module" src="${PAGES_ASSETS_PATH}/${page.script}"></script>
</head>
<body>
<main id="app" aria-busy="true"><p class="loading">Loading…</p></main>
</body>
</html>
`);
}
