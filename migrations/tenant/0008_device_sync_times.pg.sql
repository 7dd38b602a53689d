-- What a device's freshness is read from, apart from `last_seen_at` (any hello, ping or push):
--   last_sync_at    the last time the cloud acknowledged the device: a push batch committed (and
--                   acked), or a hello or ping reporting an empty outbox (everything it holds is here);
--   outbox_empty_at the last time the device reported an empty outbox (hello or ping, protocol 2).
-- A till pushing through a backlog that never empties moves the first and not the second; a till
-- that only pings while its pushes fail moves neither (docs/freshness.md).
-- Nullable, no default: expand-only, and code of the version before ignores both columns.
ALTER TABLE devices
  ADD COLUMN last_sync_at TIMESTAMPTZ,
  ADD COLUMN outbox_empty_at TIMESTAMPTZ;

-- Until now reports called `last_seen_at` the last sync: carried over, so no device reads "never
-- synced" after the upgrade; its next acknowledged push or empty-outbox ping sets the true value.
UPDATE devices SET last_sync_at = last_seen_at;
