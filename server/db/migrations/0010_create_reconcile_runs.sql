-- One row per reconciliation run: what it read from Polar's list endpoints and what it changed. The newest
-- completed run's `started_at` is the watermark the next run starts from.
CREATE TABLE reconcile_runs (
  id INTEGER PRIMARY KEY,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  since TEXT,
  status TEXT NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
  fetched INTEGER NOT NULL DEFAULT 0 CHECK (fetched >= 0),
  created INTEGER NOT NULL DEFAULT 0 CHECK (created >= 0),
  updated INTEGER NOT NULL DEFAULT 0 CHECK (updated >= 0),
  failed INTEGER NOT NULL DEFAULT 0 CHECK (failed >= 0),
  error TEXT
) STRICT;

CREATE INDEX reconcile_runs_completed ON reconcile_runs (status, started_at);
