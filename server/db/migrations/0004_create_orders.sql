-- Orders (one-time purchases, subscription starts and renewals). Money in integer minor units.
CREATE TABLE orders (
  id TEXT PRIMARY KEY NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('draft', 'pending', 'paid', 'refunded', 'partially_refunded', 'void')),
  paid INTEGER NOT NULL CHECK (paid IN (0, 1)),
  customer_id TEXT NOT NULL,
  product_id TEXT,
  product_name TEXT,
  subscription_id TEXT,
  checkout_id TEXT,
  billing_reason TEXT NOT NULL,
  subtotal_amount INTEGER NOT NULL,
  discount_amount INTEGER NOT NULL,
  net_amount INTEGER NOT NULL,
  tax_amount INTEGER NOT NULL,
  total_amount INTEGER NOT NULL,
  refunded_amount INTEGER NOT NULL DEFAULT 0 CHECK (refunded_amount >= 0),
  currency TEXT NOT NULL,
  created_at TEXT NOT NULL,
  modified_at TEXT,
  version_key TEXT NOT NULL,
  raw TEXT NOT NULL CHECK (json_valid(raw))
) STRICT;

CREATE INDEX orders_customer_id ON orders (customer_id, created_at);
CREATE INDEX orders_checkout_id ON orders (checkout_id);
CREATE INDEX orders_subscription_id ON orders (subscription_id);
