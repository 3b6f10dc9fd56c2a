import { createHash } from 'node:crypto';
import { Router } from 'express';
import type { Request, Response } from 'express';
import { z } from 'zod';
import { CHECKOUT_ID_PLACEHOLDER } from '../../../contract/contract.js';
import type { CheckoutResponse, CheckoutStatus, CheckoutStatusResponse } from '../../../contract/contract.js';
import { parseOrigin } from '../../config.js';
import { AppError } from '../../errors.js';
import type { Logger } from '../../logger.js';
import type { PolarCheckout, PolarGateway } from '../../polar/gateway.js';
import type { ProductCatalog } from '../../product-catalog.js';
import { hasAdminToken } from '../admin-auth.js';
import { createRateLimit } from '../rate-limit.js';
import type { OriginPolicy } from '../origins.js';
import { parseBody } from '../validation.js';

/** What the checkout routes need to know about a checkout the kit stored. */
export type StoredCheckout = {
  id: string;
  status: CheckoutStatus;
  url: string;
  clientSecret: string;
  expiresAt: string;
  requestHash: string | null;
  /** Polar's customer, once the buyer confirmed. */
  customerId: string | null;
  externalCustomerId: string | null;
};

/** The checkout records the routes read and write (backed by the checkouts repository). */
export type CheckoutRecords = {
  /**
   * Records a checkout the kit just created and returns it as stored. The commit need not be synced to disk
   * (see `GET /checkout/:id`): it must survive the process being killed, not a power cut.
   */
  insert(
    polarCheckout: PolarCheckout,
    options: { idempotencyKey?: string; requestHash?: string },
  ): StoredCheckout;
  get(id: string): StoredCheckout | null;
  findByIdempotencyKey(key: string): StoredCheckout | null;
  upsertFromPolar(polarCheckout: PolarCheckout): void;
  /** The status answer, from the kit's own tables (order and subscription appear once their webhooks did). */
  status(id: string): CheckoutStatusResponse | null;
};

/** The host application's customer for this request (its id becomes Polar's `external_customer_id`). */
export type IdentifyCustomer = (
  req: Request,
) => string | null | undefined | Promise<string | null | undefined>;

export type CheckoutDeps = {
  gateway: PolarGateway;
  catalog: ProductCatalog;
  checkouts: CheckoutRecords;
  origins: OriginPolicy;
  /** The default success URL; may contain `{CHECKOUT_ID}`. */
  successUrl: string;
  adminToken: string | null;
  identify?: IdentifyCustomer;
  logger: Logger;
  /** Checkout creations per client IP per minute. @default 60 */
  createLimitPerMinute?: number;
  /**
   * A polled open checkout is re-read from Polar at most this often (polls in between answer from the
   * database), so a page polling every second cannot use up the shop's Polar rate limit. @default 2000
   */
  statusRefreshIntervalMs?: number;
  /**
   * Status polls per client IP per minute for checkouts the kit has no record of, each of which asks Polar.
   * @default 30
   */
  recoverLimitPerMinute?: number;
  now?: () => number;
};

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const REFRESHABLE: ReadonlySet<CheckoutStatus> = new Set(['open', 'confirmed']);

const metadataValue = z.union([z.string().max(500), z.number().finite(), z.boolean()]);

/** `POST /api/checkout` body. Unknown keys are refused, so a typo is not silently dropped. */
export const CheckoutRequestSchema = z.strictObject({
  product_id: z.string().regex(GUID, 'must be a product id (UUID)'),
  email: z.email('must be an email address').max(320).optional(),
  customer_name: z.string().trim().min(1).max(256).optional(),
  metadata: z
    .record(z.string().min(1).max(40), metadataValue)
    .refine((value) => Object.keys(value).length <= 50, 'at most 50 keys')
    .optional(),
  success_url: z.string().min(1).max(2048).optional(),
  embed_origin: z.string().min(1).max(2048).optional(),
  discount_code: z.string().trim().min(1).max(256).optional(),
  amount: z.number().int().min(0).max(999_999_999).optional(),
  /** Only honoured with the admin token; browsers never choose whose checkout it is. */
  external_customer_id: z.string().trim().min(1).max(256).optional(),
});
type CheckoutRequestBody = z.infer<typeof CheckoutRequestSchema>;

