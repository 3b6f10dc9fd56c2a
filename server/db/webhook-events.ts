import type { Database } from 'better-sqlite3';

export type WebhookEventStatus = 'processed' | 'failed' | 'ignored';

/** One stored webhook delivery. */
export type WebhookEventRecord = {
  webhookId: string;
  type: string;
  /** The time that orders this event against others: the envelope `timestamp`, else the delivery time. */
  eventTimestamp: string | null;
  payload: string;
  status: WebhookEventStatus;
  error: string | null;
  attempts: number;
  receivedAt: string;
  processedAt: string | null;
};

type WebhookEventRow = {
  webhook_id: string;
  type: string;
  event_timestamp: string | null;
  payload: string;
  status: WebhookEventStatus;
  error: string | null;
  attempts: number;
  received_at: string;
  processed_at: string | null;
};

/** A delivery applied (`processed`) or stored without applying (`ignored`, an event type the kit does not know). */
export type DeliveryOutcome = {
  webhookId: string;
  type: string;
  eventTimestamp: string | null;
  payload: string;
  status: 'processed' | 'ignored';
  receivedAt: string;
  processedAt: string;
};

export type WebhookEventStore = ReturnType<typeof createWebhookEventStore>;

/** Repository of webhook deliveries: the de-duplication record (`webhook_id` UNIQUE) and the raw payloads. */
export function createWebhookEventStore(db: Database) {
  const byId = db.prepare<[string], WebhookEventRow>(`SELECT * FROM webhook_events WHERE webhook_id = ?`);
  // A first delivery, or the retry of a failed one (the attempt counter goes up); any other repeat changes
  // nothing, which is how a duplicate is told apart without reading the row first.
  const recordDelivery = db.prepare(`
    INSERT INTO webhook_events (webhook_id, type, event_timestamp, payload, status, error, attempts, received_at, processed_at)
    VALUES (@webhook_id, @type, @event_timestamp, @payload, @status, NULL, 1, @received_at, @processed_at)
    ON CONFLICT (webhook_id) DO UPDATE SET
      status = excluded.status, error = NULL, attempts = webhook_events.attempts + 1,
      processed_at = excluded.processed_at
    WHERE webhook_events.status = 'failed'`);
  // A replay: the stored event is applied again, whatever its status was.
  const recordOutcome = db.prepare(`
    INSERT INTO webhook_events (webhook_id, type, event_timestamp, payload, status, error, attempts, received_at, processed_at)
    VALUES (@webhook_id, @type, @event_timestamp, @payload, @status, NULL, 1, @received_at, @processed_at)
    ON CONFLICT (webhook_id) DO UPDATE SET
      status = excluded.status, error = NULL, attempts = webhook_events.attempts + 1,
      processed_at = excluded.processed_at`);
  // Written outside the rolled-back transaction; never downgrades an event another process has processed.
  const recordFailure = db.prepare(`
    INSERT INTO webhook_events (webhook_id, type, event_timestamp, payload, status, error, attempts, received_at, processed_at)
    VALUES (@webhook_id, @type, @event_timestamp, @payload, 'failed', @error, 1, @received_at, NULL)
    ON CONFLICT (webhook_id) DO UPDATE SET
      status = 'failed', error = excluded.error, attempts = webhook_events.attempts + 1
    WHERE webhook_events.status = 'failed'`);
  const list = db.prepare<{ status: string | null; limit: number }, WebhookEventRow>(`
    SELECT * FROM webhook_events WHERE @status IS NULL OR status = @status
    ORDER BY received_at DESC, id DESC LIMIT @limit`);

  return {
    find(webhookId: string): WebhookEventRecord | null {
      const row = byId.get(webhookId);
      return row ? toRecord(row) : null;
    },
    /**
     * Records a new delivery, or the retry of a failed one, as processed or ignored (inside the transaction
     * that applies it). Returns `false`, writing nothing, when the `webhook-id` is already processed or
     * ignored: a duplicate.
     */
    recordDelivery(event: DeliveryOutcome): boolean {
      return recordDelivery.run(outcomeParams(event)).changes > 0;
    },
    /** Records a replayed delivery as processed or ignored (inside the transaction that applies it). */
    recordOutcome(event: DeliveryOutcome): void {
      recordOutcome.run(outcomeParams(event));
    },
    /** Records that applying a delivery failed, with the error, so a retry or a replay can re-apply it. */
    recordFailure(event: {
      webhookId: string;
      type: string;
      eventTimestamp: string | null;
      payload: string;
      error: string;
      receivedAt: string;
    }): void {
      recordFailure.run({
        webhook_id: event.webhookId,
        type: event.type,
        event_timestamp: event.eventTimestamp,
        payload: event.payload,
        error: event.error.slice(0, 2000),
        received_at: event.receivedAt,
      });
    },
    /** Stored deliveries, newest first, optionally only those with one status. */
    list(options: { status?: WebhookEventStatus; limit?: number } = {}): WebhookEventRecord[] {
      return list.all({ status: options.status ?? null, limit: options.limit ?? 100 }).map(toRecord);
    },
  };
}

function outcomeParams(event: DeliveryOutcome) {
  return {
    webhook_id: event.webhookId,
    type: event.type,
    event_timestamp: event.eventTimestamp,
    payload: event.payload,
    status: event.status,
    received_at: event.receivedAt,
    processed_at: event.processedAt,
  };
}

function toRecord(row: WebhookEventRow): WebhookEventRecord {
  return {
    webhookId: row.webhook_id,
    type: row.type,
    eventTimestamp: row.event_timestamp,
    payload: row.payload,
    status: row.status,
    error: row.error,
    attempts: row.attempts,
    receivedAt: row.received_at,
    processedAt: row.processed_at,
  };
}
