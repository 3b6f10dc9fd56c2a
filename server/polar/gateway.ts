/**
 * The kit's only door to Polar. Everything that speaks to the SDK lives here: building the client, checking
 * the fields of each response the kit relies on (SDK 1.x validates nothing), and turning SDK failures into
 * the kit's problem codes, so no SDK error class ever leaves this folder.
 */
import http from 'node:http';
import https from 'node:https';
import {
  PolarClientError,
  PolarError,
  PolarNetworkError,
  PolarRateLimitError,
  PolarServerError,
} from '@polar-sh/sdk';
import { createPolar, createPolarCore } from '@polar-sh/sdk/2026-10';
import { createCheckouts, getCheckouts } from '@polar-sh/sdk/2026-10/services/checkouts';
import { z } from 'zod';
import { AppError } from '../errors.js';
import type { ErrorCode } from '../../contract/errors.js';

export type GatewayOptions = {
  /** Sent as the bearer token on every call. */
  accessToken: string;
  /** Picks Polar's base URL when `baseUrl` is not given. `local` requires `baseUrl`. */
  server: 'local' | 'sandbox' | 'production';
  /** Any Polar-compatible base URL (the emulator, a proxy). Trailing slashes are removed. */
  baseUrl?: string | null;
  organizationId?: string | null;
  /** Per-call timeout in seconds. @default 10 */
  timeoutSeconds?: number;
};

/** A Polar product as the kit uses it; every other field Polar sends is kept as is. */
export type PolarProduct = z.infer<typeof ProductSchema>;
/** A Polar checkout session as the kit uses it; every other field Polar sends is kept as is. */
export type PolarCheckout = z.infer<typeof CheckoutSchema>;

export type CreateCheckoutInput = {
  productId: string;
  customerEmail?: string;
  customerName?: string;
  metadata?: Record<string, string | number | boolean>;
  successUrl: string;
  embedOrigin?: string;
  externalCustomerId?: string;
  discountId?: string;
  amount?: number;
};

/** What the kit asks of Polar. Each method throws `AppError` (see `mapPolarError`) and nothing else. */
export type PolarGateway = {
  /** The base URL in use (for logs and health output). */
  readonly baseUrl: string;
  /** Every product of the organization, archived ones included, all pages. */
  listProducts(): Promise<PolarProduct[]>;
  /** One product, or `null` when Polar does not know it. */
  getProduct(id: string): Promise<PolarProduct | null>;
  createCheckout(input: CreateCheckoutInput): Promise<PolarCheckout>;
  /** One checkout session, or `null` when Polar does not know it. */
  getCheckout(id: string): Promise<PolarCheckout | null>;
  /**
   * The id of the active discount with this code (case-insensitive), or `null` when there is none.
   * @throws {AppError} VALIDATION_FAILED when the Polar server has no discounts API.
   */
  findDiscountIdByCode(code: string): Promise<string | null>;
  /**
   * A customer-portal session for a Polar customer id or an external customer id; `null` when Polar does not
   * know that customer.
   */
  createPortalSession(
    customer: { customerId: string } | { externalCustomerId: string },
    returnUrl?: string,
  ): Promise<{ portalUrl: string; expiresAt: string } | null>;
  /** Resolves when Polar answers an authenticated request within `timeoutSeconds`. */
  ping(timeoutSeconds?: number): Promise<void>;
  /**
   * The organization the kit sells for: `organizationId` when configured, else the first organization the
   * token sees (fetched once, then remembered).
   */
  organizationId(): Promise<string>;
  /**
   * A license-key action on Polar's public customer-portal endpoints, with the organization filled in.
   * Returns Polar's answer as is (`null` for a deactivation, which has no body).
   * @throws {AppError} LICENSE_KEY_NOT_FOUND, LICENSE_KEY_ACTIVATION_LIMIT, LICENSE_KEY_REVOKED, LICENSE_KEY_EXPIRED
   */
  licenseKey(
    action: LicenseKeyAction,
    body: Record<string, unknown> & { key: string },
  ): Promise<Record<string, unknown> | null>;
  /**
   * Sends usage events to Polar's events ingest (at most 1,000 per call, Polar's limit).
   * @throws {AppError} POLAR_RATE_LIMITED with `Retry-After`, POLAR_UNAVAILABLE, POLAR_REJECTED
   */
  ingestEvents(events: readonly IngestEvent[]): Promise<{ inserted: number; duplicates: number }>;
  /**
   * Every object of a list endpoint, one page (up to 100) at a time, newest first (by `created_at`; by
   * `started_at` for subscriptions). `createdAfter` is passed to Polar where the endpoint filters on it
   * (orders); elsewhere every page is read. `startPage` resumes a listing after a failed page.
   */
  listPages(
    resource: PolarListResource,
    options?: { createdAfter?: string; startPage?: number },
  ): AsyncGenerator<PolarObject[]>;
  /** One order, or `null` when Polar does not know it. */
  getOrder(id: string): Promise<PolarObject | null>;
  /** The customer with this external id, or else the one with this email; `null` when there is none. */
  findCustomer(by: { externalId: string } | { email: string }): Promise<PolarObject | null>;
  /**
   * Creates a customer.
   * @throws {AppError} POLAR_REJECTED (with Polar's detail) when the email or external id is taken
   */
  createCustomer(input: {
    email: string;
    name?: string | null;
    externalId?: string | null;
  }): Promise<PolarObject>;
  /** Sets the external id of a customer that has none (Polar never changes one that is set). */
  setCustomerExternalId(customerId: string, externalId: string): Promise<PolarObject>;
  /** The organization's webhook endpoints (first 100). */
  listWebhookEndpoints(): Promise<Array<{ id: string; url: string; enabled: boolean; events: string[] }>>;
};