/** `POST /checkout` and `GET /checkout/:id`. */
export function checkoutRouter(deps: CheckoutDeps): Router {
  const router = Router();
  const inFlight = new Map<string, Promise<CheckoutResponse>>();
  const refresher = createCheckoutRefresher(deps);
  const recovery = createCheckoutRecovery(deps);

  const createLimiter = createRateLimit({
    limit: deps.createLimitPerMinute ?? 60,
    detail: 'Too many checkouts from this address; try again in a minute.',
    logger: deps.logger,
  });
  const recoverLimiter = createRateLimit({
    limit: deps.recoverLimitPerMinute ?? 30,
    detail: 'Too many lookups of unknown checkouts from this address; try again in a minute.',
    logger: deps.logger,
  });

  router.post('/checkout', createLimiter, async (req, res) => {
    const body = parseBody(CheckoutRequestSchema, req);
    const key = req.get('idempotency-key');
    if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
      throw new AppError('VALIDATION_FAILED', {
        detail: 'Idempotency-Key must be 1 to 255 visible ASCII characters.',
        errors: [{ path: 'Idempotency-Key', code: 'INVALID_IDEMPOTENCY_KEY' }],
      });
    }
    const externalCustomerId = await resolveExternalCustomer(deps, req, body);
    if (key === undefined) {
      // The checkout is recorded before the buyer is answered, so a status poll or a crash right after the
      // answer never finds the kit without it.
      res.status(201).json(await createCheckout(deps, req, body, externalCustomerId, {}));
      return;
    }
    const requestHash = hashRequest(body, externalCustomerId);
    const existing = deps.checkouts.findByIdempotencyKey(key);
    if (existing) {
      res.setHeader('Idempotent-Replayed', 'true');
      res.status(201).json(replay(existing, requestHash));
      return;
    }
    let pending = inFlight.get(key);
    if (pending === undefined) {
      pending = createCheckout(deps, req, body, externalCustomerId, {
        idempotencyKey: key,
        requestHash,
      }).finally(() => inFlight.delete(key));
      inFlight.set(key, pending);
      res.status(201).json(await pending);
      return;
    }
    // Same key while the first request is still talking to Polar: wait for it, then answer like a replay.
    await pending.catch(() => undefined);
    const stored = deps.checkouts.findByIdempotencyKey(key);
    if (!stored) return void res.status(201).json(await pending);
    res.setHeader('Idempotent-Replayed', 'true');
    res.status(201).json(replay(stored, requestHash));
  });

  router.get<'/checkout/:id'>(
    '/checkout/:id',
    async (req, res, next) => {
      const id = req.params.id;
      if (!GUID.test(id)) throw checkoutNotFound();
      const stored = deps.checkouts.get(id);
      // No record: on to the rate limit and Polar below.
      if (!stored) return next();
      if (REFRESHABLE.has(stored.status)) await refresher.refresh(id);
      answerStatus(res, id);
    },
    recoverLimiter,
    async (req, res) => {
      const id = req.params.id;
      // Polar holds every checkout it created, so a checkout whose record did not survive a power cut (see
      // `createCheckout`) is read back from Polar and recorded again before the poll is answered.
      if (!deps.checkouts.get(id) && !(await recovery.recover(id))) throw checkoutNotFound();
      answerStatus(res, id);
    },
  );

  function answerStatus(res: Response, id: string): void {
    const status = deps.checkouts.status(id);
    if (!status) throw checkoutNotFound();
    res.setHeader('Cache-Control', 'no-store');
    res.json(status);
  }

  return router;
}

/** The most checkout ids whose last Polar lookup time is kept. */
const MAX_TRACKED = 10_000;

/** Records when `id` was last looked up, as the newest entry; the oldest is forgotten once there are too many. */
function remember(times: Map<string, number>, id: string, at: number): void {
  times.delete(id);
  times.set(id, at);
  if (times.size > MAX_TRACKED) times.delete(times.keys().next().value!);
}

/**
 * Reads checkouts the kit has no record of from Polar and records them: one call at a time per checkout
 * (concurrent polls share it), and an id Polar does not know is not asked about again for
 * `statusRefreshIntervalMs`. A Polar failure is thrown (`POLAR_UNAVAILABLE`, which the page retries), since
 * the checkout may exist.
 */
