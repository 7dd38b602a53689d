// The edge's check of its own journal (GET /v1/journal/verify, docs/edge.md#the-journal): each
// terminal chain's links in seq order, each document rebuilt from the rows stored now (an edited,
// deleted or reordered document no longer hashes to its link), walked by src/journal/chain.ts.
import type Database from 'better-sqlite3';
import type { JournalDocument } from '../../src/journal/canonical-document.ts';
import { type ChainKey, type StoredLink, verifyChain } from '../../src/journal/chain.ts';
import type { ChainVerdict, JournalKind } from '../../src/protocol/journal.ts';
import type { Documents } from './documents.ts';

/** What GET /v1/journal/verify answers (src/protocol/edge-api.ts journalVerificationSchema). */
export interface JournalVerification {
  intact: boolean;
  chains: ChainVerdict[];
}

interface ChainRow {
  store_id: string;
  branch_code: string;
  terminal: string;
  org_id: string | null;
  last_seq: number | null;
  started_at: string | null;
}

interface LinkRow {
  journal_seq: number;
  kind: JournalKind;
  document_id: string;
  prev_hash: string;
  hash: string;
}

type Row = Record<string, string | number | null>;

/** Rebuilds each stored document of a chain as the recorder hashed it. */
function documentReader(sqlite: Database.Database, documents: Documents) {
  const shiftRow = sqlite.prepare<[string], Row>('SELECT * FROM shifts WHERE id = ?');
  const countRows = sqlite.prepare<[string], { method: string; counted_minor: number }>(
    'SELECT method, counted_minor FROM shift_counts WHERE shift_id = ? ORDER BY method',
  );
  const movementRow = sqlite.prepare<[string], Row>('SELECT * FROM cash_movements WHERE id = ?');
  const str = (v: string | number | null | undefined) => (v === null || v === undefined ? null : String(v));
  const num = (v: string | number | null | undefined) => Number(v ?? 0);

  return (kind: JournalKind, id: string): JournalDocument | undefined => {
    switch (kind) {
      case 'sale':
      case 'refund': {
        const view = documents.read(id);
        return view && { kind: view.kind, document: view };
      }
      case 'shift_open': {
        const r = shiftRow.get(id);
        if (!r) return undefined;
        return {
          kind,
          document: {
            id: String(r.id),
            branch: String(r.branch_code),
            terminal: String(r.terminal),
            openedBy: str(r.opened_by),
            openedByUserId: str(r.opened_by_user_id),
            openedAt: String(r.opened_at),
            openingFloatMinor: num(r.opening_float_minor),
            businessDate: String(r.business_date),
          },
        };
      }
      case 'cash_movement': {
        const r = movementRow.get(id);
        if (!r) return undefined;
        return {
          kind,
          document: {
            id: String(r.id),
            shiftId: String(r.shift_id),
            direction: r.direction === 'in' ? 'in' : 'out',
            amountMinor: num(r.amount_minor),
            reason: String(r.reason),
            cashier: str(r.cashier),
            cashierUserId: str(r.cashier_user_id),
            occurredAt: String(r.occurred_at),
          },
        };
      }
      case 'shift_close': {
        const r = shiftRow.get(id);
        if (!r || r.closed_at === null) return undefined;
        return {
          kind,
          document: {
            shiftId: String(r.id),
            closedAt: String(r.closed_at),
            closedBy: str(r.closed_by),
            closedByUserId: str(r.closed_by_user_id),
            counted: countRows.all(id).map((c) => ({
              method: c.method as JournalDocumentCountMethod,
              countedMinor: c.counted_minor,
            })),
            // A seal that is gone reads as zeros and an empty hash: the close no longer hashes to its link.
            seal: {
              grandSalesMinor: num(r.seal_grand_sales_minor),
              grandRefundsMinor: num(r.seal_grand_refunds_minor),
              grandTaxMinor: num(r.seal_grand_tax_minor),
              lastDocumentHash: str(r.seal_last_document_hash) ?? '',
            },
          },
        };
      }
    }
  };
}

type JournalDocumentCountMethod = Extract<
  JournalDocument,
  { kind: 'shift_close' }
>['document']['counted'][number]['method'];

