// One terminal's hash chain (docs/journal.md): the genesis value it starts from, the text each link
// hashes, and the walk that finds the first link that does not verify. Pure: the edge (SQLite) and
// the cloud (the tenant's Postgres) read their stored links and documents and call `verifyChain`.
import { createHash } from 'node:crypto';
import type { ChainVerdict, JournalBreakReason, JournalKind } from '../protocol/journal.ts';
import { canonicalDocument, type JournalDocument } from './canonical-document.ts';
import { canonicalJson } from './canonical-json.ts';

/** The canonical form's version, written into every hashed text. */
export const JOURNAL_FORMAT = 1;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** Who a chain belongs to: the tenant, the branch, the terminal, and the edge database recording it. */
export interface ChainKey {
  orgId: string;
  branch: string;
  terminal: string;
  /** The edge database's id (`store_id`), which the cloud binds to the device token. */
  storeId: string;
}

/** What the first link's prevHash is: SHA-256 of the canonical `{format, genesis: {org, branch, terminal, store}}`. */
export function genesisHash(key: ChainKey): string {
  return sha256(
    canonicalJson({
      format: JOURNAL_FORMAT,
      genesis: { org: key.orgId, branch: key.branch, terminal: key.terminal, store: key.storeId },
    }),
  );
}

/** The exact text a link's hash covers: canonical `{format, seq, kind, prevHash, document}`. */
export function linkText(seq: number, prevHash: string, doc: JournalDocument): string {
  return canonicalJson({
    format: JOURNAL_FORMAT,
    seq,
    kind: doc.kind,
    prevHash,
    document: canonicalDocument(doc),
  });
}

export function linkHash(seq: number, prevHash: string, doc: JournalDocument): string {
  return sha256(linkText(seq, prevHash, doc));
}

/** A stored link, with its document as stored now (undefined when it is not stored). */
export interface StoredLink {
  seq: number;
  kind: JournalKind;
  documentId: string;
  prevHash: string;
  hash: string;
  document: JournalDocument | undefined;
  /** Why a missing document is an audited exception (HQ discarded it from the quarantine), if it is. */
  exception?: string | undefined;
}

export interface ChainToVerify {
  key: ChainKey;
  /** The chain's stored links in seq order. */
  links: readonly StoredLink[];
  /** The head the recorder keeps for this chain (last seq it gave out), if any. */
  headSeq: number | undefined;
  /** Documents of this terminal stored without a link from before the chain started. */
  preJournal: number;
}

/** Walks a chain from its genesis and answers the first link that does not verify. */
export function verifyChain(chain: ChainToVerify): ChainVerdict {
  let prev = genesisHash(chain.key);
  let expected = 1;
  const exceptions: ChainVerdict['exceptions'] = [];
  const verdict = (
    firstBreak: { seq: number; reason: JournalBreakReason; documentId: string | null } | null,
  ): ChainVerdict => ({
    storeId: chain.key.storeId,
    branch: chain.key.branch,
    terminal: chain.key.terminal,
    intact: firstBreak === null,
    links: chain.links.length,
    headSeq: Math.max(chain.headSeq ?? 0, chain.links.at(-1)?.seq ?? 0),
    firstBreak,
    preJournal: chain.preJournal,
    exceptions,
  });
  for (const link of chain.links) {
    if (link.seq !== expected) return verdict({ seq: expected, reason: 'gap', documentId: null });
    if (link.prevHash !== prev) {
      return verdict({ seq: link.seq, reason: 'prev_hash_mismatch', documentId: link.documentId });
    }
    if (link.document === undefined) {
      if (link.exception === undefined) {
        return verdict({ seq: link.seq, reason: 'document_missing', documentId: link.documentId });
      }
      exceptions.push({ seq: link.seq, documentId: link.documentId, reason: link.exception });
    } else if (
      link.document.kind !== link.kind ||
      linkHash(link.seq, link.prevHash, link.document) !== link.hash
    ) {
      return verdict({ seq: link.seq, reason: 'hash_mismatch', documentId: link.documentId });
    }
    prev = link.hash;
    expected += 1;
  }
  if (chain.headSeq !== undefined && chain.headSeq >= expected) {
    return verdict({ seq: expected, reason: 'truncated', documentId: null });
  }
  return verdict(null);
}
