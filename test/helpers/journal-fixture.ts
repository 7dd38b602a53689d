// Journal chains for verification tests, as tills journaled and pushed them: the links each pushed
// document carries, with the document they hash as src/journal reads it, so a test can name the seq a
// tampering must be found at.
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
function journalDocument(m: Mutation): { doc: JournalDocument; at: string } {
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
      const { journal: _j, seal, ...rest } = m.payload as ShiftClosed;
      if (!seal) throw new Error(`shift close ${m.id} carries no seal`);
      return { doc: { kind: 'shift_close', document: { ...rest, seal } }, at: rest.closedAt };
    }
  }
}

/**
 * The chain of `till`'s terminal as the till journaled and pushed it: its first `preJournal`
 * journaled documents were recorded before the chain started (no link), the rest carry their links.
 * Call after the till synced everything; the cloud recorded the same links on push.
 */
export function recordJournal(
  orgId: string,
  till: Till,
  options: { preJournal?: number; branch?: string } = {},
): FixtureChain {
  const key: ChainKey = {
    orgId,
    branch: options.branch ?? 'MAIN',
    terminal: till.terminal,
    storeId: till.storeId,
  };
  const documents = till.outbox().filter((m) => journaledKinds.includes(m.kind));
  const preJournal = options.preJournal ?? 0;
  const links: FixtureLink[] = [];
  for (const [i, m] of documents.entries()) {
    const carried = (m.payload as { journal?: { seq: number; prevHash: string; hash: string } }).journal;
    if (i < preJournal) {
      if (carried) throw new Error(`document ${i + 1} carries a link but was meant to be pre-journal`);
      continue;
    }
    if (!carried) throw new Error(`document ${i + 1} (${m.kind} ${m.id}) carries no link`);
    const { doc, at } = journalDocument(m);
    const documentId = doc.kind === 'shift_close' ? doc.document.shiftId : doc.document.id;
    links.push({ ...carried, kind: doc.kind, documentId, recordedAt: at, document: doc });
  }
  return { key, links, preJournal };
}
