-- The backlog a device last reported in a hello or ping (protocol 2), kept beside its sync times so
-- HQ's freshness report reads it from the tenant database rather than one process's /metrics:
--   backlog_pending     mutations it held unacknowledged (clamped to INTEGER by the cloud);
--   backlog_oldest_at   when the oldest of them was recorded (null with nothing pending), from the
--                       edge's own age arithmetic, so a till with a wrong clock still reports it right;
--   backlog_reported_at when the cloud heard it;
--   backlog_seq         the device's last_applied_seq then: what was applied since comes off the
--                       count in the report, without a write per push (docs/freshness.md).
-- Written with last_seen_at (a hello, a ping past the throttle). Nullable, no default: expand-only.
ALTER TABLE devices
  ADD COLUMN backlog_pending INTEGER CHECK (backlog_pending >= 0),
  ADD COLUMN backlog_oldest_at TIMESTAMPTZ,
  ADD COLUMN backlog_reported_at TIMESTAMPTZ,
  ADD COLUMN backlog_seq BIGINT;
