/**
 * The backend kit's public entry: `createKit(options)` gives an Express router to mount under `/api`, plus
 * direct answers to "what has this customer paid for?" from the kit's own SQLite database.
 */
import { readFileSync } from 'node:fs';
import type { Router } from 'express';
import type { AccessResponse, OrderSummary, UsageEvent } from '../contract/contract.js';
import type { PolarServer } from './config.js';
import { createAccessQueries } from './db/access.js';
import { createCheckoutStore } from './db/checkouts.js';
import { openDatabase } from './db/open.js';
import { createProductStore } from './db/products.js';
import { createStatsQueries } from './db/stats.js';
import { createUsageOutbox } from './db/usage-outbox.js';
import type { OutboxCounts } from './db/usage-outbox.js';
import { createWebhookEventPages } from './db/webhook-event-pages.js';
import { createApiRouter } from './http/api-router.js';
import { createOriginPolicy } from './http/origins.js';
import { API_ROUTE_DOCS } from './http/routes/api-route-docs.js';
import type { IdentifyCustomer } from './http/routes/checkout.js';
import { licenseKeysRouter } from './http/routes/license-keys.js';
import { openapiRouter } from './http/routes/openapi.js';
import { statsRouter } from './http/routes/stats.js';
import { usageRouter } from './http/routes/usage.js';
import { webhookEventsRouter } from './http/routes/webhook-events.js';
import { webhookListener, webhooksRouter } from './http/routes/webhooks.js';
import type { WebhookListener } from './http/routes/webhooks.js';
import { createSilentLogger } from './logger.js';
import type { Logger } from './logger.js';
import { createPolarGateway } from './polar/gateway.js';
import type { PolarGateway } from './polar/gateway.js';
import { createProductCatalog } from './product-catalog.js';
import { createReconciler, scheduleReconcile } from './reconcile.js';
import type { ReconcileReport, ReconcileRunOptions, Reconciler } from './reconcile.js';
import { createUsageFlusher } from './usage/flusher.js';
import type { UsageFlusher } from './usage/flusher.js';
import { acceptUsageEvents } from './usage/usage-events.js';
import { createWebhookIngest } from './webhooks/ingest.js';
import type { WebhookHooks, WebhookIngest } from './webhooks/ingest.js';

export type { IdentifyCustomer } from './http/routes/checkout.js';
export type { WebhookHooks } from './webhooks/ingest.js';
export type { WebhookListener } from './http/routes/webhooks.js';
export type { Logger } from './logger.js';
export type { ReconcileCounts, ReconcileReport, ReconcileRunOptions } from './reconcile.js';

/**
 * Options mirror the environment variables of the standalone kit, plus the host application's hooks.
 * The webhook callbacks (`onOrderPaid`, `onSubscriptionActive`, …, `onEvent`) run after the event is committed;
 * a callback that throws is logged and does not lose or fail the event.
 */
