/**
 * `createEmulator(options)`: a local Polar. Polar's REST API under `/v1` (with bearer auth), webhook
 * endpoints and signed deliveries, the control API under `/_emulator`, the hosted checkout and portal pages,
 * and a Polar-style 404 for everything else. State lives in memory, or in SQLite with `dataFile`.
 */
import express from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_CATALOG, parseCatalog, type Catalog, type CatalogInput } from './catalog.js';
import { createCheckoutStream } from './checkout-stream.js';
import { createClock } from './clock.js';
import { errorHandler, notFound, unauthorized } from './errors.js';
import { createFaultSwitches } from './faults.js';
import { pagesRouter } from './pages/router.js';
import { openStateFile, type StateFile } from './persistence.js';
import type { Organization, State } from './records.js';
import { checkoutsRouter, isCheckoutStreamPath, isPublicCheckoutPath } from './routes/checkouts.js';
import { controlRouter } from './routes/control.js';
import { discountsRouter } from './routes/discounts.js';
import { customerPortalRouter } from './routes/customer-portal.js';
import { customerSessionsRouter, customersRouter, eventsRouter } from './routes/customers.js';
import { isPublicLicenseKeyPath, licenseKeysRouter, publicLicenseKeysRouter } from './routes/license-keys.js';
import { ordersRouter, refundsRouter, subscriptionsRouter } from './routes/orders.js';
import { organizationsRouter } from './routes/organizations.js';
import { productsRouter } from './routes/products.js';
import { createStore, type EmulatorStore } from './store.js';
import {
  createWebhookDispatcher,
  deliveriesRouter,
  type WebhookDispatcher,
  webhookEndpointsRouter,
} from './webhooks.js';

export type { EmulatorStore } from './store.js';

export type EmulatorOptions = {
  /**
   * Base of checkout `url`s and `customer_portal_url`s, e.g. `https://sandbox.polar.sh` so a test browser can
   * route that origin to the emulator.
   * @default the URL the emulator listens on
   */
  publicUrl?: string;
  /** @default 'polar-kit-demo' */
  organizationSlug?: string;
  /** Multiplies webhook retry delays (0.001 turns seconds into milliseconds). @default 1 */
  timeScale?: number;
  /** @default the demo catalogue ({@link DEFAULT_CATALOG}) */
  catalog?: CatalogInput;
  /** Keep state in SQLite at this path across restarts. @default memory only */
  dataFile?: string;
  /** When set, only these bearer tokens are accepted. @default any non-empty token */
  accessTokens?: string[];
  /** A webhook endpoint registered at start. */
  webhook?: { url: string; secret?: string; standardSignature?: boolean };
  /**
   * How long the hosted checkout page waits, after a successful payment, for the order and the merchant's
   * `checkout.updated` webhook before it gives up and shows its own confirmation (no `success` message, no
   * redirect), as Polar's page does.
   * @default 15_000
   */
  fulfilmentTimeoutMs?: number;
};

export type Emulator = {
  app: express.Express;
  store: EmulatorStore;
  webhooks: WebhookDispatcher;
  /** Starts the HTTP server; port 0 picks a free port. */
  listen(port?: number, host?: string): Promise<{ url: string; port: number }>;
  close(): Promise<void>;
};

/** The emulator's organisation id: fixed, so `organization_id` values stay valid across restarts. */
export const ORGANIZATION_ID = '5f0b6c1e-8d2a-4c3b-9e4f-a1b2c3d4e5f6';
export const DEFAULT_ORGANIZATION_SLUG = 'polar-kit-demo';

/**
 * Creates an emulator. Nothing listens until {@link Emulator.listen}.
 * @throws {CatalogError} when `options.catalog` does not validate.
 */
