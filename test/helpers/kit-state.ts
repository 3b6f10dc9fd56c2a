import type { Database } from 'better-sqlite3';
import fc from 'fast-check';

/** The tables webhooks write the kit's state into. */
export const KIT_STATE_TABLES = [
  'customers',
  'products',
  'checkouts',
  'orders',
  'subscriptions',
  'benefit_grants',
  'refunds',
] as const;

/**
 * Every row of the kit's state tables, ordered by id, for comparing two databases; with `webhookEvents`, also
 * those columns of the delivery log (ordered by webhook id).
 */
export function snapshotKitState(
  db: Database,
  options: { webhookEvents?: readonly string[] } = {},
): Record<string, unknown[]> {
  const result: Record<string, unknown[]> = {};
  for (const table of KIT_STATE_TABLES)
    result[table] = db.prepare(`SELECT * FROM ${table} ORDER BY id`).all();
  if (options.webhookEvents) {
    result.webhook_events = db
      .prepare(`SELECT ${options.webhookEvents.join(', ')} FROM webhook_events ORDER BY webhook_id`)
      .all();
  }
  return result;
}

/**
 * Delivery orders of `n` deliveries: every index once in a random order, plus up to `maxRepeats` of them
 * delivered again at random places (as Polar's retries and duplicates do).
 */
export function shuffledWithRepeats(n: number, maxRepeats: number): fc.Arbitrary<number[]> {
  const indexes = Array.from({ length: n }, (_, i) => i);
  return fc
    .tuple(
      fc.shuffledSubarray(indexes, { minLength: n, maxLength: n }),
      fc.array(fc.tuple(fc.nat(n - 1), fc.nat(n)), { maxLength: maxRepeats }),
    )
    .map(([permutation, repeats]) => {
      const sequence = [...permutation];
      for (const [event, position] of repeats) sequence.splice(position % (sequence.length + 1), 0, event);
      return sequence;
    });
}