function createCheckoutRecovery(deps: CheckoutDeps): { recover(id: string): Promise<boolean> } {
  const interval = deps.statusRefreshIntervalMs ?? 2_000;
  const now = deps.now ?? Date.now;
  const unknown = new Map<string, number>();
  const running = new Map<string, Promise<boolean>>();

  return {
    recover(id) {
      const pending = running.get(id);
      if (pending) return pending;
      const missed = unknown.get(id);
      if (missed !== undefined && now() - missed < interval) return Promise.resolve(false);
      const run = (async () => {
        const checkout = await deps.gateway.getCheckout(id);
        if (checkout === null) {
          remember(unknown, id, now());
          return false;
        }
        deps.checkouts.upsertFromPolar(checkout);
        deps.logger.info({ checkoutId: id }, 'checkout recorded from Polar for a status poll');
        return true;
      })().finally(() => running.delete(id));
      running.set(id, run);
      return run;
    },
  };
}

/**
 * Re-reads open checkouts from Polar for status polls: one call at a time per checkout (concurrent polls
 * share it) and at most one per `statusRefreshIntervalMs`. A failure is logged and the poll answers from
 * the database.
 */
function createCheckoutRefresher(deps: CheckoutDeps): { refresh(id: string): Promise<void> } {
  const interval = deps.statusRefreshIntervalMs ?? 2_000;
  const now = deps.now ?? Date.now;
  const lastRefresh = new Map<string, number>();
  const running = new Map<string, Promise<void>>();

  return {
    refresh(id) {
      const pending = running.get(id);
      if (pending) return pending;
      const last = lastRefresh.get(id);
      if (last !== undefined && now() - last < interval) return Promise.resolve();
      const run = (async () => {
        try {
          const fresh = await deps.gateway.getCheckout(id);
          if (fresh) deps.checkouts.upsertFromPolar(fresh);
        } catch (error) {
          // The page keeps polling; answering from the database is better than failing the poll.
          deps.logger.warn({ err: error, checkoutId: id }, 'checkout refresh from Polar failed');
        } finally {
          running.delete(id);
          remember(lastRefresh, id, now());
        }
      })();
      running.set(id, run);
      return run;
    },
  };
}

async function createCheckout(
  deps: CheckoutDeps,
  req: Request,
  body: CheckoutRequestBody,
  externalCustomerId: string | undefined,
  idempotency: { idempotencyKey?: string; requestHash?: string },
): Promise<CheckoutResponse> {
  const checkout = await openCheckout(deps, req, body, externalCustomerId);
  // Recorded before the buyer is answered, so a replay of the Idempotency-Key and a status poll find it,
  // also after the process is killed. The commit is not synced to disk (SQLite WAL with synchronous=NORMAL:
  // about 0.4 ms less per checkout here, and far more on a busy disk), so a power cut or an OS crash before
  // the next synced commit can lose the record; Polar still holds the checkout, and `GET /checkout/:id`
  // records it again from there (its webhooks do too). What such a power cut can cost is the
  // Idempotency-Key: a retry with the same key then creates a second, unpaid checkout session.
  const stored = deps.checkouts.insert(checkout, idempotency);
  // Answer from what was stored, so a replay of this request answers byte for byte the same.
  return toResponse(stored);
}

/** Validates the request against the kit's settings and the catalogue, then creates the checkout at Polar. */
async function openCheckout(
  deps: CheckoutDeps,
  req: Request,
  body: CheckoutRequestBody,
  externalCustomerId: string | undefined,
): Promise<PolarCheckout> {
  const successUrl = body.success_url ?? deps.successUrl;
  if (body.success_url !== undefined && !deps.origins.allowsUrl(successUrl)) {
    throw new AppError('ORIGIN_NOT_ALLOWED', {
      detail: 'success_url must be an http(s) URL on an allowed origin (KIT_ALLOWED_ORIGINS).',
      errors: [{ path: 'success_url', code: 'ORIGIN_NOT_ALLOWED' }],
    });
  }
  if (successUrl.includes(CHECKOUT_ID_PLACEHOLDER) && !isPlaceholderInQuery(successUrl)) {
    throw new AppError('VALIDATION_FAILED', {
      detail: `${CHECKOUT_ID_PLACEHOLDER} only works in the query of success_url, e.g. ?checkout_id=${CHECKOUT_ID_PLACEHOLDER}.`,
      errors: [{ path: 'success_url', code: 'PLACEHOLDER_NOT_IN_QUERY' }],
    });
  }
  const embedOrigin = resolveEmbedOrigin(deps, req, body);
  const product = await deps.catalog.requirePurchasable(body.product_id);
  const discountId =
    body.discount_code === undefined ? undefined : await findDiscount(deps, body.discount_code);

  const checkout = await deps.gateway.createCheckout({
    productId: product.id,
    successUrl,
    ...(body.email !== undefined ? { customerEmail: body.email } : {}),
    ...(body.customer_name !== undefined ? { customerName: body.customer_name } : {}),
    ...(body.metadata !== undefined ? { metadata: body.metadata } : {}),
    ...(embedOrigin !== undefined ? { embedOrigin } : {}),
    ...(externalCustomerId !== undefined ? { externalCustomerId } : {}),
    ...(discountId !== undefined ? { discountId } : {}),
    ...(body.amount !== undefined ? { amount: body.amount } : {}),
  });
  return checkout;
}

