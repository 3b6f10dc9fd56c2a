-- Usage events accepted from the merchant's app, waiting to be sent to Polar's events ingest in batches.
CREATE TABLE usage_outbox (
  id INTEGER PRIMARY KEY,
  external_id TEXT NOT NULL UNIQUE,
  payload TEXT NOT NULL CHECK (json_valid(payload)),
  status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0 CHECK (attempts >= 0),
  next_attempt_at TEXT NOT NULL,
  last_error TEXT,
  created_at TEXT NOT NULL,
  sent_at TEXT
) STRICT;

CREATE INDEX usage_outbox_due ON usage_outbox (status, next_attempt_at);
