// One terminal's hash chain (docs/journal.md): the genesis value it starts from, the text each link
// hashes, and the walk that finds the first link that does not verify. Pure: the edge (SQLite) and
// the cloud (the tenant's Postgres) read their stored links and documents and call `verifyChain`.
import { hash } from 'node:crypto';
import type { ChainVerdict, JournalBreakReason, JournalKind } from '../protocol/journal.ts';
import { canonicalDocumentText, type JournalDocument } from './canonical-document.ts';
import { canonicalJson } from './canonical-json.ts';

/** The canonical form's version, written into every hashed text. */
export const JOURNAL_FORMAT = 1;

/** SHA-256 of the text's UTF-8 bytes, lowercase hex (one-shot: no hash object per link). */
const sha256 = (text: string): string => hash('sha256', text, 'hex');

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
  return `{"document":${canonicalDocumentText(doc)},"format":${JOURNAL_FORMAT},"kind":${JSON.stringify(doc.kind)},"prevHash":${JSON.stringify(prevHash)},"seq":${seq}}`;
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
  /**
   * Why a document missing, or stored otherwise than it hashed, is an audited exception (HQ discarded
   * it from the quarantine, or replayed it corrected), if it is.
   */
  exception?: string | undefined;
  /**
   * For a document HQ replayed corrected: what the correction hashes to under this link (the stored
   * document must hash to it to be that exception).
   */
  correctedHash?: string | undefined;
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

/** The first link that does not verify. */
export type ChainBreak = NonNullable<ChainVerdict['firstBreak']>;

/**
 * A chain walked link by link, for a reader that streams a long chain in batches instead of holding
 * every link: `step` each stored link in seq order until one answers a break, then `verdict`.
 */
export interface ChainWalk {
  /** Checks the next stored link; answers the break it is, or undefined when it verifies. */
  step(link: StoredLink): ChainBreak | undefined;
  /** The verdict on the links stepped so far, against the recorder's head. */
  verdict(headSeq: number | undefined, preJournal: number): ChainVerdict;
}

/** A stored document's link hash; undefined when a stored value has no canonical form (edited out of range). */
function hashOf(link: StoredLink, document: JournalDocument): string | undefined {
  try {
    return linkHash(link.seq, link.prevHash, document);
  } catch {
    return undefined;
  }
}

/** Starts a walk from the chain's genesis. */
export function walkChain(key: ChainKey): ChainWalk {
  let prev = genesisHash(key);
  let expected = 1;
  let lastSeq = 0;
  let links = 0;
  let firstBreak: ChainBreak | null = null;
  const exceptions: ChainVerdict['exceptions'] = [];
  const broken = (seq: number, reason: JournalBreakReason, documentId: string | null): ChainBreak => {
    firstBreak = { seq, reason, documentId };
    return firstBreak;
  };
  const check = (link: StoredLink): ChainBreak | undefined => {
    if (link.seq !== expected) return broken(expected, 'gap', null);
    if (link.prevHash !== prev) return broken(link.seq, 'prev_hash_mismatch', link.documentId);
    if (link.document === undefined) {
      if (link.exception === undefined) return broken(link.seq, 'document_missing', link.documentId);
      exceptions.push({ seq: link.seq, documentId: link.documentId, reason: link.exception });
    } else {
      const stored = link.document.kind === link.kind ? hashOf(link, link.document) : undefined;
      if (stored !== link.hash) {
        // HQ's audited correction, while the stored document is still exactly that correction.
        if (link.exception === undefined || stored === undefined || stored !== link.correctedHash) {
          return broken(link.seq, 'hash_mismatch', link.documentId);
        }
        exceptions.push({ seq: link.seq, documentId: link.documentId, reason: link.exception });
      }
    }
    prev = link.hash;
    expected += 1;
    return undefined;
  };
  return {
    step(link) {
      if (firstBreak) return firstBreak;
      links += 1;
      lastSeq = link.seq;
      return check(link);
    },
    verdict(headSeq, preJournal) {
      if (!firstBreak && headSeq !== undefined && headSeq >= expected) broken(expected, 'truncated', null);
      return {
        storeId: key.storeId,
        branch: key.branch,
        terminal: key.terminal,
        intact: firstBreak === null,
        links,
        headSeq: Math.max(headSeq ?? 0, lastSeq),
        firstBreak,
        preJournal,
        exceptions,
      };
    },
  };
}

/** Walks a chain from its genesis and answers the first link that does not verify. */
export function verifyChain(chain: ChainToVerify): ChainVerdict {
  const walk = walkChain(chain.key);
  for (const link of chain.links) if (walk.step(link)) break;
  // Every link given counts, and the last one given is the head it reached, wherever the walk stopped.
  return {
    ...walk.verdict(chain.headSeq, chain.preJournal),
    links: chain.links.length,
    headSeq: Math.max(chain.headSeq ?? 0, chain.links.at(-1)?.seq ?? 0),
  };
}
