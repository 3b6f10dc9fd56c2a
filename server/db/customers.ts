import type { Database } from 'better-sqlite3';
import { parsePolar, polarCustomerSchema } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

/** A customer as the kit stores it. */
export type Customer = {
  id: string;
  email: string | null;
  externalId: string | null;
  name: string | null;
  deletedAt: string | null;
  createdAt: string;
  modifiedAt: string | null;
};

export type CustomerRow = {
  id: string;
  email: string | null;
  external_id: string | null;
  name: string | null;
  deleted_at: string | null;
  created_at: string;
  modified_at: string | null;
};

export type CustomerStore = ReturnType<typeof createCustomerStore>;

/** Repository of customers; every write keeps the newest state (see `versionKey`). */
export function createCustomerStore(db: Database) {
  // `deleted_at` is sticky: Polar never undeletes, so a late event carrying an older copy of the customer
  // must not bring it back.
  const upsert = db.prepare(`
    INSERT INTO customers (id, email, external_id, name, deleted_at, created_at, modified_at, version_key)
    VALUES (@id, @email, @external_id, @name, @deleted_at, @created_at, @modified_at, @version_key)
    ON CONFLICT (id) DO UPDATE SET
      email = excluded.email,
      external_id = coalesce(excluded.external_id, customers.external_id),
      name = excluded.name,
      deleted_at = coalesce(customers.deleted_at, excluded.deleted_at),
      created_at = excluded.created_at,
      modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > customers.version_key`);
  const markDeleted = db.prepare(
    `UPDATE customers SET deleted_at = coalesce(deleted_at, @deleted_at) WHERE id = @id`,
  );
  const byId = db.prepare<[string], CustomerRow>(`SELECT * FROM customers WHERE id = ?`);
  const byKey = db.prepare<{ key: string }, CustomerRow>(`
    SELECT * FROM customers
    WHERE external_id = @key OR id = @key OR email_lower = lower(@key)
    ORDER BY (external_id = @key) DESC, (id = @key) DESC, (deleted_at IS NULL) DESC, created_at DESC
    LIMIT 1`);
  const byEmail = db.prepare<{ email: string }, CustomerRow>(
    `SELECT * FROM customers WHERE email_lower = lower(@email) ORDER BY created_at`,
  );

  return {
    /**
     * Stores a Polar customer unless a newer state is already stored. Returns whether it was written.
     * @param options.embedded the copy came inside another object's event (an order's `customer`): it never
     *   replaces a stored state with the same `modified_at` (see `versionKey`)
     * @throws {PolarDataError} when the object lacks a field the kit stores
     */
    upsert(
      polarCustomer: unknown,
      eventTimestamp?: string | null,
      options: { embedded?: boolean } = {},
    ): boolean {
      const c = parsePolar(polarCustomerSchema, polarCustomer, 'customer');
      const row = {
        id: c.id,
        email: c.email ?? null,
        external_id: c.external_id ?? null,
        name: c.name ?? null,
        deleted_at: optionalTimestamp(c.deleted_at),
        created_at: canonicalTimestamp(c.created_at),
        modified_at: optionalTimestamp(c.modified_at),
      };
      const version_key = versionKey(c, eventTimestamp, row, c.deleted_at ? 1 : 0, options);
      return upsert.run(Object.assign(row, { version_key })).changes > 0;
    },
    /** Marks a customer deleted (from `customer.deleted`), at `deletedAt` unless already deleted earlier. */
    markDeleted(id: string, deletedAt: string): void {
      markDeleted.run({ id, deleted_at: canonicalTimestamp(deletedAt) });
    },
    get(id: string): Customer | null {
      const row = byId.get(id);
      return row ? toCustomer(row) : null;
    },
    /** The customer whose external id, Polar id or email (case-insensitive) is `key`, preferring that order. */
    findByKey(key: string): Customer | null {
      const row = byKey.get({ key });
      return row ? toCustomer(row) : null;
    },
    /** Every customer with this email (case-insensitive), oldest first. */
    findByEmail(email: string): Customer[] {
      return byEmail.all({ email }).map(toCustomer);
    },
  };
}

function toCustomer(row: CustomerRow): Customer {
  return {
    id: row.id,
    email: row.email,
    externalId: row.external_id,
    name: row.name,
    deletedAt: row.deleted_at,
    createdAt: row.created_at,
    modifiedAt: row.modified_at,
  };
}
