// The journal chains a tenant's database holds, read back for verification and export
// (docs/journal.md): the chains (journal_heads, and links left without one), each chain's links in seq order in bounded batches
// with their documents as stored now, the terminal's pre-journal documents, and the quarantine
// entries that make a missing document an exception rather than a break (quarantine-exceptions.ts).
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { ChainKey, StoredLink } from '../../src/journal/chain.ts';
import { walkChain } from '../../src/journal/chain.ts';
import type { ChainVerdict, JournalKind } from '../../src/protocol/journal.ts';
import { quarantineExceptions, storeCorrections, withCorrections } from './quarantine-exceptions.ts';
import { documentKey, storedJournalDocuments } from './stored-documents.ts';

/** One chain as its head row names it (or, when the head row is gone, as its links do). */
export interface StoredChain {
  key: ChainKey;
  /** The last seq the recorder gave out: a chain ending before it was truncated. Undefined: no head row. */
  lastSeq: number | undefined;
  /** When the chain's first link was recorded: the terminal's documents before it are pre-journal. */
  startedAt: string;
}

/** Which chains to read: all of the tenant's, or one branch's, or one terminal's. */
export interface ChainFilter {
  branch?: string | undefined;
  terminal?: string | undefined;
}

/** Links read per query: enough to amortise the round trips, few enough to bound memory. */
export const LINK_BATCH = 1000;

interface ChainRow {
  store_id: string;
  branch_code: string;
  terminal: string;
  org_id: string | null;
  last_seq: unknown;
  started_at: string;
}

/**
 * The chains of the tenant `orgId`, by branch, terminal and store: every head row, then any chain
 * whose links are stored without a head (the head row deleted). Those are still walked, from the
 * tenant's own id (their genesis), but nothing says where they should end.
 */
export async function listChains(
  db: SqlQueryable,
  orgId: string,
  filter: ChainFilter = {},
): Promise<StoredChain[]> {
  const params = [filter.branch ?? null, filter.terminal ?? null];
  const heads = await db.query<ChainRow>(
    `SELECT store_id, branch_code, terminal, org_id, last_seq, started_at FROM journal_heads
      WHERE ($1::text IS NULL OR branch_code = $1) AND ($2::text IS NULL OR terminal = $2)
      ORDER BY branch_code, terminal, store_id`,
    params,
  );
  // Each (store, terminal) of journal_links by one index probe per chain (a loose index scan of the
  // primary key), not a scan of every link.
  const headless = await db.query<ChainRow>(
    `WITH RECURSIVE chains AS (
       (SELECT store_id, terminal FROM journal_links ORDER BY store_id, terminal LIMIT 1)
       UNION ALL
       SELECT n.store_id, n.terminal FROM chains c, LATERAL (
         SELECT store_id, terminal FROM journal_links l
          WHERE (l.store_id, l.terminal) > (c.store_id, c.terminal)
          ORDER BY store_id, terminal LIMIT 1) n
     )
     SELECT c.store_id, f.branch_code, c.terminal, NULL AS org_id, NULL AS last_seq, f.recorded_at AS started_at
       FROM chains c, LATERAL (
         SELECT branch_code, recorded_at FROM journal_links l
          WHERE l.store_id = c.store_id AND l.terminal = c.terminal ORDER BY journal_seq LIMIT 1) f
      WHERE ($1::text IS NULL OR f.branch_code = $1) AND ($2::text IS NULL OR c.terminal = $2)
        AND NOT EXISTS (SELECT 1 FROM journal_heads h WHERE h.store_id = c.store_id AND h.terminal = c.terminal)
      ORDER BY f.branch_code, c.terminal, c.store_id`,
    params,
  );
  return [...heads, ...headless].map((r) => ({
    key: { orgId: r.org_id ?? orgId, branch: r.branch_code, terminal: r.terminal, storeId: r.store_id },
    lastSeq: r.last_seq === null ? undefined : Number(r.last_seq),
    startedAt: r.started_at,
  }));
}

/** A stored link row, before its document is read. */
export interface LinkRow {
  seq: number;
  kind: JournalKind;
  documentId: string;
  prevHash: string;
  hash: string;
  recordedAt: string;
}

/** Which of a chain's links to read: those recorded in [from, to) (instants), all when absent. */
export interface LinkRange {
  from?: string | undefined;
  to?: string | undefined;
}