export type KitOptions = WebhookHooks & {
  /** `POLAR_ACCESS_TOKEN`. Any non-empty token works against the emulator. */
  accessToken: string;
  /** `POLAR_WEBHOOK_SECRET`: the secret of the webhook endpoint that points at `/api/webhooks/polar`. */
  webhookSecret: string;
  /** `POLAR_SERVER`. `local` needs `apiUrl`. @default 'sandbox' */
  server?: PolarServer;
  /** `POLAR_API_URL`: any Polar-compatible base URL; overrides `server`'s. */
  apiUrl?: string | null;
  /** `POLAR_ORGANIZATION_ID`. */
  organizationId?: string | null;
  /** `DATABASE_PATH` (a file, or `:memory:`). @default './data/kit.sqlite' */
  databasePath?: string;
  /**
   * `DATABASE_SYNCHRONOUS`: `full` makes every acknowledged webhook survive a power cut (an fsync per commit);
   * `normal` survives a process crash only. @default 'full'
   */
  databaseSynchronous?: 'full' | 'normal';
  /** `PUBLIC_URL`: where the kit is reachable; its origin is always allowed. @default 'http://localhost:8000' */
  publicUrl?: string;
  /**
   * `KIT_ALLOWED_ORIGINS`: browser origins that may call the API, embed checkouts and receive buyers.
   * `'loopback'` = any localhost origin. @default 'loopback' when `server` is local, else []
   */
  allowedOrigins?: readonly string[] | 'loopback';
  /** `KIT_SUCCESS_URL`. @default '{publicUrl}/success.html?checkout_id={CHECKOUT_ID}' */
  successUrl?: string;
  /** `KIT_ADMIN_TOKEN`; `null` locks the admin endpoints. @default null */
  adminToken?: string | null;
  /** The logged-in customer of the host app, sent to Polar as `external_customer_id`. */
  identify?: IdentifyCustomer;
  /** @default a silent logger */
  logger?: Logger;
  /** How long the product list is served from the cache before it is fetched again. @default 300_000 */
  productsTtlMs?: number;
  /** Timeout of each Polar call, in seconds. @default 10 */
  polarTimeoutSeconds?: number;
  /** Checkout creations per client IP per minute. @default 60 */
  checkoutLimitPerMinute?: number;
  /** A polled open checkout is re-read from Polar at most this often. @default 2000 */
  checkoutRefreshIntervalMs?: number;
  /** License-key requests per client IP per minute. @default 60 */
  licenseKeyLimitPerIpPerMinute?: number;
  /** License-key requests per license key per minute. @default 20 */
  licenseKeyLimitPerKeyPerMinute?: number;
  /** Usage outbox sending: check interval, first retry delay and longest retry delay, in ms. */
  usageFlush?: { intervalMs?: number; retryBaseMs?: number; retryMaxMs?: number; batchSize?: number };
  /** Send the usage outbox in the background. `false` leaves it to `kit.flushUsage()`. @default true */
  usageFlushing?: boolean;
  /**
   * Reconcile with Polar's list endpoints this often (at least 1000 ms), healing what lost webhooks missed.
   * Off by default; `kit.reconcile()` and `polar-kit reconcile` run it on demand.
   */
  reconcileIntervalMs?: number | null;
};

export type Kit = {
  /** Mount with `app.use('/api', kit.router)`. */
  router: Router;
  /**
   * The router's `POST /webhooks/polar` handler as a plain Node listener `(req, res, next)`, for a server that
   * dispatches Polar's deliveries ahead of its own middleware (the standalone kit does); `next` receives the
   * errors, for a problem response. The request's body must not have been read.
   */
  webhookHandler: WebhookListener;
  /** What the customer (external id, Polar customer id or email) has access to now; `null` if unknown. */
  access(key: string): AccessResponse | null;
  /** The customer's orders, newest first. */
  orders(email: string): OrderSummary[];
  /** Fetches the product catalogue from Polar now (the kit also does it on demand after its TTL). */
  refreshProducts(): Promise<void>;
  /**
   * Records usage events for usage-based billing: stored in the outbox at once (an `external_id` already
   * stored is skipped) and sent to Polar in the background, retried until Polar accepts them.
   * @returns how many were new
   * @throws {AppError} VALIDATION_FAILED
   * @example kit.ingest([{ name: 'api_call', external_customer_id: user.id, metadata: { tokens: 812 } }]);
   */
  ingest(events: readonly UsageEvent[]): number;
  /** Sends every due usage event now (the background sender does it on its own). */
  flushUsage(): Promise<{ sent: number; failed: number; retrying: number }>;
  /** Counts of usage events pending, sent and rejected by Polar. */
  usageOutbox(): OutboxCounts;
  /**
   * Reads orders, subscriptions, customers and refunds changed since the last run from Polar and stores
   * whatever the webhooks missed; never overwrites a newer state.
   * @throws {AppError} POLAR_UNAVAILABLE, POLAR_RATE_LIMITED
   */
  reconcile(options?: ReconcileRunOptions): Promise<ReconcileReport>;
  /** Closes the database. Mounted routes fail afterwards. */
  close(): Promise<void>;
};

/** Every webhook callback name (a compile error here means a callback was added to `WebhookHooks`). */
const HOOKS: Record<keyof WebhookHooks, true> = {
  onEvent: true,
  onCheckoutCreated: true,
  onCheckoutUpdated: true,
  onCheckoutExpired: true,
  onCustomerCreated: true,
  onCustomerUpdated: true,
  onCustomerDeleted: true,
  onCustomerStateChanged: true,
  onOrderCreated: true,
  onOrderPaid: true,
  onOrderUpdated: true,
  onOrderRefunded: true,
  onSubscriptionCreated: true,
  onSubscriptionUpdated: true,
  onSubscriptionActive: true,
  onSubscriptionCanceled: true,
  onSubscriptionUncanceled: true,
  onSubscriptionRevoked: true,
  onSubscriptionPastDue: true,
  onSubscriptionCycled: true,
  onRefundCreated: true,
  onRefundUpdated: true,
  onBenefitCreated: true,
  onBenefitUpdated: true,
  onBenefitGrantCreated: true,
  onBenefitGrantUpdated: true,
  onBenefitGrantRevoked: true,
  onBenefitGrantCycled: true,
  onProductCreated: true,
  onProductUpdated: true,
  onOrganizationUpdated: true,
};
const HOOK_NAMES = Object.keys(HOOKS) as Array<keyof WebhookHooks>;