/** The list endpoints the kit reads whole (reconciliation). */
export type PolarListResource = 'orders' | 'subscriptions' | 'customers' | 'refunds';

/** Any Polar object: an id, a creation time, and every other field as Polar sent it. */
export type PolarObject = z.infer<typeof ObjectSchema>;

/** The public license-key actions of Polar's customer portal. */
export type LicenseKeyAction = 'validate' | 'activate' | 'deactivate';

/** One usage event as Polar's events ingest takes it. */
export type IngestEvent = {
  name: string;
  external_id: string;
  customer_id?: string;
  external_customer_id?: string;
  timestamp?: string;
  metadata?: Record<string, string | number | boolean>;
};

/** Polar's events-ingest limit per request. */
export const INGEST_BATCH_LIMIT = 1000;

const BASE_URLS = { sandbox: 'https://sandbox-api.polar.sh', production: 'https://api.polar.sh' } as const;
const PAGE_LIMIT = 100;
const MAX_PAGES = 50;

const Metadata = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

const PriceSchema = z.looseObject({
  id: z.string(),
  amount_type: z.string(),
  price_currency: z.string(),
  is_archived: z.boolean().optional(),
  price_amount: z.number().int().optional(),
  minimum_amount: z.number().int().nullable().optional(),
  maximum_amount: z.number().int().nullable().optional(),
  preset_amount: z.number().int().nullable().optional(),
});

const ProductSchema = z.looseObject({
  id: z.string().min(1),
  name: z.string(),
  description: z.string().nullable(),
  visibility: z.string().optional(),
  is_recurring: z.boolean(),
  recurring_interval: z.enum(['day', 'week', 'month', 'year']).nullable(),
  is_archived: z.boolean(),
  metadata: Metadata,
  modified_at: z.string().nullable().optional(),
  prices: z.array(PriceSchema),
  benefits: z.array(z.looseObject({ id: z.string(), type: z.string(), description: z.string() })),
});

const CheckoutSchema = z.looseObject({
  id: z.string().min(1),
  status: z.enum(['open', 'expired', 'confirmed', 'succeeded', 'failed']),
  client_secret: z.string().min(1),
  url: z.string().refine(isHttpUrl, 'must be an http(s) URL'),
  expires_at: z.string(),
  created_at: z.string(),
  modified_at: z.string().nullable(),
  product_id: z.string().nullable(),
  amount: z.number().int(),
  total_amount: z.number().int(),
  currency: z.string(),
  success_url: z.string(),
  embed_origin: z.string().nullable(),
});