/** A chain's link rows in seq order, `batch` at a time (keyset pages on the primary key). */
export async function* linkRowBatches(
  db: SqlQueryable,
  chain: StoredChain,
  range: LinkRange = {},
  batch = LINK_BATCH,
): AsyncGenerator<LinkRow[]> {
  let after = 0;
  for (;;) {
    const rows = await db.query<{
      journal_seq: unknown;
      kind: JournalKind;
      document_id: string;
      prev_hash: string;
      hash: string;
      recorded_at: string;
    }>(
      `SELECT journal_seq, kind, document_id, prev_hash, hash, recorded_at FROM journal_links
        WHERE store_id = $1 AND terminal = $2 AND journal_seq > $3
          AND ($4::timestamptz IS NULL OR recorded_at >= $4) AND ($5::timestamptz IS NULL OR recorded_at < $5)
        ORDER BY journal_seq LIMIT $6`,
      [chain.key.storeId, chain.key.terminal, after, range.from ?? null, range.to ?? null, batch],
    );
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      seq: Number(r.journal_seq),
      kind: r.kind,
      documentId: r.document_id,
      prevHash: r.prev_hash,
      hash: r.hash,
      recordedAt: r.recorded_at,
    }));
    if (rows.length < batch) return;
    after = Number(rows.at(-1)!.journal_seq);
  }
}

/** A batch of link rows with their documents as stored now, and the exceptions of those not stored. */
export async function withDocuments(
  db: SqlQueryable,
  chain: StoredChain,
  rows: readonly LinkRow[],
): Promise<(StoredLink & { recordedAt: string })[]> {
  const documents = await storedJournalDocuments(db, rows);
  const missing = rows.filter((r) => !documents.has(documentKey(r.kind, r.documentId)));
  const exceptions = await quarantineExceptions(db, chain.key.storeId, missing);
  return rows.map((r) => {
    const key = documentKey(r.kind, r.documentId);
    return { ...r, document: documents.get(key), exception: exceptions.get(key) };
  });
}

/**
 * The terminal's documents stored without a link from before its chain started: recorded before
 * `startedAt` by a device bound to the chain's edge database (sales and shifts name their device;
 * a cash movement or close goes with its shift).
 */
export async function preJournalCount(db: SqlQueryable, chain: StoredChain): Promise<number> {
  const [row] = await db.query<{ n: unknown }>(
    `WITH store_devices AS (SELECT id FROM devices WHERE store_id = $1),
          early_links AS (
            SELECT document_id FROM journal_links
             WHERE store_id = $1 AND terminal = $2 AND recorded_at < $4)
     SELECT
       (SELECT count(*) FROM sales s
         WHERE s.device_id IN (SELECT id FROM store_devices) AND s.branch_code = $3 AND s.terminal = $2
           AND s.occurred_at < $4 AND s.id NOT IN (SELECT document_id FROM early_links))
     + (SELECT count(*) FROM shifts s
         WHERE s.device_id IN (SELECT id FROM store_devices) AND s.branch_code = $3 AND s.terminal = $2
           AND s.opened_at < $4 AND s.id NOT IN (SELECT document_id FROM early_links))
     + (SELECT count(*) FROM cash_movements c JOIN shifts s ON s.id = c.shift_id
         WHERE s.device_id IN (SELECT id FROM store_devices) AND s.branch_code = $3 AND s.terminal = $2
           AND c.occurred_at < $4 AND c.id NOT IN (SELECT document_id FROM early_links))
     + (SELECT count(*) FROM shifts s
         WHERE s.device_id IN (SELECT id FROM store_devices) AND s.branch_code = $3 AND s.terminal = $2
           AND s.closed_at < $4 AND s.id NOT IN (SELECT document_id FROM early_links))
       AS n`,
    [chain.key.storeId, chain.key.terminal, chain.key.branch, chain.startedAt],
  );
  return Number(row?.n ?? 0);
}

/** Verifies one stored chain, reading it in batches and stopping at its first break. */
export async function verifyStoredChain(
  db: SqlQueryable,
  chain: StoredChain,
  batch = LINK_BATCH,
): Promise<ChainVerdict> {
  const walk = walkChain(chain.key);
  // A stored document may be HQ's audited correction (quarantine-exceptions.ts): read once per chain.
  const corrections = await storeCorrections(db, chain.key.storeId);
  read: for await (const rows of linkRowBatches(db, chain, {}, batch)) {
    const links = withCorrections(await withDocuments(db, chain, rows), corrections);
    for (const link of links) if (walk.step(link)) break read;
  }
  return walk.verdict(chain.lastSeq, await preJournalCount(db, chain));
}

/** Verifies every chain of the tenant `orgId` the filter selects. */
export async function verifyStoredChains(
  db: SqlQueryable,
  orgId: string,
  filter: ChainFilter = {},
): Promise<ChainVerdict[]> {
  const verdicts: ChainVerdict[] = [];
  for (const chain of await listChains(db, orgId, filter)) verdicts.push(await verifyStoredChain(db, chain));
  return verdicts;
}