async function resolveExternalCustomer(
  deps: CheckoutDeps,
  req: Request,
  body: CheckoutRequestBody,
): Promise<string | undefined> {
  if (body.external_customer_id !== undefined) {
    if (!hasAdminToken(req.get('authorization'), deps.adminToken)) {
      throw new AppError('FORBIDDEN', {
        detail:
          'external_customer_id is set by the shop (identify hook or admin token), never by the browser.',
        errors: [{ path: 'external_customer_id', code: 'NOT_ALLOWED_FROM_BROWSER' }],
      });
    }
    return body.external_customer_id;
  }
  if (!deps.identify) return undefined;
  const id = await deps.identify(req);
  return typeof id === 'string' && id.length > 0 ? id : undefined;
}

function resolveEmbedOrigin(deps: CheckoutDeps, req: Request, body: CheckoutRequestBody): string | undefined {
  if (body.embed_origin !== undefined) {
    const origin = parseOrigin(body.embed_origin);
    if (origin === null || !deps.origins.allows(origin)) {
      throw new AppError('ORIGIN_NOT_ALLOWED', {
        detail: 'embed_origin must be the origin (scheme://host[:port]) of a page on an allowed origin.',
        errors: [{ path: 'embed_origin', code: 'ORIGIN_NOT_ALLOWED' }],
      });
    }
    return origin;
  }
  // A browser's own Origin header: the page that asked is the page that will embed the checkout.
  const header = req.get('origin');
  if (header === undefined) return undefined;
  const origin = parseOrigin(header);
  return origin !== null && deps.origins.allows(origin) ? origin : undefined;
}

async function findDiscount(deps: CheckoutDeps, code: string): Promise<string> {
  const id = await deps.gateway.findDiscountIdByCode(code);
  if (id === null) {
    throw new AppError('VALIDATION_FAILED', {
      detail: 'That discount code does not exist.',
      errors: [{ path: 'discount_code', code: 'UNKNOWN_DISCOUNT_CODE' }],
    });
  }
  return id;
}

function checkoutNotFound(): AppError {
  return new AppError('CHECKOUT_NOT_FOUND', {
    detail: 'Neither the kit nor Polar knows a checkout with that id.',
  });
}

function replay(existing: StoredCheckout, requestHash: string): CheckoutResponse {
  if (existing.requestHash !== requestHash) {
    throw new AppError('IDEMPOTENCY_KEY_REUSED', {
      detail: 'This Idempotency-Key was already used with a different request body; use a new key.',
    });
  }
  return toResponse(existing);
}

function toResponse(
  stored: Pick<StoredCheckout, 'id' | 'url' | 'clientSecret' | 'expiresAt' | 'status'>,
): CheckoutResponse {
  return {
    checkout_id: stored.id,
    checkout_url: stored.url,
    client_secret: stored.clientSecret,
    expires_at: stored.expiresAt,
    status: stored.status,
  };
}

/** A stable hash of what the request asks for (keys sorted), so a retried request matches its first try. */
function hashRequest(body: CheckoutRequestBody, externalCustomerId: string | undefined): string {
  return createHash('sha256')
    .update(canonicalJson({ ...body, external_customer_id: externalCustomerId ?? null }))
    .digest('hex');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function isPlaceholderInQuery(url: string): boolean {
  const queryStart = url.indexOf('?');
  const hashStart = url.indexOf('#');
  const at = url.indexOf(CHECKOUT_ID_PLACEHOLDER);
  return queryStart !== -1 && at > queryStart && (hashStart === -1 || at < hashStart);
}
