// Journal chains in a tenant's database for verification tests, built from what a till pushed.
// Until pushes carry their links, a till pushes its documents without a journal over the real sync
// path and `recordJournal` then writes the journal_links and journal_heads rows (and a close's seal)
// that the cloud would have written, hashing each pushed payload as a `JournalDocument` with
// src/journal. A mutation that already carries its `journal` was journaled by the till and stored by
// the cloud: it is taken as it is, so the fixture keeps working once pushes are journaled.
import type { SqlDatabase } from '../../src/db/sql.ts';
import type { JournalDocument, JournalSale } from '../../src/journal/canonical-document.ts';
import { type ChainKey, genesisHash, linkHash } from '../../src/journal/chain.ts';
import type { JournalKind, ShiftSeal } from '../../src/protocol/journal.ts';
import type {
  CashMovementDocument,
  Mutation,
  SaleDocument,
  ShiftClosed,
  ShiftOpened,
} from '../../src/protocol/mutations.ts';
import type { Till } from './sync.ts';

/** A link the fixture recorded (or found recorded), with the document it hashed. */
export interface FixtureLink {
  seq: number;
  kind: JournalKind;
  documentId: string;
  prevHash: string;
  hash: string;
  recordedAt: string;
  document: JournalDocument;
}

export interface FixtureChain {
  key: ChainKey;
  links: FixtureLink[];
  /** Journaled documents the till recorded before the chain started (no link). */
  preJournal: number;
}

const journaledKinds: readonly string[] = ['sale', 'refund', 'shift_open', 'cash_movement', 'shift_close'];

/** The pushed payload as the journal reads it (src/journal/canonical-document.ts). */
function journalDocument(m: Mutation, seal: () => ShiftSeal): { doc: JournalDocument; at: string } {
  switch (m.kind) {
    case 'sale':
    case 'refund': {
      const {
        stockMovements: _m,
        flags: _f,
        refundedElsewhere: _r,
        journal: _j,
        ...rest
      } = m.payload as SaleDocument;
      const document: JournalSale = { ...rest, lines: rest.lines.map(({ flags: _lf, ...l }) => l) };
      return { doc: { kind: document.kind, document }, at: document.occurredAt };
    }
    case 'shift_open': {
      const { closedAt: _a, closedBy: _b, journal: _j, ...document } = m.payload as ShiftOpened;
      return { doc: { kind: 'shift_open', document }, at: document.openedAt };
    }
    case 'cash_movement': {
      const { journal: _j, ...document } = m.payload as CashMovementDocument;
      return { doc: { kind: 'cash_movement', document }, at: document.occurredAt };
    }
    default: {
      const { journal: _j, seal: carried, ...rest } = m.payload as ShiftClosed;
      return {
        doc: { kind: 'shift_close', document: { ...rest, seal: carried ?? seal() } },
        at: rest.closedAt,
      };
    }
  }
}

/**
 * Writes the journal of `till`'s terminal for what it pushed: its first `preJournal` journaled
 * documents stay without a link (recorded before the chain started), the rest are linked from seq 1
 * in outbox order. Call after the till synced everything.
 */
export async function recordJournal(
  db: SqlDatabase,
  orgId: string,
  till: Till,
  options: { preJournal?: number; branch?: string } = {},
): Promise<FixtureChain> {
  const key: ChainKey = {
    orgId,
    branch: options.branch ?? 'MAIN',
    terminal: till.terminal,
    storeId: till.storeId,
  };
  const documents = till.outbox().filter((m) => journaledKinds.includes(m.kind));
  const preJournal = options.preJournal ?? 0;
  const grand = { sales: 0, refunds: 0, tax: 0 };
  const links: FixtureLink[] = [];
  let prev = genesisHash(key);
  for (const [i, m] of documents.entries()) {
    const seal = (): ShiftSeal => ({
      grandSalesMinor: grand.sales,
      grandRefundsMinor: grand.refunds,
      grandTaxMinor: grand.tax,
      lastDocumentHash: prev,
    });
    const { doc, at } = journalDocument(m, seal);
    if (doc.kind === 'sale' || doc.kind === 'refund') {
      const sign = doc.kind === 'sale' ? 1 : -1;
      if (doc.kind === 'sale') grand.sales += doc.document.totalMinor;
      else grand.refunds += doc.document.totalMinor;
      grand.tax += sign * doc.document.taxMinor;
    }
    if (i < preJournal) continue;
    const carried = (m.payload as { journal?: { seq: number; prevHash: string; hash: string } }).journal;
    const seq = carried?.seq ?? links.length + 1;
    const prevHash = carried?.prevHash ?? prev;
    const hash = carried?.hash ?? linkHash(seq, prev, doc);
    const documentId = doc.kind === 'shift_close' ? doc.document.shiftId : doc.document.id;
    links.push({ seq, kind: doc.kind, documentId, prevHash, hash, recordedAt: at, document: doc });
    if (!carried) await writeLink(db, key, till.deviceId, links.at(-1)!);
    prev = hash;
  }
  const last = links.at(-1);
  const journaledByTill = documents.some((m) => (m.payload as { journal?: unknown }).journal !== undefined);
  if (last && !journaledByTill) {
    await db.query(
      `INSERT INTO journal_heads (store_id, branch_code, terminal, org_id, last_seq, last_hash, started_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7)
       ON CONFLICT (store_id, terminal) DO UPDATE SET last_seq = excluded.last_seq, last_hash = excluded.last_hash`,
      [key.storeId, key.branch, key.terminal, key.orgId, last.seq, last.hash, links[0]!.recordedAt],
    );
  }
  return { key, links, preJournal };
}

async function writeLink(db: SqlDatabase, key: ChainKey, deviceId: string, link: FixtureLink): Promise<void> {
  await db.query(
    `INSERT INTO journal_links (store_id, branch_code, terminal, journal_seq, kind, document_id, prev_hash,
                                hash, recorded_at, device_id)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
    [
      key.storeId,
      key.branch,
      key.terminal,
      link.seq,
      link.kind,
      link.documentId,
      link.prevHash,
      link.hash,
      link.recordedAt,
      deviceId,
    ],
  );
  if (link.document.kind === 'shift_close') {
    const seal = link.document.document.seal;
    await db.query(
      `UPDATE shifts SET seal_grand_sales_minor = $2, seal_grand_refunds_minor = $3, seal_grand_tax_minor = $4,
                         seal_last_document_hash = $5 WHERE id = $1`,
      [
        link.documentId,
        seal.grandSalesMinor,
        seal.grandRefundsMinor,
        seal.grandTaxMinor,
        seal.lastDocumentHash,
      ],
    );
  }
}
