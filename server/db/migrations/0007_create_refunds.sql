-- Refunds of orders, from refund.* webhooks.
CREATE TABLE refunds (
  id TEXT PRIMARY KEY NOT NULL,
  order_id TEXT NOT NULL,
  subscription_id TEXT,
  customer_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed', 'canceled')),
  reason TEXT NOT NULL,
  amount INTEGER NOT NULL CHECK (amount >= 0),
  tax_amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  revoke_benefits INTEGER NOT NULL CHECK (revoke_benefits IN (0, 1)),
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

CREATE INDEX refunds_order_id ON refunds (order_id);
