-- Customers as Polar knows them, kept from webhooks and embedded objects.
-- Mirrored tables carry no foreign keys: Polar delivers events in any order (an order may arrive before its
-- customer), and Polar stays the source of truth. `version_key` orders states of one row: the object's
-- `modified_at` (else `created_at`), then the envelope timestamp, both normalised to fixed-width UTC text.
CREATE TABLE customers (
  id TEXT PRIMARY KEY NOT NULL,
  email TEXT,
  email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL,
  external_id TEXT,
  name TEXT,
  deleted_at TEXT,
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

CREATE INDEX customers_email_lower ON customers (email_lower);
CREATE INDEX customers_external_id ON customers (external_id);
