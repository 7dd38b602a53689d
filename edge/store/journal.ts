// The terminal hash chains at the edge (docs/journal.md, docs/edge.md#the-journal): each document a
// terminal records gets the next link of that terminal's chain, in the transaction that records it,
// and the chain's head keeps the perpetual grand totals a shift close seals. Nothing is kept in
// memory: the head is read in the writing transaction, so a rolled-back write gives back its seq.
import type Database from 'better-sqlite3';
import { type JournalDocument, journalDocumentId } from '../../src/journal/canonical-document.ts';
import { type ChainKey, genesisHash, linkHash } from '../../src/journal/chain.ts';
import type { JournalLink, ShiftSeal } from '../../src/protocol/journal.ts';
import { type EdgeOutcome, refuseWith } from '../errors.ts';
import type { EdgeMeta } from './meta.ts';

/** A terminal's perpetual grand totals (docs/journal.md#sealed-z). */
export interface GrandTotals {
  grandSalesMinor: number;
  grandRefundsMinor: number;
  grandTaxMinor: number;
}

/** A terminal's chain as it stands in the writing transaction (a new one is not stored until its first link). */
export interface ChainHead extends GrandTotals {
  key: ChainKey;
  lastSeq: number;
  lastHash: string;
  /** False until the chain's first link is written: the totals are then the pre-journal documents'. */
  stored: boolean;
}

export interface EdgeJournal {
  /**
   * The terminal's chain now, or undefined when the journal is off (the benchmark's comparison only,
   * EdgeStoreOptions.journal). Reads only.
   */
  head(terminal: string): ChainHead | undefined;
  /**
   * The grand totals once a sale or refund of `totalMinor` with `taxMinor` is added, or
   * `amount_too_large` if one would pass Number.MAX_SAFE_INTEGER (the document is refused, nothing written).
   */
  totalsAfter(
    head: ChainHead,
    kind: 'sale' | 'refund',
    totalMinor: number,
    taxMinor: number,
  ): EdgeOutcome<GrandTotals>;
  /**
   * Writes `doc` as the chain's next link and moves the head (with `totals`, for a sale or refund),
   * inside the caller's transaction; answers the link the outbox payload carries.
   */
  append(head: ChainHead, doc: JournalDocument, recordedAt: string, totals?: GrandTotals): JournalLink;
  /** What a close of one of this terminal's shifts seals now: its grand totals and its last link's hash. */
  seal(head: ChainHead): ShiftSeal;
}

