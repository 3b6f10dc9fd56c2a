-- Each webhook delivery is stored once, byte for byte, in `webhook_events.payload` (where replay reads it).
-- The `raw` JSON copy every mirrored row also kept was never read, yet cost a JSON serialisation, a
-- `json_valid` check and a few kilobytes of writes per object on every event; the rows keep the columns the
-- kit reads, and a row's full object can be found in the payload of the event that last changed it.
ALTER TABLE customers DROP COLUMN raw;
ALTER TABLE products DROP COLUMN raw;
ALTER TABLE checkouts DROP COLUMN raw;
ALTER TABLE orders DROP COLUMN raw;
ALTER TABLE subscriptions DROP COLUMN raw;
ALTER TABLE benefit_grants DROP COLUMN raw;
ALTER TABLE refunds DROP COLUMN raw;