export function createEmulator(options: EmulatorOptions = {}): Emulator {
  const slug = options.organizationSlug ?? DEFAULT_ORGANIZATION_SLUG;
  const organization: Organization = {
    id: ORGANIZATION_ID,
    name: 'Polar Kit Demo',
    slug,
    created_at: '2026-01-01T00:00:00.000Z',
  };
  const catalog = {
    current: parseCatalog(options.catalog ?? DEFAULT_CATALOG, 'option "catalog"') as Catalog,
  };
  let listenUrl: string | undefined;
  const publicUrl = () => (options.publicUrl ?? listenUrl ?? 'http://127.0.0.1').replace(/\/+$/, '');

  const clock = createClock();
  // What the hosted page hears while it waits for fulfilment; the store is read only once a message is published.
  const checkoutStream = createCheckoutStream({
    clientSecretOf: (checkoutId) => store.state.checkouts.find((c) => c.id === checkoutId)?.client_secret,
  });
  const webhooks = createWebhookDispatcher({
    organizationId: organization.id,
    ...(options.timeScale !== undefined ? { timeScale: options.timeScale } : {}),
    now: () => clock.now(),
    timestamp: () => clock.timestamp(),
    onDelivered: (record) => checkoutStream.publishDelivered(record),
  });
  const store: EmulatorStore = createStore({
    organization,
    clock,
    publicUrl,
    emit: (type, data) => checkoutStream.publishWebhookEvent(type, data, webhooks.emit(type, data)),
    catalog: catalog.current,
  });

  let stateFile: StateFile | undefined;
  if (options.dataFile) {
    stateFile = openStateFile(options.dataFile);
    const saved = stateFile.load();
    if (saved) {
      store.importState(saved.store as State);
      clock.setOffsetMs(saved.clockOffsetMs);
      webhooks.importState(saved.webhooks);
      // A catalogue given explicitly wins over the saved one (products no longer in it are archived).
      if (options.catalog) store.loadCatalog(catalog.current, false);
    }
  }
  const registerStartupWebhook = () => {
    const hook = options.webhook;
    if (!hook || webhooks.listEndpoints().some((e) => e.url === hook.url)) return;
    webhooks.createEndpoint({
      url: hook.url,
      ...(hook.secret !== undefined ? { secret: hook.secret } : {}),
      ...(hook.standardSignature !== undefined ? { standard_signature: hook.standardSignature } : {}),
    });
  };
  registerStartupWebhook();

  // What the state file last saw; copying and serialising the whole state is skipped while it has not moved.
  const mark = () => `${store.revision()}:${webhooks.revision()}:${clock.offsetMs()}`;
  let savedMark: string | undefined;
  /** Saves the state; unless `always`, only when the store, the dispatcher or the clock moved since. */
  const persist = (always = false) => {
    if (!stateFile) return;
    const now = mark();
    if (!always && now === savedMark) return;
    stateFile.save({
      version: 1,
      store: store.exportState(),
      clockOffsetMs: clock.offsetMs(),
      webhooks: webhooks.exportState(),
    });
    savedMark = now;
  };

  // Changes that happen outside a request (webhook deliveries, endpoints created in-process) are saved
  // within a second; a request's changes are saved as soon as it is answered. A request that may change
  // records directly (anything but GET and HEAD) is always compared in full: the file is written only if the
  // state differs.
  const saver = stateFile ? setInterval(() => persist(), 1000) : undefined;
  saver?.unref();

  const faults = createFaultSwitches({
    exempt: (path) => path.startsWith('/_emulator/faults'),
    longLived: isCheckoutStreamPath,
  });

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(faults.middleware);
  app.use(express.json({ limit: '10mb' }));
  app.use((req, res, next) => {
    store.tick();
    if (stateFile) {
      const always = req.method !== 'GET' && req.method !== 'HEAD';
      res.on('finish', () => persist(always));
    }
    if (req.path.startsWith('/v1/')) res.set('Polar-Version', req.get('polar-version') ?? '2026-10');
    next();
  });

  app.use('/v1', (req, _res, next) => {
    const path = `/v1${req.path}`;
    if (
      isPublicCheckoutPath(path) ||
      path.startsWith('/v1/customer-portal/') ||
      isPublicLicenseKeyPath(path)
    ) {
      return next();
    }
    const header = req.get('authorization') ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(header)?.[1];
    if (!token) throw unauthorized('An access token is required (Authorization: Bearer ...).');
    if (token.startsWith('polar_cst_'))
      throw unauthorized('A customer session token only opens the customer portal API.');
    if (options.accessTokens && !options.accessTokens.includes(token))
      throw unauthorized('Invalid access token.');
    next();
  });
  app.use('/v1/organizations', organizationsRouter(store));
  app.use('/v1/products', productsRouter(store));
  app.use('/v1/checkouts', checkoutsRouter(store, { stream: checkoutStream }));
  app.use('/v1/customers', customersRouter(store));
  app.use('/v1/customer-sessions', customerSessionsRouter(store));
  app.use('/v1/events', eventsRouter(store));
  app.use('/v1/orders', ordersRouter(store));
  app.use('/v1/subscriptions', subscriptionsRouter(store));
  app.use('/v1/refunds', refundsRouter(store));
  app.use('/v1/discounts', discountsRouter(store));
  app.use('/v1/license-keys', licenseKeysRouter(store));
  app.use('/v1/customer-portal/license-keys', publicLicenseKeysRouter(store));
  app.use('/v1/customer-portal', customerPortalRouter(store));
  app.use('/v1/webhooks', webhookEndpointsRouter(webhooks));

  app.use('/_emulator/deliveries', deliveriesRouter(webhooks));
  app.use(
    '/_emulator',
    controlRouter({
      store,
      faults,
      catalog,
      reset() {
        store.reset(catalog.current);
        webhooks.reset();
        faults.clear();
        clock.setOffsetMs(0);
        registerStartupWebhook();
      },
    }),
  );
  app.use(
    '/',
    pagesRouter({
      organizationSlug: slug,
      ...(options.fulfilmentTimeoutMs !== undefined
        ? { fulfilmentTimeoutMs: options.fulfilmentTimeoutMs }
        : {}),
    }),
  );
  app.use(() => {
    throw notFound('Not found');
  });
  app.use(errorHandler);

  let server: Server | undefined;
  return {
    app,
    store,
    webhooks,
    listen(port = 0, host = '127.0.0.1') {
      return new Promise((resolve, reject) => {
        const srv = createServer(app);
        srv.once('error', reject);
        srv.listen(port, host, () => {
          srv.off('error', reject);
          server = srv;
          const actual = (srv.address() as AddressInfo).port;
          const shownHost =
            host === '0.0.0.0' || host === '::' ? 'localhost' : host.includes(':') ? `[${host}]` : host;
          listenUrl = `http://${shownHost}:${actual}`;
          resolve({ url: listenUrl, port: actual });
        });
      });
    },
    async close() {
      if (saver) clearInterval(saver);
      faults.releaseHanging();
      if (server) {
        const srv = server;
        server = undefined;
        await new Promise<void>((resolve) => {
          srv.close(() => resolve());
          srv.closeAllConnections();
        });
      }
      await webhooks.close();
      persist(true);
      stateFile?.close();
      stateFile = undefined;
    },
  };
}
