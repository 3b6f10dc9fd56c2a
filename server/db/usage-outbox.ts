import type { Database } from 'better-sqlite3';
import type { IngestEvent } from '../polar/gateway.js';

/** One usage event as it waits in the outbox: exactly what Polar's events ingest takes (`external_id` always set). */
export type OutboxEvent = IngestEvent;

/** A row due for sending. */
export type OutboxEntry = { id: number; attempts: number; event: OutboxEvent };

export type OutboxCounts = { pending: number; failed: number; sent: number };

type DueRow = { id: number; attempts: number; payload: string };

export type UsageOutbox = ReturnType<typeof createUsageOutbox>;

/**
 * Repository of the usage outbox (`usage_outbox`): events accepted from the merchant's app, each with a unique
 * `external_id`, waiting to be sent to Polar. A row becomes `sent` only after Polar accepted it, and `failed`
 * only when Polar rejected that very event; everything else stays `pending` with its next attempt time.
 */
export function createUsageOutbox(db: Database) {
  const insert = db.prepare<{ external_id: string; payload: string; now: string }>(`
    INSERT INTO usage_outbox (external_id, payload, status, attempts, next_attempt_at, created_at)
    VALUES (@external_id, @payload, 'pending', 0, @now, @now)
    ON CONFLICT (external_id) DO NOTHING`);
  const due = db.prepare<{ now: string; limit: number }, DueRow>(`
    SELECT id, attempts, payload FROM usage_outbox
    WHERE status = 'pending' AND next_attempt_at <= @now
    ORDER BY next_attempt_at, id LIMIT @limit`);
  const nextDue = db.prepare<[], { at: string | null }>(
    `SELECT MIN(next_attempt_at) AS at FROM usage_outbox WHERE status = 'pending'`,
  );
  const markSent = db.prepare<{ id: number; now: string }>(`
    UPDATE usage_outbox SET status = 'sent', sent_at = @now, attempts = attempts + 1, last_error = NULL
    WHERE id = @id AND status = 'pending'`);
  const reschedule = db.prepare<{ id: number; at: string; error: string }>(`
    UPDATE usage_outbox SET attempts = attempts + 1, next_attempt_at = @at, last_error = @error
    WHERE id = @id AND status = 'pending'`);
  const markFailed = db.prepare<{ id: number; error: string }>(`
    UPDATE usage_outbox SET status = 'failed', attempts = attempts + 1, last_error = @error
    WHERE id = @id AND status = 'pending'`);
  const counts = db.prepare<[], { status: string; n: number }>(
    `SELECT status, COUNT(*) AS n FROM usage_outbox GROUP BY status`,
  );
  const requeueFailed = db.prepare<{ now: string }>(`
    UPDATE usage_outbox SET status = 'pending', next_attempt_at = @now WHERE status = 'failed'`);

  const enqueueAll = db.transaction((events: readonly OutboxEvent[], now: string) => {
    let inserted = 0;
    for (const event of events) {
      inserted += insert.run({ external_id: event.external_id, payload: JSON.stringify(event), now }).changes;
    }
    return inserted;
  });
  const sentAll = db.transaction((ids: readonly number[], now: string) => {
    for (const id of ids) markSent.run({ id, now });
  });
  const rescheduleAll = db.transaction((ids: readonly number[], at: string, error: string) => {
    for (const id of ids) reschedule.run({ id, at, error: error.slice(0, 1000) });
  });

  return {
    /**
     * Stores events in one transaction; an `external_id` already in the outbox is skipped, not stored twice.
     * @returns how many were new
     */
    enqueue(events: readonly OutboxEvent[], now: Date = new Date()): number {
      return enqueueAll.immediate(events, now.toISOString());
    },
    /** Pending events whose next attempt is due, oldest first. */
    due(limit: number, now: Date = new Date()): OutboxEntry[] {
      return due.all({ now: now.toISOString(), limit }).map((row) => ({
        id: row.id,
        attempts: row.attempts,
        event: JSON.parse(row.payload) as OutboxEvent,
      }));
    },
    /** When the earliest pending event is due, or `null` when nothing is pending. */
    nextDueAt(): Date | null {
      const at = nextDue.get()?.at;
      return at ? new Date(at) : null;
    },
    /** Polar accepted these events. */
    markSent(ids: readonly number[], now: Date = new Date()): void {
      sentAll.immediate(ids, now.toISOString());
    },
    /** Polar could not take these events now: try again at `at`. */
    reschedule(ids: readonly number[], at: Date, error: string): void {
      rescheduleAll.immediate(ids, at.toISOString(), error);
    },
    /** Polar rejected this event itself (for example an unknown customer); it is not sent again on its own. */
    markFailed(id: number, error: string): void {
      markFailed.run({ id, error: error.slice(0, 1000) });
    },
    /** Puts failed events back in the queue (after the cause was fixed). @returns how many */
    retryFailed(now: Date = new Date()): number {
      return requeueFailed.run({ now: now.toISOString() }).changes;
    },
    counts(): OutboxCounts {
      const result: OutboxCounts = { pending: 0, failed: 0, sent: 0 };
      for (const row of counts.all()) {
        if (row.status === 'pending' || row.status === 'failed' || row.status === 'sent')
          result[row.status] = row.n;
      }
      return result;
    },
  };
}
