// Journal chains for verification tests, as tills journaled and pushed them: the links each pushed
// document carries, with the document they hash as src/journal reads it, so a test can name the seq a
// tampering must be found at.
import type { JournalDocument } from '../../src/journal/canonical-document.ts';
import type { ChainKey } from '../../src/journal/chain.ts';
import type { JournalKind } from '../../src/protocol/journal.ts';
import { journalDocumentOf } from './journal.ts';
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

/** When a journaled document was recorded at the till. */
function recordedAt(d: JournalDocument): string {
  switch (d.kind) {
    case 'shift_open':
      return d.document.openedAt;
    case 'shift_close':
      return d.document.closedAt;
    default:
      return d.document.occurredAt;
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
    const doc = journalDocumentOf(m);
    const at = recordedAt(doc);
    const documentId = doc.kind === 'shift_close' ? doc.document.shiftId : doc.document.id;
    links.push({ ...carried, kind: doc.kind, documentId, recordedAt: at, document: doc });
  }
  return { key, links, preJournal };
}