const ProductList = z.looseObject({
  items: z.array(z.unknown()),
  pagination: z.looseObject({ total_count: z.number().int(), max_page: z.number().int() }),
});

const CustomerSessionSchema = z.looseObject({
  customer_portal_url: z.string().refine(isHttpUrl, 'must be an http(s) URL'),
  expires_at: z.string(),
});

const DiscountList = z.looseObject({
  items: z.array(z.looseObject({ id: z.string(), code: z.string().nullable().optional() })),
});

const OrganizationList = z.looseObject({ items: z.array(z.looseObject({ id: z.string().min(1) })) });

const LicenseKeyAnswer = z.looseObject({ id: z.string() });

const ObjectSchema = z.looseObject({ id: z.string().min(1), created_at: z.string() });

const ObjectList = z.looseObject({
  items: z.array(ObjectSchema),
  pagination: z.looseObject({ total_count: z.number().int(), max_page: z.number().int() }),
});

const WebhookEndpointList = z.looseObject({
  items: z.array(
    z.looseObject({
      id: z.string(),
      url: z.string(),
      enabled: z.boolean().optional(),
      events: z.array(z.string()).optional(),
    }),
  ),
});

const IngestAnswer = z.looseObject({
  inserted: z.number().int(),
  duplicates: z.number().int().optional(),
});

