-- The backlog a device last reported (SQLite variant of 0011_device_backlog.pg.sql, which says why).
-- Nullable, no default: expand-only.
ALTER TABLE devices ADD COLUMN backlog_pending INTEGER CHECK (backlog_pending >= 0);
ALTER TABLE devices ADD COLUMN backlog_oldest_at TEXT;
ALTER TABLE devices ADD COLUMN backlog_reported_at TEXT;
ALTER TABLE devices ADD COLUMN backlog_seq INTEGER;
