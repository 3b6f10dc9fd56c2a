import type { Database } from 'better-sqlite3';

/** The tables reconciliation writes, named after Polar's list endpoints. */
export type ReconciledTable = 'orders' | 'subscriptions' | 'customers' | 'refunds';

/** A finished (or running) reconciliation run as stored. */
export type ReconcileRun = {
  id: number;
  startedAt: string;
  finishedAt: string | null;
  since: string | null;
  status: 'running' | 'completed' | 'failed';
  fetched: number;
  created: number;
  updated: number;
  failed: number;
  error: string | null;
};

type ReconcileRunRow = {
  id: number;
  started_at: string;
  finished_at: string | null;
  since: string | null;
  status: ReconcileRun['status'];
  fetched: number;
  created: number;
  updated: number;
  failed: number;
  error: string | null;
};

export type ReconcileRunStore = ReturnType<typeof createReconcileRunStore>;

/** Repository of reconciliation runs (the watermark) and the version lookups reconciliation compares. */
export function createReconcileRunStore(db: Database) {
  const insert = db.prepare<{ started_at: string; since: string | null }>(
    `INSERT INTO reconcile_runs (started_at, since) VALUES (@started_at, @since)`,
  );
  const finish = db.prepare(`
    UPDATE reconcile_runs SET status = @status, finished_at = @finished_at, fetched = @fetched, created = @created,
                              updated = @updated, failed = @failed, error = @error
    WHERE id = @id`);
  const watermark = db.prepare<[], { started_at: string }>(
    `SELECT started_at FROM reconcile_runs WHERE status = 'completed' ORDER BY started_at DESC LIMIT 1`,
  );
  const latest = db.prepare<[], ReconcileRunRow>(`SELECT * FROM reconcile_runs ORDER BY id DESC LIMIT 1`);
  // One statement per table: table names are identifiers and cannot be bound as parameters.
  const versions: Record<
    ReconciledTable,
    ReturnType<typeof db.prepare<[string], { version_key: string }>>
  > = {
    orders: db.prepare(`SELECT version_key FROM orders WHERE id = ?`),
    subscriptions: db.prepare(`SELECT version_key FROM subscriptions WHERE id = ?`),
    customers: db.prepare(`SELECT version_key FROM customers WHERE id = ?`),
    refunds: db.prepare(`SELECT version_key FROM refunds WHERE id = ?`),
  };

  return {
    /** Records the start of a run; returns its id. */
    start(startedAt: string, since: string | null): number {
      return Number(insert.run({ started_at: startedAt, since }).lastInsertRowid);
    },
    /** Records how a run ended and what it did. */
    finish(
      id: number,
      outcome: {
        status: 'completed' | 'failed';
        finishedAt: string;
        fetched: number;
        created: number;
        updated: number;
        failed: number;
        error?: string | null;
      },
    ): void {
      finish.run({
        id,
        status: outcome.status,
        finished_at: outcome.finishedAt,
        fetched: outcome.fetched,
        created: outcome.created,
        updated: outcome.updated,
        failed: outcome.failed,
        error: outcome.error ?? null,
      });
    },
    /** The start time of the newest completed run: everything changed before it has been read. */
    watermark(): string | null {
      return watermark.get()?.started_at ?? null;
    },
    /** The newest run, whatever its status. */
    latest(): ReconcileRun | null {
      const row = latest.get();
      return row
        ? {
            id: row.id,
            startedAt: row.started_at,
            finishedAt: row.finished_at,
            since: row.since,
            status: row.status,
            fetched: row.fetched,
            created: row.created,
            updated: row.updated,
            failed: row.failed,
            error: row.error,
          }
        : null;
    },
    /** The stored version key of one object (see `versionKey`), or `null` when the kit has no copy. */
    versionOf(table: ReconciledTable, id: string): string | null {
      return versions[table].get(id)?.version_key ?? null;
    },
  };
}
