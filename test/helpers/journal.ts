// Journal links for pushed mutations, built the way the edge builds them (src/journal): each journaled
// document's link in its terminal's chain, so a test can push an intact chain over the raw protocol
// and then spoil one link or document at a time.
import { type JournalDocument, parsedJournalDocument } from '../../src/journal/canonical-document.ts';
import { type ChainKey, genesisHash, linkHash } from '../../src/journal/chain.ts';
import { type JournalLink, journalKinds } from '../../src/protocol/journal.ts';
import type { Mutation } from '../../src/protocol/mutations.ts';

/** A chain being extended: its key and its last link. */
export interface TestChain {
  key: ChainKey;
  seq: number;
  hash: string;
}

export const newChain = (key: ChainKey): TestChain => ({ key, seq: 0, hash: genesisHash(key) });

/** Whether a mutation's kind is journaled (sale, refund, shift open, cash movement, shift close). */
export const isJournaled = (m: Mutation): boolean => (journalKinds as readonly string[]).includes(m.kind);

/** The journal document the cloud rebuilds from a payload (a shift close with its seal). */
export function journalDocumentOf(m: Mutation): JournalDocument {
  const doc = parsedJournalDocument(m.kind, m.payload);
  if (!doc) throw new Error(`${m.kind} ${m.id} is not a journaled document the journal can read`);
  return doc;
}

/**
 * `m` with its link as the next of `chain` (which moves on); `spoil` changes the link after it is
 * computed (a gap, a wrong prevHash). A shift close gets a seal naming the chain's last hash.
 */
export function journaled(
  chain: TestChain,
  m: Mutation,
  spoil: (link: JournalLink) => JournalLink = (l) => l,
): Mutation {
  const payload = { ...(m.payload as Record<string, unknown>) };
  delete payload.journal;
  if (m.kind === 'shift_close') {
    payload.seal = {
      grandSalesMinor: 0,
      grandRefundsMinor: 0,
      grandTaxMinor: 0,
      lastDocumentHash: chain.hash,
    };
  }
  const bare = { ...m, payload } as Mutation;
  const seq = chain.seq + 1;
  const link = spoil({
    terminal: chain.key.terminal,
    seq,
    prevHash: chain.hash,
    hash: linkHash(seq, chain.hash, journalDocumentOf(bare)),
  });
  chain.seq = link.seq;
  chain.hash = link.hash;
  return { ...bare, payload: { ...payload, journal: link } } as Mutation;
}

/** Every journaled mutation of `ms` linked in order on `chain`; the others as they are. */
export const journaledAll = (chain: TestChain, ms: readonly Mutation[]): Mutation[] =>
  ms.map((m) => (isJournaled(m) ? journaled(chain, m) : m));