/**
 * Creates the kit: opens (and migrates) the database, builds the Polar gateway and the routes.
 * Options are checked here, once; a bad one throws with the setting's name and the fix.
 * @example
 * // `secrets` is wherever the host app keeps its configuration.
 * const kit = createKit({ accessToken: secrets.polarAccessToken, webhookSecret: secrets.polarWebhookSecret,
 *   identify: (req) => req.user?.id, onOrderPaid: (event) => grantLicense(event.data) });
 * app.use('/api', kit.router);
 * if (kit.access(user.id)?.active) showPremium();
 */
export function createKit(options: KitOptions): Kit {
  checkOptions(options);
  const logger = options.logger ?? createSilentLogger();
  const server = options.server ?? 'sandbox';
  const publicUrl = (options.publicUrl ?? 'http://localhost:8000').replace(/\/+$/, '');
  const origins = createOriginPolicy(
    options.allowedOrigins ?? (server === 'local' ? 'loopback' : []),
    publicUrl,
  );
  const gateway: PolarGateway = createPolarGateway({
    accessToken: options.accessToken,
    server,
    baseUrl: options.apiUrl ?? null,
    organizationId: options.organizationId ?? null,
    timeoutSeconds: options.polarTimeoutSeconds ?? 10,
  });

  const db = openDatabase({
    path: options.databasePath ?? './data/kit.sqlite',
    synchronous: options.databaseSynchronous ?? 'full',
  });
  let router: Router;
  let queries: ReturnType<typeof createAccessQueries>;
  let catalog: ReturnType<typeof createProductCatalog>;
  let outbox: ReturnType<typeof createUsageOutbox>;
  let flusher: UsageFlusher;
  let reconciler: Reconciler;
  let reconcileSchedule: { stop(): Promise<void> } | null = null;
  let ingest: WebhookIngest;
  let webhookHandler: WebhookListener;
  try {
    const products = createProductStore(db);
    const checkouts = createCheckoutStore(db);
    queries = createAccessQueries(db);
    catalog = createProductCatalog({
      store: products,
      gateway,
      logger,
      ...(options.productsTtlMs !== undefined ? { ttlMs: options.productsTtlMs } : {}),
    });
    const hooks: WebhookHooks = {};
    for (const name of HOOK_NAMES) {
      const hook = (options as Record<string, unknown>)[name];
      if (typeof hook === 'function') (hooks as Record<string, unknown>)[name] = hook;
    }
    ingest = createWebhookIngest({ db, secret: options.webhookSecret, logger, hooks });
    webhookHandler = webhookListener({ ingest });
    const checkDatabase = db.prepare('SELECT 1');
    outbox = createUsageOutbox(db);
    flusher = createUsageFlusher({ outbox, gateway, logger, ...options.usageFlush });
    const webhookEventPages = createWebhookEventPages(db);
    const statsQueries = createStatsQueries(db);
    const adminToken = options.adminToken ?? null;

    router = createApiRouter({
      logger,
      origins,
      health: {
        version: VERSION,
        mode: server,
        checkDatabase: () => void checkDatabase.get(),
        pingPolar: () => gateway.ping(Math.min(3, options.polarTimeoutSeconds ?? 10)),
      },
      catalog,
      checkout: {
        gateway,
        checkouts: {
          insert: (checkout, idempotency) => checkouts.insert(checkout, idempotency),
          get: (id) => checkouts.get(id),
          findByIdempotencyKey: (key) => checkouts.findByIdempotencyKey(key),
          upsertFromPolar: (checkout) => void checkouts.upsertFromPolar(checkout),
          status: (id) => queries.checkoutStatus(id),
        },
        successUrl: options.successUrl ?? `${publicUrl}/success.html?checkout_id={CHECKOUT_ID}`,
        ...(options.identify ? { identify: options.identify } : {}),
        ...(options.checkoutLimitPerMinute !== undefined
          ? { createLimitPerMinute: options.checkoutLimitPerMinute }
          : {}),
        ...(options.checkoutRefreshIntervalMs !== undefined
          ? { statusRefreshIntervalMs: options.checkoutRefreshIntervalMs }
          : {}),
      },
      admin: { token: options.adminToken ?? null, queries },
      portal: {
        customerIdOf: (key) => queries.access(key)?.customer_id ?? null,
        returnUrl: publicUrl,
      },
      webhooks: webhooksRouter({ listener: webhookHandler }),
      ownBodyRoutes: [usageRouter({ adminToken, outbox, onAccepted: () => flusher.wake() })],
      services: [
        licenseKeysRouter({
          gateway,
          logger,
          ...(options.licenseKeyLimitPerIpPerMinute !== undefined
            ? { limitPerIpPerMinute: options.licenseKeyLimitPerIpPerMinute }
            : {}),
          ...(options.licenseKeyLimitPerKeyPerMinute !== undefined
            ? { limitPerKeyPerMinute: options.licenseKeyLimitPerKeyPerMinute }
            : {}),
        }),
        webhookEventsRouter({
          adminToken,
          list: (query) => webhookEventPages.list(query),
          replay: (id) => ingest.replay(id),
        }),
        statsRouter({ adminToken, stats: (range) => statsQueries.stats(range) }),
        openapiRouter({ routes: () => API_ROUTE_DOCS, version: VERSION }),
      ],
    });
    reconciler = createReconciler({ db, gateway, logger });
    if (options.reconcileIntervalMs != null)
      reconcileSchedule = scheduleReconcile(reconciler, options.reconcileIntervalMs, logger);
    if (options.usageFlushing !== false) flusher.start();
  } catch (error) {
    // A failure after the database opened must not leave it open.
    db.close();
    throw error;
  }

  let closed = false;
  return {
    router,
    webhookHandler,
    access: (key) => queries.access(key),
    orders: (email) => queries.ordersByEmail(email),
    refreshProducts: () => catalog.refresh(),
    ingest(events) {
      const accepted = acceptUsageEvents(outbox, events);
      flusher.wake();
      return accepted;
    },
    flushUsage: () => flusher.flush(),
    usageOutbox: () => outbox.counts(),
    reconcile: (runOptions) => reconciler.run(runOptions),
    async close() {
      if (closed) return;
      closed = true;
      await reconcileSchedule?.stop();
      await flusher.stop();
      // Webhook callbacks still running may read the database (kit.orders, kit.access): let them finish.
      await ingest.drain();
      db.close();
    },
  };
}

