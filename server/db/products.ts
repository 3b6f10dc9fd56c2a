import type { Database } from 'better-sqlite3';
import type { Benefit, Price, Product } from '../../contract/contract.js';
import { parsePolar, polarProductSchema } from './polar-shapes.js';
import type { PolarPrice, PolarProduct } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

/** A cached product with the fields the kit's routes need beyond the public `Product`. */
export type StoredProduct = Product & {
  visibility: string;
  isArchived: boolean;
  createdAt: string;
  modifiedAt: string | null;
};

type ProductRow = {
  id: string;
  name: string;
  description: string | null;
  visibility: string;
  is_recurring: 0 | 1;
  recurring_interval: Product['recurring_interval'];
  is_archived: 0 | 1;
  prices: string;
  benefits: string;
  metadata: string;
  created_at: string;
  modified_at: string | null;
};

export type ProductStore = ReturnType<typeof createProductStore>;

/**
 * A counter per database connection, bumped by every product write made through any store over it (webhooks
 * write through their own store), so a reader can keep a derived copy and know, without a query, when it is
 * out of date. A write that is rolled back still bumps it: the copy is rebuilt once for nothing.
 */
const generations = new WeakMap<Database, { value: number; refreshedAt: string | null | undefined }>();

function generationOf(db: Database) {
  let generation = generations.get(db);
  if (!generation) {
    generation = { value: 0, refreshedAt: undefined };
    generations.set(db, generation);
  }
  return generation;
}

