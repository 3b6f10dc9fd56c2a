import type { Database } from 'better-sqlite3';
import type { CheckoutResponse, CheckoutStatus } from '../../contract/contract.js';
import { AppError } from '../errors.js';
import { parsePolar, polarCheckoutSchema } from './polar-shapes.js';
import type { PolarCheckout } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

/** A checkout session as the kit stores it. */
export type StoredCheckout = {
  id: string;
  status: CheckoutStatus;
  clientSecret: string;
  url: string;
  expiresAt: string;
  productId: string | null;
  productName: string | null;
  amount: number;
  totalAmount: number;
  currency: string;
  customerId: string | null;
  customerEmail: string | null;
  externalCustomerId: string | null;
  subscriptionId: string | null;
  embedOrigin: string | null;
  successUrl: string | null;
  idempotencyKey: string | null;
  requestHash: string | null;
  createdAt: string;
  modifiedAt: string | null;
};

type CheckoutRow = {
  id: string;
  status: CheckoutStatus;
  client_secret: string;
  url: string;
  expires_at: string;
  product_id: string | null;
  product_name: string | null;
  amount: number;
  total_amount: number;
  currency: string;
  customer_id: string | null;
  customer_email: string | null;
  external_customer_id: string | null;
  subscription_id: string | null;
  embed_origin: string | null;
  success_url: string | null;
  idempotency_key: string | null;
  request_hash: string | null;
  created_at: string;
  modified_at: string | null;
};

export type CheckoutStore = ReturnType<typeof createCheckoutStore>;

/** Repository of checkout sessions: the ones the kit created, and their states from Polar. */
export function createCheckoutStore(db: Database) {
  const upsert = db.prepare(`
    INSERT INTO checkouts (id, status, client_secret, url, expires_at, product_id, product_name, amount,
                           total_amount, currency, customer_id, customer_email, external_customer_id,
                           subscription_id, embed_origin, success_url, created_at, modified_at, version_key)
    VALUES (@id, @status, @client_secret, @url, @expires_at, @product_id, @product_name, @amount,
            @total_amount, @currency, @customer_id, @customer_email, @external_customer_id,
            @subscription_id, @embed_origin, @success_url, @created_at, @modified_at, @version_key)
    ON CONFLICT (id) DO UPDATE SET
      status = excluded.status, client_secret = excluded.client_secret, url = excluded.url,
      expires_at = excluded.expires_at, product_id = excluded.product_id,
      product_name = coalesce(excluded.product_name, checkouts.product_name), amount = excluded.amount,
      total_amount = excluded.total_amount, currency = excluded.currency, customer_id = excluded.customer_id,
      customer_email = excluded.customer_email,
      external_customer_id = coalesce(excluded.external_customer_id, checkouts.external_customer_id),
      subscription_id = excluded.subscription_id, embed_origin = excluded.embed_origin,
      success_url = excluded.success_url, created_at = excluded.created_at, modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > checkouts.version_key`);
  const setKey = db.prepare(
    `UPDATE checkouts SET idempotency_key = @key, request_hash = @hash WHERE id = @id AND idempotency_key IS NULL`,
  );
  const byId = db.prepare<[string], CheckoutRow>(`SELECT * FROM checkouts WHERE id = ?`);
  const byKey = db.prepare<[string], CheckoutRow>(`SELECT * FROM checkouts WHERE idempotency_key = ?`);

  const insert = db.transaction(
    (checkout: unknown, options: { idempotencyKey?: string; requestHash?: string }) => {
      const c = parsePolar(polarCheckoutSchema, checkout, 'checkout');
      upsert.run(toRow(c, null));
      if (options.idempotencyKey === undefined) return;
      const owner = byKey.get(options.idempotencyKey);
      if (owner && owner.id !== c.id) {
        throw new AppError('IDEMPOTENCY_KEY_REUSED', {
          detail: 'This Idempotency-Key already belongs to another checkout.',
        });
      }
      setKey.run({ id: c.id, key: options.idempotencyKey, hash: options.requestHash ?? null });
    },
  );

  return {
    /**
     * Records a checkout the kit just created, with the Idempotency-Key (and a hash of the request) that
     * created it. A `checkout.created` webhook that arrived first is merged, newest state winning. The commit
     * does not wait for the disk (`withoutFsync`): Polar holds the checkout too, and the status route reads
     * it back from Polar when a power cut lost it.
     * @throws {AppError} IDEMPOTENCY_KEY_REUSED when the key already belongs to another checkout
     * @throws {PolarDataError} when the checkout lacks a field the kit stores
     */
    insert(
      polarCheckout: unknown,
      options: { idempotencyKey?: string; requestHash?: string } = {},
    ): StoredCheckout {
      withoutFsync(db, () => insert.immediate(polarCheckout, options));
      const id = (polarCheckout as { id: string }).id;
      return toCheckout(byId.get(id)!);
    },
    /** Stores a checkout state from Polar (webhook or refresh) unless a newer one is stored. */
    upsertFromPolar(polarCheckout: unknown, eventTimestamp?: string | null): boolean {
      const c = parsePolar(polarCheckoutSchema, polarCheckout, 'checkout');
      return upsert.run(toRow(c, eventTimestamp)).changes > 0;
    },
    get(id: string): StoredCheckout | null {
      const row = byId.get(id);
      return row ? toCheckout(row) : null;
    },
    /** The checkout created with this Idempotency-Key, with the hash of the request that created it. */
    findByIdempotencyKey(key: string): StoredCheckout | null {
      const row = byKey.get(key);
      return row ? toCheckout(row) : null;
    },
  };
}