/** The kit's version, from its package.json. */
export const VERSION: string = readVersion();

function checkOptions(options: KitOptions): void {
  const problems: string[] = [];
  if (typeof options.accessToken !== 'string' || options.accessToken.length === 0) {
    problems.push('accessToken must be a non-empty string (POLAR_ACCESS_TOKEN).');
  }
  if (typeof options.webhookSecret !== 'string' || options.webhookSecret.length === 0) {
    problems.push(
      'webhookSecret must be a non-empty string (POLAR_WEBHOOK_SECRET, from your Polar webhook endpoint).',
    );
  }
  if ((options.server ?? 'sandbox') === 'local' && !options.apiUrl) {
    problems.push('server "local" needs apiUrl: the URL of a running emulator (POLAR_API_URL).');
  }
  if (options.adminToken !== undefined && options.adminToken !== null && options.adminToken.length < 16) {
    problems.push('adminToken must be at least 16 characters long (KIT_ADMIN_TOKEN).');
  }
  const interval = options.reconcileIntervalMs;
  if (interval !== undefined && interval !== null && !(Number.isFinite(interval) && interval >= 1000)) {
    problems.push('reconcileIntervalMs must be a number of milliseconds >= 1000, or null to turn it off.');
  }
  for (const name of Object.keys(options)) {
    if (name.startsWith('on') && !(HOOK_NAMES as readonly string[]).includes(name)) {
      const hint = HOOK_NAMES.find((hook) => hook.toLowerCase() === name.toLowerCase());
      problems.push(`${name} is not a webhook callback${hint ? ` (did you mean ${hint}?)` : ''}.`);
    }
  }
  if (problems.length > 0) throw new Error(`createKit: ${problems.join(' ')}`);
}

function readVersion(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return typeof pkg.version === 'string' ? pkg.version : '0.0.0';
  } catch {
    return '0.0.0';
  }
}