/** Repository of the product cache, filled from Polar's product list and from `product.*` webhooks. */
export function createProductStore(db: Database, options: { now?: () => Date } = {}) {
  const now = options.now ?? (() => new Date());
  const generation = generationOf(db);
  const upsert = db.prepare(`
    INSERT INTO products (id, name, description, visibility, is_recurring, recurring_interval, is_archived,
                          prices, benefits, metadata, created_at, modified_at, version_key)
    VALUES (@id, @name, @description, @visibility, @is_recurring, @recurring_interval, @is_archived,
            @prices, @benefits, @metadata, @created_at, @modified_at, @version_key)
    ON CONFLICT (id) DO UPDATE SET
      name = excluded.name, description = excluded.description, visibility = excluded.visibility,
      is_recurring = excluded.is_recurring, recurring_interval = excluded.recurring_interval,
      is_archived = excluded.is_archived, prices = excluded.prices, benefits = excluded.benefits,
      metadata = excluded.metadata, created_at = excluded.created_at, modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > products.version_key`);
  const allIds = db.prepare<[], { id: string }>(`SELECT id FROM products`);
  const remove = db.prepare(`DELETE FROM products WHERE id = ?`);
  const setRefreshed = db.prepare(
    `INSERT INTO product_refreshes (id, refreshed_at) VALUES (1, @at)
     ON CONFLICT (id) DO UPDATE SET refreshed_at = excluded.refreshed_at`,
  );
  const getRefreshed = db.prepare<[], { refreshed_at: string }>(
    `SELECT refreshed_at FROM product_refreshes WHERE id = 1`,
  );
  const listPublic = db.prepare<[], ProductRow>(`
    SELECT * FROM products WHERE is_archived = 0 AND visibility = 'public' ORDER BY created_at, name, id`);
  const byId = db.prepare<[string], ProductRow>(`SELECT * FROM products WHERE id = ?`);
  const withBenefit = db.prepare<{ pattern: string }, { id: string; benefits: string }>(
    `SELECT id, benefits FROM products WHERE benefits LIKE @pattern ESCAPE '\\'`,
  );
  const setBenefits = db.prepare(`UPDATE products SET benefits = @benefits WHERE id = @id`);

  function write(product: unknown, eventTimestamp: string | null | undefined): boolean {
    const p = parsePolar(polarProductSchema, product, 'product');
    const written = upsert.run(toRow(p, eventTimestamp)).changes > 0;
    if (written) generation.value++;
    return written;
  }

  const replaceAll = db.transaction((products: unknown[]) => {
    const keep = new Set<string>();
    for (const product of products) {
      const p = parsePolar(polarProductSchema, product, 'product');
      keep.add(p.id);
      upsert.run(toRow(p, null));
    }
    for (const { id } of allIds.all()) if (!keep.has(id)) remove.run(id);
    setRefreshed.run({ at: canonicalTimestamp(now().toISOString()) });
  });
  const readRefreshed = (): string | null => getRefreshed.get()?.refreshed_at ?? null;

  return {
    /**
     * Replaces the cache with Polar's full product list (archived and private ones included, so they stay
     * known) and records the refresh time. A product that a newer webhook already updated keeps that state.
     * @throws {PolarDataError} when a product lacks a field the kit stores (nothing is written then)
     */
    replaceAll(polarProducts: unknown[]): void {
      generation.value++;
      generation.refreshedAt = undefined;
      try {
        replaceAll.immediate(polarProducts);
      } finally {
        generation.value++;
        generation.refreshedAt = undefined;
      }
    },
    /** Stores one product unless a newer state is stored. Returns whether it was written. */
    upsert(polarProduct: unknown, eventTimestamp?: string | null): boolean {
      return write(polarProduct, eventTimestamp);
    },
    /** Public, unarchived products in catalogue order, in the contract's shape. */
    listPublic(): Product[] {
      return listPublic.all().map((row) => toPublic(row));
    },
    get(id: string): StoredProduct | null {
      const row = byId.get(id);
      return row ? toStored(row) : null;
    },
    /** When the whole catalogue was last fetched from Polar, or `null` if never (read once, then remembered). */
    refreshedAt(): string | null {
      if (generation.refreshedAt === undefined) generation.refreshedAt = readRefreshed();
      return generation.refreshedAt;
    },
    /**
     * A number that changes whenever a product is written through any store over this database, so callers
     * may keep what they derived from `listPublic()` until it changes.
     */
    generation(): number {
      return generation.value;
    },
    /** Rewrites the description of a benefit wherever a cached product lists it (`benefit.updated`). */
    updateBenefit(benefit: { id: string; type: string; description: string | null }): void {
      const pattern = `%${benefit.id.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
      for (const row of withBenefit.all({ pattern })) {
        const benefits = JSON.parse(row.benefits) as Benefit[];
        let changed = false;
        const next = benefits.map((b) => {
          if (b.id !== benefit.id) return b;
          changed = true;
          return { id: b.id, type: benefit.type, description: benefit.description ?? '' };
        });
        if (changed) {
          setBenefits.run({ id: row.id, benefits: JSON.stringify(next) });
          generation.value++;
        }
      }
    },
  };
}

function toRow(p: PolarProduct, eventTimestamp: string | null | undefined) {
  const benefits: Benefit[] = (p.benefits ?? []).map((b) => ({
    id: b.id,
    type: b.type,
    description: b.description ?? '',
  }));
  const row = {
    id: p.id,
    name: p.name,
    description: p.description ?? null,
    visibility: p.visibility ?? 'public',
    is_recurring: p.is_recurring ? 1 : 0,
    recurring_interval: p.recurring_interval ?? null,
    is_archived: p.is_archived ? 1 : 0,
    prices: JSON.stringify(p.prices.filter((price) => price.is_archived !== true).map(toPrice)),
    benefits: JSON.stringify(benefits),
    metadata: JSON.stringify(p.metadata ?? {}),
    created_at: canonicalTimestamp(p.created_at),
    modified_at: optionalTimestamp(p.modified_at),
  };
  return Object.assign(row, { version_key: versionKey(p, eventTimestamp, row, 0) });
}

function toPrice(price: PolarPrice): Price {
  if (price.amount_type === 'fixed' && price.price_amount !== undefined) {
    return {
      id: price.id,
      amount_type: 'fixed',
      price_amount: price.price_amount,
      price_currency: price.price_currency,
    };
  }
  if (price.amount_type === 'custom') {
    return {
      id: price.id,
      amount_type: 'custom',
      price_currency: price.price_currency,
      minimum_amount: price.minimum_amount ?? 0,
      maximum_amount: price.maximum_amount ?? null,
      preset_amount: price.preset_amount ?? null,
    };
  }
  return { id: price.id, amount_type: 'other', price_currency: price.price_currency };
}

function toPublic(row: ProductRow): Product {
  const prices = JSON.parse(row.prices) as Price[];
  const first = prices[0];
  return {
    id: row.id,
    name: row.name,
    description: row.description,
    is_recurring: row.is_recurring === 1,
    recurring_interval: row.recurring_interval,
    price_amount: first?.amount_type === 'fixed' ? first.price_amount : null,
    price_currency: first?.price_currency ?? 'usd',
    prices,
    benefits: JSON.parse(row.benefits) as Benefit[],
    metadata: JSON.parse(row.metadata) as Product['metadata'],
  };
}

function toStored(row: ProductRow): StoredProduct {
  return {
    ...toPublic(row),
    visibility: row.visibility,
    isArchived: row.is_archived === 1,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}