/** The contract's answer to `POST /api/checkout` for a stored checkout. */
export function toCheckoutResponse(checkout: StoredCheckout): CheckoutResponse {
  return {
    checkout_id: checkout.id,
    checkout_url: checkout.url,
    client_secret: checkout.clientSecret,
    expires_at: checkout.expiresAt,
    status: checkout.status,
  };
}

/** How far along a checkout is, for two states with the same `modified_at`. */
const CHECKOUT_RANK: Record<PolarCheckout['status'], number> = {
  open: 0,
  confirmed: 1,
  expired: 2,
  failed: 2,
  succeeded: 2,
};

function toRow(c: PolarCheckout, eventTimestamp: string | null | undefined) {
  const row = {
    id: c.id,
    status: c.status,
    client_secret: c.client_secret,
    url: c.url,
    expires_at: canonicalTimestamp(c.expires_at),
    product_id: c.product_id ?? null,
    product_name: c.product?.name ?? null,
    amount: c.amount,
    total_amount: c.total_amount,
    currency: c.currency,
    customer_id: c.customer_id ?? null,
    customer_email: c.customer_email ?? null,
    external_customer_id: c.external_customer_id ?? null,
    subscription_id: c.subscription_id ?? null,
    embed_origin: c.embed_origin ?? null,
    success_url: c.success_url ?? null,
    created_at: canonicalTimestamp(c.created_at),
    modified_at: optionalTimestamp(c.modified_at),
  };
  return Object.assign(row, { version_key: versionKey(c, eventTimestamp, row, CHECKOUT_RANK[c.status]) });
}

function toCheckout(row: CheckoutRow): StoredCheckout {
  return {
    id: row.id,
    status: row.status,
    clientSecret: row.client_secret,
    url: row.url,
    expiresAt: row.expires_at,
    productId: row.product_id,
    productName: row.product_name,
    amount: row.amount,
    totalAmount: row.total_amount,
    currency: row.currency,
    customerId: row.customer_id,
    customerEmail: row.customer_email,
    externalCustomerId: row.external_customer_id,
    subscriptionId: row.subscription_id,
    embedOrigin: row.embed_origin,
    successUrl: row.success_url,
    idempotencyKey: row.idempotency_key,
    requestHash: row.request_hash,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}

/**
 * Runs one write transaction with `synchronous = NORMAL` on this connection, then puts the connection's level
 * back. In WAL mode such a commit survives a crash of the process (the WAL is written before `fn` returns) but
 * not a power cut or an OS crash until the WAL is next synced: by the next `FULL` commit on the database (one
 * fsync covers the whole WAL) or by the next checkpoint.
 */
function withoutFsync<T>(db: Database, fn: () => T): T {
  // Through db.pragma each time, never a statement prepared once: SQLite reads and sets this pragma while
  // compiling it, so a prepared one would set the level on creation and return a stale value when run.
  const level = db.pragma('synchronous', { simple: true }) as number;
  if (level <= 1 || db.inTransaction) return fn();
  db.pragma('synchronous = NORMAL');
  try {
    return fn();
  } finally {
    db.pragma(`synchronous = ${level}`);
  }
}
