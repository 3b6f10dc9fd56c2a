-- Checkout sessions the kit created (with the Idempotency-Key that created them) and their later states.
CREATE TABLE checkouts (
  id TEXT PRIMARY KEY NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('open', 'expired', 'confirmed', 'succeeded', 'failed')),
  client_secret TEXT NOT NULL,
  url TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  product_id TEXT,
  product_name TEXT,
  amount INTEGER NOT NULL,
  total_amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  customer_id TEXT,
  customer_email TEXT,
  external_customer_id TEXT,
  subscription_id TEXT,
  embed_origin TEXT,
  success_url TEXT,
  idempotency_key TEXT UNIQUE,
  request_hash TEXT,
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw)),
  CHECK (request_hash IS NULL OR idempotency_key IS NOT NULL)
) STRICT;

CREATE INDEX checkouts_customer_id ON checkouts (customer_id);
