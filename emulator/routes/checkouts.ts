/**
 * Checkout sessions: the server API (`POST/GET /v1/checkouts/`) and the public client endpoints the hosted
 * page uses (`/v1/checkouts/client/{client_secret}`, with its event stream `.../stream`).
 */
import express from 'express';
import { z } from 'zod';
import type { CheckoutStream } from '../checkout-stream.js';
import { checkoutJson } from '../objects.js';
import type { EmulatorStore } from '../store.js';
import { byList, byMetadata, paginate, parse } from './query.js';
import { addressInput, email, httpUrl, metadataInput } from './schemas.js';

const createBody = z.object({
  products: z.array(z.string()).min(1),
  customer_email: email.nullable().optional(),
  customer_name: z.string().nullable().optional(),
  external_customer_id: z.string().min(1).nullable().optional(),
  customer_external_id: z.string().min(1).nullable().optional(),
  customer_id: z.string().nullable().optional(),
  metadata: metadataInput.optional(),
  customer_metadata: metadataInput.optional(),
  success_url: httpUrl.nullable().optional(),
  return_url: httpUrl.nullable().optional(),
  embed_origin: z.string().nullable().optional(),
  amount: z.number().int().min(0).nullable().optional(),
  discount_id: z.string().nullable().optional(),
  allow_discount_codes: z.boolean().optional(),
  require_billing_address: z.boolean().optional(),
  allow_trial: z.boolean().nullable().optional(),
  is_business_customer: z.boolean().optional(),
  customer_billing_address: addressInput.nullable().optional(),
  locale: z.string().nullable().optional(),
});

const clientUpdateBody = z.object({
  customer_email: email.nullable().optional(),
  customer_name: z.string().nullable().optional(),
  amount: z.number().int().min(0).nullable().optional(),
  product_id: z.string().nullable().optional(),
  discount_code: z.string().nullable().optional(),
});

const cardBody = z.object({
  number: z.string().min(1),
  exp_month: z.coerce.number().int(),
  exp_year: z.coerce.number().int(),
  cvc: z.string(),
  name: z.string().nullable().optional(),
});

const confirmBody = z.object({
  customer_email: email.nullable().optional(),
  customer_name: z.string().nullable().optional(),
  amount: z.number().int().min(0).nullable().optional(),
  card: cardBody.nullable().optional(),
  discount_code: z.string().nullable().optional(),
});

/** Options of {@link checkoutsRouter}. */
export type CheckoutsRouterOptions = {
  /** Where the client stream's messages come from. */
  stream: CheckoutStream;
  /**
   * How often an idle stream sends a comment line, so proxies and browsers keep it open (Polar's SSE responses
   * ping every 15 s).
   * @default 15_000
   */
  heartbeatMs?: number;
};

const DEFAULT_HEARTBEAT_MS = 15_000;

export function checkoutsRouter(store: EmulatorStore, options: CheckoutsRouterOptions): express.Router {
  const heartbeatMs = options.heartbeatMs ?? DEFAULT_HEARTBEAT_MS;
  if (!(heartbeatMs > 0))
    throw new RangeError(`checkoutsRouter: heartbeatMs must be > 0 (milliseconds), got ${heartbeatMs}.`);
  const router = express.Router();
  router.post('/', (req, res) => {
    const body = parse(createBody, req.body);
    const checkout = store.createCheckout({
      ...body,
      external_customer_id: body.external_customer_id ?? body.customer_external_id ?? null,
    });
    res.status(201).json(checkoutJson(checkout, store.ctx));
  });
  router.get('/', (req, res) => {
    const items = store.state.checkouts
      .filter(byList(req, 'organization_id', () => store.organization.id))
      .filter(byList(req, 'product_id', (c) => c.product_id))
      .filter(byMetadata(req))
      .filter(byList(req, 'customer_id', (c) => c.customer_id))
      .filter(byList(req, 'external_customer_id', (c) => c.external_customer_id))
      .filter(byList(req, 'status', (c) => c.status));
    res.json(paginate(req, items, (c) => checkoutJson(c, store.ctx)));
  });

  router.get('/client/:clientSecret', (req, res) => {
    res.json(checkoutJson(store.checkoutByClientSecret(req.params.clientSecret), store.ctx));
  });
  router.patch('/client/:clientSecret', (req, res) => {
    const body = parse(clientUpdateBody, req.body);
    res.json(checkoutJson(store.updateCheckoutClient(req.params.clientSecret, body), store.ctx));
  });
  // Server-sent events, one `data:` line of `{"key", "payload"}` JSON per message, from now on (pub/sub).
  router.get('/client/:clientSecret/stream', (req, res) => {
    const checkout = store.checkoutByClientSecret(req.params.clientSecret);
    res.status(200).set({
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache',
      'X-Accel-Buffering': 'no',
    });
    // Headers go out now, so the browser's EventSource opens before anything is published.
    res.flushHeaders();
    const unsubscribe = options.stream.subscribe(checkout.client_secret, (message) => {
      res.write(`data: ${JSON.stringify(message)}\n\n`);
    });
    const heartbeat = setInterval(() => res.write(`: ping - ${new Date().toISOString()}\n\n`), heartbeatMs);
    heartbeat.unref();
    res.on('close', () => {
      clearInterval(heartbeat);
      unsubscribe();
    });
  });
  router.post('/client/:clientSecret/confirm', (req, res) => {
    const body = parse(confirmBody, req.body);
    const checkout = store.confirmCheckout(req.params.clientSecret, body);
    // Polar's confirm answer carries a customer session token once the customer exists.
    const token =
      checkout.status === 'succeeded' && checkout.customer_id
        ? store.createSession({ customer_id: checkout.customer_id }).token
        : null;
    const json: Record<string, unknown> = {
      ...checkoutJson(checkout, store.ctx),
      customer_session_token: token,
    };
    // Polar answers a confirm with the checkout as confirmed (status "confirmed") and settles the payment
    // afterwards; API clients (the SDKs' strict schemas) get exactly that. The emulator settles at once, so
    // the hosted page (a same-origin browser request, or one carrying the emulator's `card`) gets the outcome.
    const fromHostedPage = Boolean(body.card) || req.get('sec-fetch-site') === 'same-origin';
    if (!fromHostedPage && checkout.status === 'succeeded') json.status = 'confirmed';
    res.json(json);
  });

  router.get('/:id', (req, res) => {
    res.json(checkoutJson(store.checkoutById(req.params.id), store.ctx));
  });
  return router;
}

/** Paths under `/v1/checkouts` that need no access token (the hosted page calls them, the stream included). */
export function isPublicCheckoutPath(path: string): boolean {
  return path.startsWith('/v1/checkouts/client/');
}

/** The checkout event stream's path, `/v1/checkouts/client/{client_secret}/stream`. */
export function isCheckoutStreamPath(path: string): boolean {
  return /^\/v1\/checkouts\/client\/[^/]+\/stream\/?$/.test(path);
}
