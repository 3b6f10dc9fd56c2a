import type { Database } from 'better-sqlite3';
import type { WebhookEventStatus } from './webhook-events.js';

/** One stored delivery as the admin listing shows it (the payload is left out). */
export type WebhookEventListItem = {
  webhook_id: string;
  type: string;
  status: WebhookEventStatus;
  error: string | null;
  attempts: number;
  event_timestamp: string | null;
  received_at: string;
  processed_at: string | null;
};

type Row = WebhookEventListItem & { id: number };

/**
 * Pages through stored webhook deliveries, newest first, with an opaque cursor (the row id of the last item
 * seen), so deliveries arriving meanwhile neither repeat nor hide items.
 */
export function createWebhookEventPages(db: Database) {
  const page = db.prepare<{ status: string | null; before: number | null; limit: number }, Row>(`
    SELECT id, webhook_id, type, status, error, attempts, event_timestamp, received_at, processed_at
    FROM webhook_events
    WHERE (@status IS NULL OR status = @status) AND (@before IS NULL OR id < @before)
    ORDER BY id DESC LIMIT @limit`);

  return {
    list(options: { status?: WebhookEventStatus; cursor?: string; limit: number }): {
      items: WebhookEventListItem[];
      next_cursor: string | null;
    } {
      const before = options.cursor === undefined ? null : Number.parseInt(options.cursor, 10);
      const rows = page.all({
        status: options.status ?? null,
        before: before !== null && Number.isSafeInteger(before) ? before : null,
        limit: options.limit + 1,
      });
      const more = rows.length > options.limit;
      const items = rows.slice(0, options.limit);
      return {
        items: items.map(({ id: _id, ...item }) => item),
        next_cursor: more && items.length > 0 ? String(items[items.length - 1]!.id) : null,
      };
    },
  };
}
