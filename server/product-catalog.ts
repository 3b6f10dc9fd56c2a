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
  /** Changes whenever a product is written (by a refresh, a webhook or a lookup). */
  generation(): number;
};

export type ProductCatalogOptions = {
  store: ProductCache;
  gateway: PolarGateway;
  logger: Logger;
  /** How long a fetched catalogue is served before it is fetched again. @default 300_000 (5 min) */
  ttlMs?: number;
  now?: () => Date;
};

/** The public product list, with its exact JSON body (as text and as bytes) and an entity tag of it. */
export type ProductListing = { products: Product[]; body: string; bytes: Buffer; etag: string };

export type ProductCatalog = {
  /**
   * The public, unarchived products. Refetches from Polar when the cache is empty or older than the TTL;
   * when Polar is down a stale cache is still served.
   * @throws {AppError} POLAR_UNAVAILABLE (or another Polar code) when there is no cache to fall back on.
   */
  list(): Promise<ProductListing>;
  /** The listing without waiting, when the cache is filled and within its TTL; otherwise `null` (use `list`). */
  fresh(): ProductListing | null;
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
  /** The listing built from the cache at `generation`: read, serialised and hashed once per change. */
  let built: (ProductListing & { generation: number; byId: Map<string, Product> }) | null = null;

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

  const current = () => {
    const generation = store.generation();
    if (built?.generation !== generation) {
      const products = store.listPublic();
      const body = JSON.stringify(products);
      const etag = `"${createHash('sha256').update(body).digest('base64url').slice(0, 27)}"`;
      const bytes = Buffer.from(body, 'utf8');
      built = { products, body, bytes, etag, generation, byId: new Map(products.map((p) => [p.id, p])) };
    }
    return built;
  };

  const listing = (): ProductListing => {
    const { products, body, bytes, etag } = current();
    return { products, body, bytes, etag };
  };

  return {
    refresh,

    fresh() {
      return isStale() ? null : listing();
    },

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
      const cached = current().byId.get(id);
      if (cached) return cached;
      // Not in the public cache: it may be new, archived, private or unknown. Polar decides.
      const product = await gateway.getProduct(id);
      if (product === null) throw new AppError('PRODUCT_NOT_FOUND', { detail: 'No product with that id.' });
      store.upsert(product);
      if (product.is_archived)
        throw new AppError('PRODUCT_ARCHIVED', { detail: 'This product is no longer sold.' });
      const fresh = current().byId.get(id);
      if (!fresh) throw new AppError('PRODUCT_NOT_FOUND', { detail: 'No product with that id.' });
      return fresh;
    },
  };
}