export function createEdgeJournal(
  sqlite: Database.Database,
  meta: EdgeMeta,
  branch: string,
  enabled = true,
): EdgeJournal {
  const storeId = meta.get('store_id') ?? '';
  const headRow = sqlite.prepare<[string, string], Record<string, number | string>>(
    `SELECT org_id, branch_code, last_seq, last_hash, grand_sales_minor, grand_refunds_minor, grand_tax_minor
       FROM journal_heads WHERE store_id = ? AND terminal = ?`,
  );
  // The terminal's documents already stored when its chain starts (pre-journal): the totals start from them.
  const storedTotals = sqlite.prepare<[string], { sales: number; refunds: number; tax: number }>(
    `SELECT coalesce(sum(CASE WHEN kind = 'sale' THEN total_minor END), 0) AS sales,
            coalesce(sum(CASE WHEN kind = 'refund' THEN total_minor END), 0) AS refunds,
            coalesce(sum(CASE WHEN kind = 'sale' THEN tax_minor ELSE -tax_minor END), 0) AS tax
       FROM sales WHERE terminal = ?`,
  );
  const insertLink = sqlite.prepare(
    `INSERT INTO journal_links (store_id, branch_code, terminal, journal_seq, kind, document_id,
       prev_hash, hash, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // A chain's head is inserted at its first link and moved on by each later one (positional: the hot path).
  const moveHead = sqlite.prepare(
    `UPDATE journal_heads SET last_seq = ?, last_hash = ?, grand_sales_minor = ?, grand_refunds_minor = ?,
       grand_tax_minor = ? WHERE store_id = ? AND terminal = ?`,
  );
  const insertHead = sqlite.prepare(
    `INSERT INTO journal_heads (store_id, branch_code, terminal, org_id, last_seq, last_hash, started_at,
       grand_sales_minor, grand_refunds_minor, grand_tax_minor)
     VALUES (@storeId, @branchCode, @terminal, @orgId, @lastSeq, @lastHash, @startedAt,
       @grandSalesMinor, @grandRefundsMinor, @grandTaxMinor)`,
  );

  function head(terminal: string): ChainHead | undefined {
    if (!enabled) return undefined;
    const row = headRow.get(storeId, terminal);
    if (row) {
      return {
        key: { orgId: String(row.org_id), branch: String(row.branch_code), terminal, storeId },
        lastSeq: Number(row.last_seq),
        lastHash: String(row.last_hash),
        grandSalesMinor: Number(row.grand_sales_minor ?? 0),
        grandRefundsMinor: Number(row.grand_refunds_minor ?? 0),
        grandTaxMinor: Number(row.grand_tax_minor ?? 0),
        stored: true,
      };
    }
    // The chain starts here: its genesis names the tenant as the edge knows it now, kept on the head.
    const key: ChainKey = { orgId: meta.get('org_id') ?? '', branch, terminal, storeId };
    const before = storedTotals.get(terminal) ?? { sales: 0, refunds: 0, tax: 0 };
    return {
      key,
      lastSeq: 0,
      lastHash: genesisHash(key),
      grandSalesMinor: before.sales,
      grandRefundsMinor: before.refunds,
      grandTaxMinor: before.tax,
      stored: false,
    };
  }

  function totalsAfter(
    h: ChainHead,
    kind: 'sale' | 'refund',
    totalMinor: number,
    taxMinor: number,
  ): EdgeOutcome<GrandTotals> {
    const totals: GrandTotals = {
      grandSalesMinor: h.grandSalesMinor + (kind === 'sale' ? totalMinor : 0),
      grandRefundsMinor: h.grandRefundsMinor + (kind === 'refund' ? totalMinor : 0),
      grandTaxMinor: h.grandTaxMinor + (kind === 'sale' ? taxMinor : -taxMinor),
    };
    for (const [field, value] of Object.entries(totals)) {
      if (!Number.isSafeInteger(value)) {
        return refuseWith(
          'amount_too_large',
          `terminal ${h.key.terminal}'s ${field} would pass ${Number.MAX_SAFE_INTEGER} minor units, the most a grand total holds; nothing was recorded`,
          { field, maxMinor: Number.MAX_SAFE_INTEGER },
        );
      }
    }
    return { ok: true, value: totals };
  }

  return {
    head,
    totalsAfter,
    append(h, doc, recordedAt, totals = h) {
      const seq = h.lastSeq + 1;
      const link: JournalLink = {
        terminal: h.key.terminal,
        seq,
        prevHash: h.lastHash,
        hash: linkHash(seq, h.lastHash, doc),
      };
      insertLink.run(
        storeId,
        h.key.branch,
        h.key.terminal,
        seq,
        doc.kind,
        journalDocumentId(doc),
        link.prevHash,
        link.hash,
        recordedAt,
      );
      if (h.stored) {
        moveHead.run(
          seq,
          link.hash,
          totals.grandSalesMinor,
          totals.grandRefundsMinor,
          totals.grandTaxMinor,
          storeId,
          h.key.terminal,
        );
        return link;
      }
      insertHead.run({
        storeId,
        branchCode: h.key.branch,
        terminal: h.key.terminal,
        orgId: h.key.orgId,
        lastSeq: seq,
        lastHash: link.hash,
        startedAt: recordedAt,
        grandSalesMinor: totals.grandSalesMinor,
        grandRefundsMinor: totals.grandRefundsMinor,
        grandTaxMinor: totals.grandTaxMinor,
      });
      return link;
    },
    seal: (h) => ({
      grandSalesMinor: h.grandSalesMinor,
      grandRefundsMinor: h.grandRefundsMinor,
      grandTaxMinor: h.grandTaxMinor,
      lastDocumentHash: h.lastHash,
    }),
  };
}
