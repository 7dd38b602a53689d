-- The cloud's copy of a sale this edge refunds, fetched while online (protocol 5), so a later
-- refund of it works offline: the sale itself when another till recorded it, and what the tenant's
-- other edges had refunded of each line when the copy was fetched. A copy is no document of this
-- edge: it is in no sales list, report, receipt series or outbox.
CREATE TABLE original_copies (
  sale_id TEXT NOT NULL PRIMARY KEY,
  -- The sale as the cloud answered it (JSON, src/protocol/device-sales.ts).
  document TEXT NOT NULL,
  -- [{lineNo, qtyMilli}] refunded by other edges, as of fetched_at (JSON).
  refunded_elsewhere TEXT NOT NULL,
  fetched_at TEXT NOT NULL
) STRICT;
