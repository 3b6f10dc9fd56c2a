/**
 * Fixtures for the widget's browser tests: the built widget (built once, on demand), a static server for fixture
 * pages and `/widget/` files, and a stand-in hosted checkout page on a second origin that speaks the
 * `POLAR_CHECKOUT` protocol the way Polar's page does.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { AxeBuilder } from '@axe-core/playwright';
import { expect, type Page } from '@playwright/test';
import type {
  CheckoutResponse,
  CheckoutStatusResponse,
  OrderSummary,
  Product,
} from '../../contract/contract.js';
import type { Problem } from '../../contract/errors.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const WIDGET_DIST = path.join(ROOT, 'dist/widget');
const LOCK = path.join(ROOT, 'dist/.widget-build-lock');

/** Builds the widget unless `dist/widget/` is newer than every source file; safe with parallel workers. */
export function ensureWidgetBuilt(): void {
  const newestSource = Math.max(
    ...[...walk(path.join(ROOT, 'widget')), path.join(ROOT, 'vite.config.ts')].map(
      (file) => statSync(file).mtimeMs,
    ),
  );
  const built = path.join(WIDGET_DIST, 'polar-checkout.js');
  if (
    existsSync(built) &&
    statSync(built).mtimeMs > newestSource &&
    existsSync(path.join(WIDGET_DIST, 'sri.json'))
  )
    return;
  mkdirSync(path.dirname(LOCK), { recursive: true });
  for (let waited = 0; ; waited += 200) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A build takes seconds; a lock older than two minutes was left by a killed run.
      const lock = statSync(LOCK, { throwIfNoEntry: false });
      if (lock && Date.now() - lock.mtimeMs > 120_000) rmdirSync(LOCK);
      if (waited > 60_000)
        throw new Error(`${LOCK} is held for over a minute; remove it if no build is running.`);
      execFileSync('sleep', ['0.2']);
    }
  }
  try {
    if (!existsSync(built) || statSync(built).mtimeMs <= newestSource) {
      execFileSync('npx', ['vite', 'build', '--mode', 'widget', '--logLevel', 'error'], {
        cwd: ROOT,
        stdio: 'pipe',
      });
    }
  } finally {
    rmdirSync(LOCK);
  }
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? walk(path.join(dir, entry.name)) : [path.join(dir, entry.name)],
  );
}

export type StaticServer = {
  url: string;
  /** Serves `html` at `pathname` from now on. */
  page(pathname: string, html: string): void;
  close(): Promise<void>;
};

/**
 * A static server on 127.0.0.1: `/widget/*` from `dist/widget` (with CORS, as the kit serves it), the pages given
 * to `page()`, and the stand-in checkout page at `/checkout/:client_secret`.
 */
export async function startStaticServer(): Promise<StaticServer> {
  const pages = new Map<string, string>();
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname.startsWith('/widget/')) {
      const file = path.join(WIDGET_DIST, path.basename(url.pathname));
      if (!existsSync(file)) return send(res, 404, 'text/plain', 'not found');
      res.setHeader('access-control-allow-origin', '*');
      return send(res, 200, 'text/javascript', readFileSync(file));
    }
    if (url.pathname.startsWith('/checkout/')) return send(res, 200, 'text/html', CHECKOUT_PAGE);
    const html = pages.get(url.pathname);
    if (html === undefined) return send(res, 404, 'text/plain', 'not found');
    return send(res, 200, 'text/html', html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    page: (pathname, html) => void pages.set(pathname, html),
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(res: ServerResponse, status: number, type: string, body: string | Buffer): void {
  res.writeHead(status, { 'content-type': `${type}; charset=utf-8`, 'cache-control': 'no-store' });
  res.end(body);
}

/**
 * The stand-in hosted checkout page. Like Polar's, it posts to the `embed_origin` it was given: `loaded` once
 * shown (unless the client secret contains `slow`), `close` on its close button or Escape, `confirmed` then
 * `success` on its pay button (`successURL`/`redirect` from the `success` query parameter).
 */
const CHECKOUT_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in checkout</title></head>
<body><main><h1>Stand-in checkout</h1>
<button id="pay" type="button">Pay</button> <button id="finish" type="button">Finish</button>
<button id="close" type="button">Close</button></main>
<script>
  const query = new URLSearchParams(location.search);
  const origin = query.get('embed_origin');
  const post = (event, extra) => parent.postMessage({ ...extra, event, type: 'POLAR_CHECKOUT' }, origin);
  if (!location.pathname.includes('slow')) post('loaded');
  document.getElementById('close').onclick = () => post('close');
  document.getElementById('pay').onclick = () => post('confirmed');
  document.getElementById('finish').onclick = () =>
    post('success', { successURL: query.get('success') || location.href, redirect: Boolean(query.get('success')) });
  addEventListener('keydown', (event) => event.key === 'Escape' && post('close'));
</script></body></html>`;

/** A fixture page: the widget's script tag, then `body` inside `<main>`, then a paragraph below it. */
export function fixturePage(
  body: string,
  options: { script?: string; head?: string; dark?: boolean } = {},
): string {
  const script = options.script ?? '<script src="/widget/polar-checkout.js"></script>';
  const colors = options.dark ? 'background:#030712;color:#f9fafb' : 'background:#fff;color:#111827';
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Widget fixture</title><style>body{font-family:Georgia,serif;margin:1rem;${colors}}</style>${options.head ?? ''}${script}</head>
<body><main><h1>Pricing</h1>${body}<p id="below">Questions? Write to us.</p></main></body></html>`;
}

