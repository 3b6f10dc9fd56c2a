-- Benefits granted to (or revoked from) customers, from benefit_grant.* webhooks.
CREATE TABLE benefit_grants (
  id TEXT PRIMARY KEY NOT NULL,
  customer_id TEXT NOT NULL,
  benefit_id TEXT NOT NULL,
  benefit_type TEXT NOT NULL,
  benefit_description TEXT,
  subscription_id TEXT,
  order_id TEXT,
  is_granted INTEGER NOT NULL CHECK (is_granted IN (0, 1)),
  is_revoked INTEGER NOT NULL CHECK (is_revoked IN (0, 1)),
  granted_at TEXT,
  revoked_at TEXT,
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

CREATE INDEX benefit_grants_customer_id ON benefit_grants (customer_id);
