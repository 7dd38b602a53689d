-- A device's last acknowledged sync and last reported empty outbox (SQLite variant of
-- 0008_device_sync_times.pg.sql, which says why). Nullable, no default: expand-only.
ALTER TABLE devices ADD COLUMN last_sync_at TEXT;
ALTER TABLE devices ADD COLUMN outbox_empty_at TEXT;

UPDATE devices SET last_sync_at = last_seen_at;
