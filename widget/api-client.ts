/** The widget's only door to the kit: `fetch` wrapped into typed results or an {@link ApiError}. */
import type {
  API,
  CheckoutRequest,
  CheckoutResponse,
  CheckoutStatusResponse,
  PortalRequest,
  PortalResponse,
  ProductsResponse,
} from '../contract/contract.js';
import type { ErrorCode } from '../contract/errors.js';

/**
 * A kit error code, or one of the widget's own: `NETWORK_ERROR` (the kit could not be reached),
 * `BAD_RESPONSE` (an answer that is not the contract's), `EMBED_TIMEOUT` (the checkout did not load in time;
 * the widget opened it in a new tab instead), `EMBED_FAILED` (the checkout embed script could not be loaded).
 */
export type WidgetErrorCode = ErrorCode | 'NETWORK_ERROR' | 'BAD_RESPONSE' | 'EMBED_TIMEOUT' | 'EMBED_FAILED';

/** A failed call to the kit. `status` is the HTTP status, 0 when there was no answer. */
export class ApiError extends Error {
  readonly code: WidgetErrorCode;
  readonly status: number;

  constructor(code: WidgetErrorCode, status: number, message?: string) {
    super(message ?? code);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
  }
}

// The contract's paths, spelled out so the bundle does not carry the whole route table; the types keep them equal.
const PRODUCTS: (typeof API)['products'] = '/api/products';
const CHECKOUT: (typeof API)['checkout'] = '/api/checkout';
const PORTAL: (typeof API)['portal'] = '/api/portal';

/** The kit's browser-facing API, rooted at `apiBase` (empty: the page's own origin). */
export type ApiClient = ReturnType<typeof createApiClient>;

/** Creates a client for the kit at `apiBase` (`https://shop.example.com`, or a path prefix, or empty). */
export function createApiClient(apiBase: string) {
  const url = (path: string) => new URL(apiBase.replace(/\/+$/, '') + path, document.baseURI).href;

  async function call<T>(
    method: string,
    path: string,
    body?: unknown,
    signal?: AbortSignal,
    headers: Record<string, string> = {},
  ): Promise<T> {
    let response: Response;
    try {
      response = await fetch(url(path), {
        method,
        signal,
        headers: {
          accept: 'application/json',
          ...(body ? { 'content-type': 'application/json' } : {}),
          ...headers,
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      if (signal?.aborted) throw error;
      throw new ApiError('NETWORK_ERROR', 0);
    }
    const data: unknown = await response.json().catch(() => undefined);
    if (!response.ok) {
      const problem = (data ?? {}) as { code?: ErrorCode; detail?: string; title?: string };
      throw new ApiError(problem.code ?? 'BAD_RESPONSE', response.status, problem.detail ?? problem.title);
    }
    if (data === undefined) throw new ApiError('BAD_RESPONSE', response.status);
    return data as T;
  }

  return {
    products: (signal?: AbortSignal) => call<ProductsResponse>('GET', PRODUCTS, undefined, signal),
    createCheckout: async (request: CheckoutRequest, idempotencyKey?: string) => {
      const headers: Record<string, string> = idempotencyKey ? { 'idempotency-key': idempotencyKey } : {};
      const checkout = await call<CheckoutResponse>('POST', CHECKOUT, request, undefined, headers);
      httpUrl(checkout.checkout_url);
      return checkout;
    },
    checkoutStatus: (id: string, signal?: AbortSignal) =>
      call<CheckoutStatusResponse>('GET', `${CHECKOUT}/${encodeURIComponent(id)}`, undefined, signal),
    portal: async (request: PortalRequest) => {
      const portal = await call<PortalResponse>('POST', PORTAL, request);
      httpUrl(portal.portal_url);
      return portal;
    },
  };
}

/**
 * Returns `value` as a URL when it is an absolute http(s) URL. The widget navigates to and frames the URLs the kit
 * hands out; anything else (`javascript:`, `data:`, garbage) would run in the page, so it is refused.
 * @throws {ApiError} BAD_RESPONSE
 */
export function httpUrl(value: unknown): URL {
  let url: URL | undefined;
  try {
    url = new URL(String(value));
  } catch {
    // Not a URL at all.
  }
  if (!url || !/^https?:$/.test(url.protocol)) throw new ApiError('BAD_RESPONSE', 200);
  return url;
}

/** Turns anything thrown into an {@link ApiError}. */
export function toApiError(error: unknown): ApiError {
  return error instanceof ApiError ? error : new ApiError('BAD_RESPONSE', 0, String(error));
}
