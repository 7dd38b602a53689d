-- A device token is bound to the one edge database that first synced with it (its store id, a UUID
-- the edge generates when its database is created). Sequence numbers are per store: a second or
-- reinstalled database reusing the token would otherwise have its first sales taken for duplicates.
ALTER TABLE devices ADD COLUMN store_id TEXT;