/** Creates the Polar gateway. Checks its options once, here. */
export function createPolarGateway(options: GatewayOptions): PolarGateway {
  if (!options.accessToken) throw new Error('createPolarGateway: accessToken must be a non-empty string.');
  const baseUrl = (
    options.baseUrl ?? (options.server === 'local' ? null : BASE_URLS[options.server])
  )?.replace(/\/+$/, '');
  if (!baseUrl) {
    throw new Error(
      'createPolarGateway: server "local" needs a baseUrl (set POLAR_API_URL or run `polar-kit start`).',
    );
  }
  const timeout = options.timeoutSeconds ?? 10;
  const clientOptions = {
    accessToken: options.accessToken,
    baseUrl,
    timeout,
    ...(options.organizationId ? { organizationId: options.organizationId } : {}),
  };
  const polar = createPolar(clientOptions);
  // The checkout calls a buyer waits for go through the SDK's own operations on a client that sends over
  // node:http (see `sendOverAgent`); the rest use the SDK's default client.
  const checkoutsClient = withAgentTransport(createPolarCore(clientOptions), baseUrl, timeout);
  const checkouts = { create: createCheckouts(checkoutsClient), get: getCheckouts(checkoutsClient) };
  let organization: Promise<string> | null = null;
  const organizationIdOf = (): Promise<string> => {
    if (options.organizationId) return Promise.resolve(options.organizationId);
    organization ??= (async () => {
      const list = parse(
        OrganizationList,
        await call(() => polar.organizations.list({ page: 1, limit: 1 })),
        'organization list',
      );
      const id = list.items[0]?.id;
      if (!id) {
        throw new AppError('POLAR_UNAVAILABLE', {
          detail: 'The access token sees no organization; set POLAR_ORGANIZATION_ID.',
        });
      }
      return id;
    })().catch((error: unknown) => {
      organization = null;
      throw error;
    });
    return organization;
  };

  return {
    baseUrl,

    async listProducts() {
      const products: PolarProduct[] = [];
      for (let page = 1; page <= MAX_PAGES; page++) {
        const list = parse(
          ProductList,
          await call(() => polar.products.list({ page, limit: PAGE_LIMIT })),
          'product list',
        );
        for (const item of list.items) {
          const product = ProductSchema.safeParse(item);
          // One malformed product must not hide the others; it is simply not offered.
          if (product.success) products.push(product.data);
        }
        if (page >= list.pagination.max_page || list.items.length === 0) break;
      }
      return products;
    },

    async getProduct(id) {
      const product = await callOrNull(() => polar.products.get(id));
      return product === null ? null : parse(ProductSchema, product, 'product');
    },

    async createCheckout(input) {
      const body = {
        products: [input.productId],
        success_url: input.successUrl,
        ...(input.customerEmail !== undefined ? { customer_email: input.customerEmail } : {}),
        ...(input.customerName !== undefined ? { customer_name: input.customerName } : {}),
        ...(input.metadata !== undefined ? { metadata: input.metadata } : {}),
        ...(input.embedOrigin !== undefined ? { embed_origin: input.embedOrigin } : {}),
        ...(input.externalCustomerId !== undefined ? { external_customer_id: input.externalCustomerId } : {}),
        ...(input.discountId !== undefined ? { discount_id: input.discountId } : {}),
        ...(input.amount !== undefined ? { amount: input.amount } : {}),
      };
      return parse(CheckoutSchema, await call(() => checkouts.create(body)), 'checkout');
    },

    async getCheckout(id) {
      const checkout = await callOrNull(() => checkouts.get(id));
      return checkout === null ? null : parse(CheckoutSchema, checkout, 'checkout');
    },

    async findDiscountIdByCode(code) {
      let raw: unknown;
      try {
        raw = await polar.discounts.list({ query: code, limit: PAGE_LIMIT });
      } catch (error) {
        if (statusOf(error) === 404 || statusOf(error) === 405) {
          throw new AppError('VALIDATION_FAILED', {
            detail: 'Discount codes are not available on this Polar server.',
            errors: [{ path: 'discount_code', code: 'DISCOUNTS_UNAVAILABLE' }],
          });
        }
        throw mapPolarError(error);
      }
      const list = parse(DiscountList, raw, 'discount list');
      const wanted = code.toLowerCase();
      return list.items.find((discount) => discount.code?.toLowerCase() === wanted)?.id ?? null;
    },

    async createPortalSession(customer, returnUrl) {
      const body =
        'customerId' in customer
          ? { customer_id: customer.customerId, ...(returnUrl ? { return_url: returnUrl } : {}) }
          : {
              external_customer_id: customer.externalCustomerId,
              ...(returnUrl ? { return_url: returnUrl } : {}),
            };
      let raw: unknown;
      try {
        raw = await polar.customerSessions.create(body);
      } catch (error) {
        // Polar answers 404, or 422 on the customer field, for a customer it does not know.
        const status = statusOf(error);
        if (status === 404 || (status === 422 && /customer/i.test(polarDetail(error) ?? ''))) return null;
        throw mapPolarError(error);
      }
      const session = parse(CustomerSessionSchema, raw, 'customer session');
      return { portalUrl: session.customer_portal_url, expiresAt: session.expires_at };
    },

    async ping(timeoutSeconds = 3) {
      await call(() => polar.products.list({ page: 1, limit: 1 }, { timeout: timeoutSeconds }));
    },

    organizationId: organizationIdOf,

    async licenseKey(action, body) {
      const organizationId = await organizationIdOf();
      const request = { ...body, organization_id: organizationId };
      const keys = polar.customerPortal.licenseKeys as unknown as Record<
        LicenseKeyAction,
        (body: unknown) => Promise<unknown>
      >;
      let raw: unknown;
      try {
        raw = await keys[action](request);
      } catch (error) {
        throw mapLicenseKeyError(error);
      }
      if (action === 'deactivate') return null;
      return parse(LicenseKeyAnswer, raw, 'license key');
    },

    async ingestEvents(events) {
      if (events.length > INGEST_BATCH_LIMIT) {
        throw new Error(
          `ingestEvents: at most ${INGEST_BATCH_LIMIT} events per call (got ${events.length}).`,
        );
      }
      const raw = await call(() =>
        polar.events.ingest({
          events: events as unknown as Parameters<typeof polar.events.ingest>[0]['events'],
        }),
      );
      const answer = parse(IngestAnswer, raw, 'events ingest answer');
      return { inserted: answer.inserted, duplicates: answer.duplicates ?? 0 };
    },

    async *listPages(resource, listOptions = {}) {
      for (let page = Math.max(1, Math.floor(listOptions.startPage ?? 1)); ; page++) {
        const query = { page, limit: PAGE_LIMIT };
        const raw = await call((): Promise<unknown> => {
          switch (resource) {
            case 'orders':
              return polar.orders.list({
                ...query,
                sorting: ['-created_at'],
                ...(listOptions.createdAfter ? { created_after: listOptions.createdAfter } : {}),
              });
            case 'subscriptions':
              return polar.subscriptions.list({ ...query, sorting: ['-started_at'] });
            case 'customers':
              return polar.customers.list({ ...query, sorting: ['-created_at'] });
            case 'refunds':
              return polar.refunds.list({ ...query, sorting: ['-created_at'] });
          }
        });
        const list = parse(ObjectList, raw, `${resource} list`);
        if (list.items.length > 0) yield list.items;
        if (page >= list.pagination.max_page || list.items.length === 0) return;
      }
    },

    async getOrder(id) {
      const order = await callOrNull(() => polar.orders.get(id));
      return order === null ? null : parse(ObjectSchema, order, 'order');
    },

    async findCustomer(by) {
      if ('externalId' in by) {
        const customer = await callOrNull(() => polar.customers.getExternal(by.externalId));
        return customer === null ? null : parse(ObjectSchema, customer, 'customer');
      }
      const list = parse(
        ObjectList,
        await call(() => polar.customers.list({ email: by.email, page: 1, limit: 10 })),
        'customer list',
      );
      const wanted = by.email.toLowerCase();
      return list.items.find((c) => typeof c.email === 'string' && c.email.toLowerCase() === wanted) ?? null;
    },

    async createCustomer(input) {
      const body = {
        email: input.email,
        ...(input.name ? { name: input.name } : {}),
        ...(input.externalId ? { external_id: input.externalId } : {}),
      };
      return parse(ObjectSchema, await call(() => polar.customers.create(body)), 'customer');
    },

    async listWebhookEndpoints() {
      const list = parse(
        WebhookEndpointList,
        await call(() => polar.webhooks.listWebhookEndpoints({ page: 1, limit: PAGE_LIMIT })),
        'webhook endpoint list',
      );
      return list.items.map((e) => ({
        id: e.id,
        url: e.url,
        enabled: e.enabled ?? true,
        events: e.events ?? [],
      }));
    },

    async setCustomerExternalId(customerId, externalId) {
      return parse(
        ObjectSchema,
        await call(() => polar.customers.update(customerId, { external_id: externalId })),
        'customer',
      );
    },
  };
}

