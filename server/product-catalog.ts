import { createHash } from 'node:crypto';
import type { Product } from '../contract/contract.js';
import { AppError } from './errors.js';
import type { Logger } from './logger.js';
import type { PolarGateway } from './polar/gateway.js';

/** The parts of the product repository the catalogue uses. */
export type ProductCache = {
  replaceAll(polarProducts: unknown[]): void;
  upsert(polarProduct: unknown): void;
  listPublic(): Product[];
  refreshedAt(): string | null;
};

export type ProductCatalogOptions = {
  store: ProductCache;
  gateway: PolarGateway;
  logger: Logger;
  /** How long a fetched catalogue is served before it is fetched again. @default 300_000 (5 min) */
  ttlMs?: number;
  now?: () => Date;
};

/** The public product list, with an entity tag of its exact JSON body. */
export type ProductListing = { products: Product[]; body: string; etag: string };

export type ProductCatalog = {
  /**
   * The public, unarchived products. Refetches from Polar when the cache is empty or older than the TTL;
   * when Polar is down a stale cache is still served.
   * @throws {AppError} POLAR_UNAVAILABLE (or another Polar code) when there is no cache to fall back on.
   */
  list(): Promise<ProductListing>;
  /** Fetches the whole catalogue from Polar now (one fetch at a time; callers share it). */
  refresh(): Promise<void>;
  /**
   * A product that may be sold: public and unarchived. Looks in the cache first, then asks Polar.
   * @throws {AppError} PRODUCT_NOT_FOUND, PRODUCT_ARCHIVED, or a Polar code.
   */
  requirePurchasable(id: string): Promise<Product>;
};

/** Creates the product catalogue over the products cache and the Polar gateway. */
export function createProductCatalog(options: ProductCatalogOptions): ProductCatalog {
  const { store, gateway, logger } = options;
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? (() => new Date());
  let inFlight: Promise<void> | null = null;
  let lastBody: { body: string; etag: string } | null = null;

  const refresh = (): Promise<void> => {
    inFlight ??= gateway
      .listProducts()
      .then((products) => store.replaceAll(products))
      .finally(() => {
        inFlight = null;
      });
    return inFlight;
  };

  const isStale = (): boolean => {
    const at = store.refreshedAt();
    if (at === null) return true;
    const age = now().getTime() - Date.parse(at);
    return !(age >= 0 && age < ttlMs);
  };

  const listing = (): ProductListing => {
    const products = store.listPublic();
    const body = JSON.stringify(products);
    if (lastBody?.body !== body) {
      lastBody = { body, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"` };
    }
    return { products, body, etag: lastBody.etag };
  };

  return {
    refresh,

    async list() {
      if (isStale()) {
        try {
          await refresh();
        } catch (error) {
          if (store.refreshedAt() === null) throw error;
          logger.warn({ err: error }, 'products refresh failed; serving the cached catalogue');
        }
      }
      return listing();
    },

    async requirePurchasable(id) {
      if (isStale()) {
        try {
          await refresh();
        } catch (error) {
          logger.warn({ err: error }, 'products refresh failed; checking the product directly');
        }
      }
      const cached = store.listPublic().find((product) => product.id === id);
      if (cached) return cached;
      // Not in the public cache: it may be new, archived, private or unknown. Polar decides.
      const product = await gateway.getProduct(id);
      if (product === null) throw new AppError('PRODUCT_NOT_FOUND', { detail: 'No product with that id.' });
      store.upsert(product);
      if (product.is_archived)
        throw new AppError('PRODUCT_ARCHIVED', { detail: 'This product is no longer sold.' });
      const fresh = store.listPublic().find((entry) => entry.id === id);
      if (!fresh) throw new AppError('PRODUCT_NOT_FOUND', { detail: 'No product with that id.' });
      return fresh;
    },
  };
}
