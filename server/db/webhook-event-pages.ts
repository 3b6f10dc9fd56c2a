import type { Database } from 'better-sqlite3';
import type { WebhookEventSummary, WebhookEventsResponse } from '../../contract/contract.js';
import type { WebhookEventStatus } from './webhook-events.js';

/** A delivery as the listing reads it, with the row id that serves as the cursor. */
type Row = WebhookEventSummary & { id: number };

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
    list(options: { status?: WebhookEventStatus; cursor?: string; limit: number }): WebhookEventsResponse {
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