/** Statuses whose response has no body (the `Response` constructor refuses one). */
const NULL_BODY_STATUSES: ReadonlySet<number> = new Set([204, 205, 304]);

/**
 * The SDK's client with its requests sent over `node:http(s)` with a keep-alive agent rather than the global
 * `fetch`: on Node 20, `fetch` takes 0.3 to 0.8 ms more CPU per call than `node:http`, about 0.6 ms of each
 * checkout creation, and a buyer waits for it. The SDK still builds each request (URL, `Polar-Version`,
 * authorization, organization) and checks each answer (`parseResponse` and its error classes), so only the
 * socket work differs. As with `fetch`'s defaults, an idle connection is closed after 4 s (sooner when the
 * server announces a shorter `Keep-Alive: timeout`), a request is never retried, and a timeout or a network
 * failure becomes `PolarNetworkError`.
 */
function withAgentTransport<C extends ReturnType<typeof createPolarCore>>(
  client: C,
  baseUrl: string,
  defaultTimeoutSeconds: number,
): C {
  const secure = new URL(baseUrl).protocol === 'https:';
  const agentOptions = { keepAlive: true, timeout: 4_000 };
  const agent = secure ? new https.Agent(agentOptions) : new http.Agent(agentOptions);
  const request = secure ? https.request : http.request;
  const sendOverAgent = (
    [url, init]: [string, RequestInit],
    requestOptions?: { timeout?: number },
  ): Promise<Response> =>
    new Promise((resolve, reject) => {
      const body = typeof init.body === 'string' ? init.body : undefined;
      const headers: Record<string, string> = {};
      new Headers(init.headers).forEach((value, name) => {
        headers[name] = value;
      });
      if (body !== undefined) headers['content-length'] = String(Buffer.byteLength(body));
      const fail = (error: Error): void => {
        clearTimeout(timer);
        reject(new PolarNetworkError(error.message));
      };
      const req = request(url, { method: init.method ?? 'GET', headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', fail);
        res.on('end', () => {
          clearTimeout(timer);
          const status = res.statusCode!;
          // What `parseResponse` reads besides the status and the body.
          const answerHeaders = new Headers();
          for (const name of ['content-type', 'retry-after']) {
            const value = res.headers[name];
            if (typeof value === 'string') answerHeaders.set(name, value);
          }
          try {
            resolve(
              new Response(NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks), {
                status,
                headers: answerHeaders,
              }),
            );
          } catch (error) {
            // A status outside 200-599: not an HTTP answer the SDK could read.
            fail(error as Error);
          }
        });
      });
      const timeoutSeconds = requestOptions?.timeout ?? defaultTimeoutSeconds;
      const timer = setTimeout(
        () => req.destroy(new Error('The operation was aborted due to timeout')),
        Math.ceil(timeoutSeconds * 1000),
      );
      req.on('error', fail);
      req.end(body);
    });
  return Object.assign(Object.create(client) as C, { sendRequest: sendOverAgent });
}