// ---------------------------------------------------------------------------------------------------------------
// Typed stubs of the kit's API (component tests only; the purchase tests use the real kit).

export function product(overrides: Partial<Product> & Pick<Product, 'id' | 'name'>): Product {
  const amount = overrides.price_amount === undefined ? 900 : overrides.price_amount;
  const currency = overrides.price_currency ?? 'usd';
  return {
    description: null,
    is_recurring: true,
    recurring_interval: 'month',
    price_amount: amount,
    price_currency: currency,
    prices: [
      {
        id: `price_${overrides.id}`,
        amount_type: 'fixed',
        price_amount: amount ?? 0,
        price_currency: currency,
      },
    ],
    benefits: [],
    metadata: {},
    ...overrides,
  };
}

export const CATALOG: Product[] = [
  product({
    id: 'prod_starter',
    name: 'Starter',
    description: 'For side projects.',
    price_amount: 900,
    benefits: [{ id: 'ben_1', type: 'custom', description: 'One project' }],
  }),
  product({
    id: 'prod_pro',
    name: 'Pro',
    description: 'For teams.',
    price_amount: 2900,
    metadata: { highlight: true },
    benefits: [
      { id: 'ben_2', type: 'custom', description: 'Unlimited projects' },
      { id: 'ben_3', type: 'discord', description: 'Private Discord' },
    ],
  }),
  product({ id: 'prod_pro_year', name: 'Pro Yearly', recurring_interval: 'year', price_amount: 29000 }),
  product({
    id: 'prod_starter_year',
    name: 'Starter Yearly',
    recurring_interval: 'year',
    price_amount: 9000,
  }),
];

export function problem(code: Problem['code'], status: number): Problem {
  return { type: 'about:blank', title: code, status, code };
}

export function checkoutResponse(checkoutOrigin: string, secret = 'polar_c_ok'): CheckoutResponse {
  return {
    checkout_id: `co_${secret}`,
    checkout_url: `${checkoutOrigin}/checkout/${secret}`,
    client_secret: secret,
    expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    status: 'open',
  };
}

export const PAID_ORDER: OrderSummary = {
  id: 'order_123',
  status: 'paid',
  paid: true,
  product_id: 'prod_pro',
  product_name: 'Pro',
  total_amount: 2900,
  currency: 'usd',
  billing_reason: 'subscription_create',
  subscription_id: 'sub_1',
  checkout_id: 'co_polar_c_ok',
  customer_email: 'buyer@example.com',
  created_at: '2026-11-23T10:00:00Z',
};

export function statusResponse(overrides: Partial<CheckoutStatusResponse> = {}): CheckoutStatusResponse {
  return {
    checkout_id: 'co_polar_c_ok',
    status: 'open',
    product: { id: 'prod_pro', name: 'Pro' },
    amount: 2900,
    currency: 'usd',
    order: null,
    subscription: null,
    ...overrides,
  };
}

/** Answers `GET /api/products` with `body` (JSON) or a problem. */
export async function routeProducts(page: Page, body: Product[] | Problem, status = 200): Promise<void> {
  await page.route('**/api/products', (route) =>
    route.fulfill({
      status,
      contentType: status < 400 ? 'application/json' : 'application/problem+json',
      body: JSON.stringify(body),
    }),
  );
}

/** Records every event the widget fires, in `window.__events`. */
export async function recordEvents(page: Page): Promise<void> {
  await page.addInitScript(() => {
    const events: Array<{ type: string; detail: unknown; cancelable: boolean }> = [];
    (window as unknown as { __events: typeof events }).__events = events;
    for (const type of [
      'polar-checkout-start',
      'polar-checkout-open',
      'polar-checkout-confirmed',
      'polar-checkout-success',
      'polar-checkout-close',
      'polar-interval-change',
      'polar-error',
    ]) {
      document.addEventListener(type, (event) =>
        events.push({ type, detail: (event as CustomEvent).detail, cancelable: event.cancelable }),
      );
    }
  });
}

export async function events(
  page: Page,
): Promise<Array<{ type: string; detail: unknown; cancelable: boolean }>> {
  return page.evaluate(() => (window as unknown as { __events: [] }).__events);
}

/** Runs axe on the page (minus `exclude`) and expects no violations, listing them by rule and element if any. */
export async function expectNoAxeViolations(page: Page, exclude?: string): Promise<void> {
  const builder = new AxeBuilder({ page });
  if (exclude) builder.exclude(exclude);
  const results = await builder.analyze();
  expect(
    results.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).join(', ')}`),
  ).toEqual([]);
}
