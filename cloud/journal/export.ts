// The journal as an auditor takes it away (`GET /v1/journal`, docs/journal.md#export): each selected
// chain's links in seq order, each with the exact text its hash covers rebuilt from the document as
// stored now, produced a batch at a time so a chain of a million links is never held whole.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { linkText, type StoredLink } from '../../src/journal/chain.ts';
import type { JournalEntry } from '../../src/protocol/journal.ts';
import {
  type ChainFilter,
  LINK_BATCH,
  type LinkRange,
  linkRowBatches,
  listChains,
  withDocuments,
} from './stored-chains.ts';

/** The text a link's hash covers, from its document as stored; '' when not stored or out of the canonical form's range. */
function canonicalOf(link: StoredLink): string {
  if (!link.document) return '';
  try {
    return linkText(link.seq, link.prevHash, link.document);
  } catch {
    return '';
  }
}

/** What to export: the chains of a terminal (optionally of one branch), links recorded in [from, to). */
export type JournalExportQuery = ChainFilter & LinkRange;

/**
 * The entries of every selected chain of the tenant `orgId`, chain after chain, each in seq order. `canonical` is the
 * empty string when the link's document is not stored, or holds a value the canonical form cannot
 * write (no canonical text is empty).
 */
export async function* journalEntries(
  db: SqlQueryable,
  orgId: string,
  query: JournalExportQuery,
  batch = LINK_BATCH,
): AsyncGenerator<JournalEntry> {
  for (const chain of await listChains(db, orgId, query)) {
    for await (const rows of linkRowBatches(db, chain, query, batch)) {
      for (const link of await withDocuments(db, chain, rows)) {
        yield {
          storeId: chain.key.storeId,
          branch: chain.key.branch,
          terminal: chain.key.terminal,
          seq: link.seq,
          kind: link.kind,
          documentId: link.documentId,
          prevHash: link.prevHash,
          hash: link.hash,
          canonical: canonicalOf(link),
          recordedAt: link.recordedAt,
        };
      }
    }
  }
}