/**
 * Polar answers a key it does not know, an expired or revoked key with 404 and a detail, and an activation
 * over the limit (or on a revoked key) with 403 `NotPermitted`; the detail tells them apart.
 */
function mapLicenseKeyError(error: unknown): AppError {
  const status = statusOf(error);
  const detail = polarDetail(error) ?? '';
  if (status === 404 || status === 403) {
    if (/expired/i.test(detail))
      return new AppError('LICENSE_KEY_EXPIRED', { detail: 'The license key has expired.', cause: error });
    if (/revoked|disabled/i.test(detail)) {
      return new AppError('LICENSE_KEY_REVOKED', {
        detail: 'The license key is revoked or disabled.',
        cause: error,
      });
    }
    if (status === 403 && /limit|activation/i.test(detail)) {
      return new AppError('LICENSE_KEY_ACTIVATION_LIMIT', {
        detail: 'The license key has no activations left; deactivate one first.',
        cause: error,
      });
    }
    if (status === 403)
      return new AppError('LICENSE_KEY_REVOKED', {
        detail: detail || 'Polar refused the license key.',
        cause: error,
      });
    return new AppError('LICENSE_KEY_NOT_FOUND', {
      detail: 'No such license key (or activation).',
      cause: error,
    });
  }
  return mapPolarError(error);
}

/**
 * Turns anything the SDK throws into an `AppError`: network failure, timeout or 5xx → 502
 * `POLAR_UNAVAILABLE`; 429 → 429 `POLAR_RATE_LIMITED` with `Retry-After`; 422 → 400 `POLAR_REJECTED` with
 * Polar's detail; 404 → `notFoundCode` (default `POLAR_REJECTED`); 401/403 → 502 (the kit's own credentials
 * are wrong, which the buyer cannot fix); other 4xx → 400 `POLAR_REJECTED`.
 */
