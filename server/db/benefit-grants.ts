import type { Database } from 'better-sqlite3';
import { parsePolar, polarBenefitGrantSchema } from './polar-shapes.js';
import { canonicalTimestamp, optionalTimestamp, versionKey } from './timestamps.js';

export type BenefitGrantStore = ReturnType<typeof createBenefitGrantStore>;

/** Repository of benefit grants (granted, revoked, cycled). */
export function createBenefitGrantStore(db: Database) {
  const upsert = db.prepare(`
    INSERT INTO benefit_grants (id, customer_id, benefit_id, benefit_type, benefit_description, subscription_id,
                                order_id, is_granted, is_revoked, granted_at, revoked_at, created_at, modified_at,
                                version_key)
    VALUES (@id, @customer_id, @benefit_id, @benefit_type, @benefit_description, @subscription_id,
            @order_id, @is_granted, @is_revoked, @granted_at, @revoked_at, @created_at, @modified_at,
            @version_key)
    ON CONFLICT (id) DO UPDATE SET
      customer_id = excluded.customer_id, benefit_id = excluded.benefit_id, benefit_type = excluded.benefit_type,
      benefit_description = coalesce(excluded.benefit_description, benefit_grants.benefit_description),
      subscription_id = excluded.subscription_id, order_id = excluded.order_id,
      is_granted = excluded.is_granted, is_revoked = excluded.is_revoked, granted_at = excluded.granted_at,
      revoked_at = excluded.revoked_at, created_at = excluded.created_at, modified_at = excluded.modified_at,
      version_key = excluded.version_key
    WHERE excluded.version_key > benefit_grants.version_key`);
  const describe = db.prepare(
    `UPDATE benefit_grants SET benefit_type = @type, benefit_description = @description WHERE benefit_id = @id`,
  );

  return {
    /**
     * Stores a Polar benefit grant unless a newer state is stored. Returns whether it was written.
     * @throws {PolarDataError} when the grant lacks a field the kit stores
     */
    upsert(polarGrant: unknown, eventTimestamp?: string | null): boolean {
      const g = parsePolar(polarBenefitGrantSchema, polarGrant, 'benefit grant');
      const row = {
        id: g.id,
        customer_id: g.customer_id,
        benefit_id: g.benefit_id,
        benefit_type: g.benefit?.type ?? 'custom',
        benefit_description: g.benefit?.description ?? null,
        subscription_id: g.subscription_id ?? null,
        order_id: g.order_id ?? null,
        is_granted: g.is_granted ? 1 : 0,
        is_revoked: g.is_revoked ? 1 : 0,
        granted_at: optionalTimestamp(g.granted_at),
        revoked_at: optionalTimestamp(g.revoked_at),
        created_at: canonicalTimestamp(g.created_at),
        modified_at: optionalTimestamp(g.modified_at),
      };
      const version_key = versionKey(g, eventTimestamp, row, g.is_revoked ? 1 : 0);
      return upsert.run(Object.assign(row, { version_key })).changes > 0;
    },
    /** Refreshes the type and description of a benefit on every grant of it (`benefit.updated`). */
    describeBenefit(benefit: { id: string; type: string; description: string | null }): void {
      describe.run({ id: benefit.id, type: benefit.type, description: benefit.description });
    },
  };
}