/**
 * Verifies every chain of the store (or `terminal`'s): the chains with a head or links, and the
 * terminals whose documents all predate the journal (no links, their documents counted pre-journal).
 * Run it inside one read transaction.
 */
export function verifyEdgeJournal(
  sqlite: Database.Database,
  documents: Documents,
  terminal?: string,
): JournalVerification {
  const storeId = (
    sqlite.prepare("SELECT value FROM edge_meta WHERE key = 'store_id'").get() as
      | { value: string }
      | undefined
  )?.value;
  const branch = (
    sqlite.prepare("SELECT value FROM edge_meta WHERE key = 'branch'").get() as { value: string } | undefined
  )?.value;
  const chains = sqlite
    .prepare<{ store: string; branch: string }, ChainRow>(
      `SELECT t.store_id, coalesce(h.branch_code, t.branch_code) AS branch_code, t.terminal, h.org_id,
              h.last_seq, h.started_at
         FROM (SELECT store_id, branch_code, terminal FROM journal_heads
               UNION SELECT store_id, min(branch_code), terminal FROM journal_links GROUP BY store_id, terminal
               UNION SELECT @store, @branch, terminal FROM sales
               UNION SELECT @store, @branch, terminal FROM shifts) t
         LEFT JOIN journal_heads h ON h.store_id = t.store_id AND h.terminal = t.terminal
        GROUP BY t.store_id, t.terminal
        ORDER BY t.terminal, t.store_id`,
    )
    .all({ store: storeId ?? '', branch: branch ?? '' });
  const links = sqlite.prepare<[string, string], LinkRow>(
    `SELECT journal_seq, kind, document_id, prev_hash, hash FROM journal_links
      WHERE store_id = ? AND terminal = ? ORDER BY journal_seq`,
  );
  // The terminal's documents with no link, recorded before its chain started (or all, with no chain).
  const preJournal = sqlite.prepare<{ terminal: string; before: string }, { n: number }>(
    `SELECT
       (SELECT count(*) FROM sales s WHERE s.terminal = @terminal AND s.occurred_at <= @before
          AND NOT EXISTS (SELECT 1 FROM journal_links l WHERE l.terminal = s.terminal
                            AND l.document_id = s.id AND l.kind IN ('sale', 'refund')))
     + (SELECT count(*) FROM shifts s WHERE s.terminal = @terminal AND s.opened_at <= @before
          AND NOT EXISTS (SELECT 1 FROM journal_links l WHERE l.terminal = s.terminal
                            AND l.document_id = s.id AND l.kind = 'shift_open'))
     + (SELECT count(*) FROM shifts s WHERE s.terminal = @terminal AND s.closed_at <= @before
          AND NOT EXISTS (SELECT 1 FROM journal_links l WHERE l.terminal = s.terminal
                            AND l.document_id = s.id AND l.kind = 'shift_close'))
     + (SELECT count(*) FROM cash_movements m JOIN shifts s ON s.id = m.shift_id
         WHERE s.terminal = @terminal AND m.occurred_at <= @before
           AND NOT EXISTS (SELECT 1 FROM journal_links l WHERE l.terminal = s.terminal
                             AND l.document_id = m.id AND l.kind = 'cash_movement')) AS n`,
  );
  const read = documentReader(sqlite, documents);
  const verdicts = chains
    .filter((c) => terminal === undefined || c.terminal === terminal)
    .map((c) => {
      const key: ChainKey = {
        orgId: c.org_id ?? '',
        branch: c.branch_code,
        terminal: c.terminal,
        storeId: c.store_id,
      };
      const stored: StoredLink[] = links.all(c.store_id, c.terminal).map((l) => ({
        seq: Number(l.journal_seq),
        kind: l.kind,
        documentId: l.document_id,
        prevHash: l.prev_hash,
        hash: l.hash,
        document: read(l.kind, l.document_id),
      }));
      // Without a chain every document of the terminal is pre-journal ('~' sorts after any instant).
      const before = c.started_at ?? '~';
      return verifyChain({
        key,
        links: stored,
        headSeq: c.last_seq === null ? undefined : Number(c.last_seq),
        preJournal: preJournal.get({ terminal: c.terminal, before })?.n ?? 0,
      });
    });
  return { intact: verdicts.every((v) => v.intact), chains: verdicts };
}
