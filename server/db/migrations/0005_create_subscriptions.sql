-- Subscriptions and their whole lifecycle (active, canceled at period end, past due, revoked, ...).
CREATE TABLE subscriptions (
  id TEXT PRIMARY KEY NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('incomplete', 'incomplete_expired', 'trialing', 'active', 'past_due', 'canceled', 'unpaid', 'paused')),
  customer_id TEXT NOT NULL,
  product_id TEXT NOT NULL,
  checkout_id TEXT,
  amount INTEGER NOT NULL,
  currency TEXT NOT NULL,
  recurring_interval TEXT NOT NULL,
  current_period_start TEXT,
  current_period_end TEXT,
  cancel_at_period_end INTEGER NOT NULL CHECK (cancel_at_period_end IN (0, 1)),
  canceled_at TEXT,
  started_at TEXT,
  ends_at TEXT,
  ended_at TEXT,
  past_due_at TEXT,
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

CREATE INDEX subscriptions_customer_id ON subscriptions (customer_id);
CREATE INDEX subscriptions_checkout_id ON subscriptions (checkout_id);
