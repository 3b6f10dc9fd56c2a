import type { Database } from 'better-sqlite3';
import { createWebhookEventStore } from '../db/webhook-events.js';
import type { PolarWebhookEvent } from '../polar/verify-webhook.js';
import { createEventApplier, isKnownEventType } from './apply-event.js';
import type { KnownEventType } from './apply-event.js';

/** A verified delivery, ready to be stored and applied. */
export type Delivery = {
  webhookId: string;
  event: PolarWebhookEvent;
  /** The body as text, exactly as signed. */
  body: string;
  /** The event's time (`eventTime`): the envelope's timestamp, else the delivery attempt's. */
  at: string;
  receivedAt: string;
};

export type Outcome = 'processed' | 'ignored' | 'duplicate';

/** What became of one delivery of a batch; every database write it needed is done. */
export type DeliveryResult =
  | { outcome: Outcome }
  | {
      /** Why the delivery was not applied (its savepoint was rolled back, or the whole batch was). */
      error: unknown;
      /** The error that kept the failure from being recorded, if any (a retry re-applies the event anyway). */
      recordError?: unknown;
    };

export type BatchResult = {
  /** Whether the batch's transaction committed; when not, every result carries the batch's error. */
  committed: boolean;
  results: DeliveryResult[];
};

export type BatchWriter = {
  /**
   * Applies deliveries in one transaction (BEGIN IMMEDIATE … COMMIT), each in its own savepoint so that a
   * failing one rolls back only itself and is recorded `failed` in the same transaction. Returns after the
   * COMMIT (or after a failed batch's failures were recorded), with one result per delivery, in order.
   */
  commit(deliveries: readonly Delivery[], processedAt: string): BatchResult;
  /** Applies a stored delivery again and records it `processed`, in one transaction. */
  reapply(delivery: Delivery, processedAt: string): void;
  /** Records a failed delivery (with the error) so a retry or a replay re-applies it; the error if it could not. */
  recordFailure(delivery: Delivery, error: unknown): unknown;
};

/**
 * The database side of webhook ingest, on one connection: the same code runs on the kit's own connection
 * (`:memory:` databases, `replay`) and on the ingest worker's.
 */
export function createBatchWriter(db: Database): BatchWriter {
  const events = createWebhookEventStore(db);
  const applier = createEventApplier(db);

  function applyOne(d: Delivery, processedAt: string): Outcome {
    const known = isKnownEventType(d.event.type);
    // The insert itself finds a duplicate (a `webhook-id` already processed or ignored): nothing is written.
    const recorded = events.recordDelivery({
      webhookId: d.webhookId,
      type: d.event.type,
      eventTimestamp: d.at,
      payload: d.body,
      status: known ? 'processed' : 'ignored',
      receivedAt: d.receivedAt,
      processedAt,
    });
    if (!recorded) return 'duplicate';
    if (known) applier.apply(d.event as PolarWebhookEvent & { type: KnownEventType }, d.at);
    return known ? 'processed' : 'ignored';
  }

  // Called inside `batch`, this is a savepoint: a throw rolls back this delivery only.
  const ingestOne = db.transaction(applyOne);

  type Pending = { outcome?: Outcome; error?: unknown; recorded?: boolean; recordError?: unknown };

  const batch = db.transaction((deliveries: readonly Delivery[], processedAt: string): Pending[] => {
    const pending: Pending[] = [];
    for (const delivery of deliveries) {
      try {
        pending.push({ outcome: ingestOne(delivery, processedAt) });
      } catch (error) {
        // SQLite itself may have ended the whole transaction (a full disk, an I/O error): then nothing of
        // this batch is applied, and carrying on would commit the rest one statement at a time.
        if (!db.inTransaction) throw error;
        const recordError = recordFailure(delivery, error);
        pending.push({ error, recorded: recordError === undefined, recordError });
      }
    }
    return pending;
  });

  const reapply = db.transaction((d: Delivery, processedAt: string): void => {
    applier.apply(d.event as PolarWebhookEvent & { type: KnownEventType }, d.at);
    events.recordOutcome({
      webhookId: d.webhookId,
      type: d.event.type,
      eventTimestamp: d.at,
      payload: d.body,
      status: 'processed',
      receivedAt: d.receivedAt,
      processedAt,
    });
  });

  function recordFailure(d: Delivery, error: unknown): unknown {
    try {
      events.recordFailure({
        webhookId: d.webhookId,
        type: d.event.type,
        eventTimestamp: d.at,
        payload: d.body,
        error: describe(error),
        receivedAt: d.receivedAt,
      });
      return undefined;
    } catch (recordError) {
      return recordError;
    }
  }

  return {
    commit(deliveries, processedAt) {
      let pending: Pending[];
      try {
        pending = batch.immediate(deliveries, processedAt);
      } catch (error) {
        // BEGIN or COMMIT failed, or SQLite ended the transaction: nothing of this batch is stored.
        return {
          committed: false,
          results: deliveries.map((d) => {
            const recordError = recordFailure(d, error);
            return recordError === undefined ? { error } : { error, recordError };
          }),
        };
      }
      return {
        committed: true,
        results: pending.map((p, i): DeliveryResult => {
          if (p.error === undefined) return { outcome: p.outcome! };
          // A failure that could not be recorded inside the transaction is tried again after it.
          const recordError = p.recorded ? undefined : recordFailure(deliveries[i]!, p.error);
          return recordError === undefined ? { error: p.error } : { error: p.error, recordError };
        }),
      };
    },
    reapply: (delivery, processedAt) => reapply.immediate(delivery, processedAt),
    recordFailure,
  };
}

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}
