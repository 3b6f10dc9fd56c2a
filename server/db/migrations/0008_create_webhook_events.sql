-- Every verified webhook delivery, keyed by Polar's webhook-id (stable across retries) for de-duplication.
-- The raw payload is kept byte for byte so an event can be replayed.
CREATE TABLE webhook_events (
  id INTEGER PRIMARY KEY,
  webhook_id TEXT NOT NULL UNIQUE,
  type TEXT NOT NULL,
  event_timestamp TEXT,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('processed', 'failed', 'ignored')),
  error TEXT,
  attempts INTEGER NOT NULL DEFAULT 1 CHECK (attempts >= 1),
  received_at TEXT NOT NULL,
  processed_at TEXT
) STRICT;

CREATE INDEX webhook_events_status ON webhook_events (status, received_at);
