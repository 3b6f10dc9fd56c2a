-- Cache of Polar products: filled from the API (replace-all refresh) and from product.* webhooks.
CREATE TABLE products (
  id TEXT PRIMARY KEY NOT NULL,
  name TEXT NOT NULL,
  description TEXT,
  visibility TEXT NOT NULL DEFAULT 'public',
  is_recurring INTEGER NOT NULL CHECK (is_recurring IN (0, 1)),
  recurring_interval TEXT CHECK (recurring_interval IS NULL OR recurring_interval IN ('day', 'week', 'month', 'year')),
  is_archived INTEGER NOT NULL CHECK (is_archived IN (0, 1)),
  prices TEXT NOT NULL CHECK (json_valid(prices)),
  benefits TEXT NOT NULL CHECK (json_valid(benefits)),
  metadata TEXT NOT NULL CHECK (json_valid(metadata)),
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

-- One row: when the whole catalogue was last fetched from Polar.
CREATE TABLE product_refreshes (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  refreshed_at TEXT NOT NULL
) STRICT;