export function mapPolarError(error: unknown, notFoundCode: ErrorCode = 'POLAR_REJECTED'): AppError {
  if (error instanceof AppError) return error;
  if (error instanceof PolarRateLimitError) {
    const retryAfter = error.retryAfter ?? 1;
    return new AppError('POLAR_RATE_LIMITED', {
      detail: `Polar is rate limiting this shop; retry in ${retryAfter} s.`,
      headers: { 'Retry-After': String(retryAfter) },
      cause: error,
    });
  }
  if (error instanceof PolarNetworkError || error instanceof PolarServerError) {
    return new AppError('POLAR_UNAVAILABLE', {
      detail: 'Polar did not answer in time or failed.',
      cause: error,
    });
  }
  const status = statusOf(error);
  if (error instanceof PolarClientError || status !== null) {
    if (status === 429) {
      return new AppError('POLAR_RATE_LIMITED', {
        detail: 'Polar is rate limiting this shop.',
        headers: { 'Retry-After': '1' },
        cause: error,
      });
    }
    if (status === 404)
      return new AppError(notFoundCode, {
        detail: polarDetail(error) ?? 'Polar does not know this resource.',
        cause: error,
      });
    if (status === 401 || status === 403) {
      return new AppError('POLAR_UNAVAILABLE', {
        detail: 'Polar refused the shop’s credentials.',
        cause: error,
      });
    }
    const detail = polarDetail(error);
    return new AppError('POLAR_REJECTED', {
      detail: detail ?? 'Polar rejected the request.',
      ...(status === 422 ? { errors: polarFieldErrors(error) } : {}),
      cause: error,
    });
  }
  if (error instanceof PolarError || error instanceof SyntaxError) {
    // A non-JSON body where JSON was due: the server in front of us is not behaving like Polar.
    return new AppError('POLAR_UNAVAILABLE', { detail: 'Polar sent an unreadable answer.', cause: error });
  }
  return new AppError('POLAR_UNAVAILABLE', { detail: 'Polar could not be reached.', cause: error });
}

async function call<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (error) {
    throw mapPolarError(error);
  }
}

async function callOrNull<T>(fn: () => Promise<T>): Promise<T | null> {
  try {
    return await fn();
  } catch (error) {
    if (statusOf(error) === 404) return null;
    throw mapPolarError(error);
  }
}

function parse<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const where = result.error.issues[0]?.path.join('.') || '(root)';
  throw new AppError('POLAR_UNAVAILABLE', {
    detail: `Polar sent a ${what} the kit cannot use (field ${where}).`,
    cause: result.error,
  });
}

function statusOf(error: unknown): number | null {
  if (typeof error !== 'object' || error === null) return null;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : null;
}

/** Polar's human-readable detail from an error body: a string, or the messages of a 422 list. */
function polarDetail(error: unknown): string | null {
  const body = bodyOf(error);
  if (body === null) return null;
  const detail = (body as { detail?: unknown }).detail;
  if (typeof detail === 'string') return truncate(detail);
  if (Array.isArray(detail)) {
    const messages = detail
      .map((item) => {
        if (typeof item !== 'object' || item === null) return null;
        const { loc, msg } = item as { loc?: unknown; msg?: unknown };
        if (typeof msg !== 'string') return null;
        const path = Array.isArray(loc) ? loc.filter((part) => part !== 'body').join('.') : '';
        return path ? `${path}: ${msg}` : msg;
      })
      .filter((message): message is string => message !== null);
    if (messages.length > 0) return truncate(messages.join('; '));
  }
  return null;
}

function polarFieldErrors(
  error: unknown,
): Array<{ path: string; code: string; message?: string }> | undefined {
  const detail = (bodyOf(error) as { detail?: unknown } | null)?.detail;
  if (!Array.isArray(detail)) return undefined;
  const errors = detail.flatMap((item) => {
    if (typeof item !== 'object' || item === null) return [];
    const { loc, msg, type } = item as { loc?: unknown; msg?: unknown; type?: unknown };
    const path = Array.isArray(loc) ? loc.filter((part) => part !== 'body').join('.') : '';
    return [
      {
        path,
        code: typeof type === 'string' ? type : 'invalid',
        ...(typeof msg === 'string' ? { message: truncate(msg) } : {}),
      },
    ];
  });
  return errors.length > 0 ? errors : undefined;
}

function bodyOf(error: unknown): object | null {
  if (typeof error !== 'object' || error === null) return null;
  let body = (error as { error?: unknown }).error;
  if (typeof body === 'string') {
    try {
      body = JSON.parse(body);
    } catch {
      return null;
    }
  }
  return typeof body === 'object' && body !== null ? body : null;
}

function truncate(text: string): string {
  return text.length > 500 ? `${text.slice(0, 497)}...` : text;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
