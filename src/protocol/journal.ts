// The tamper-evident journal on the wire (protocol 6, docs/journal.md): each document a terminal
// records carries its link in that terminal's hash chain, and a shift close carries its seal (the
// terminal's perpetual grand totals and the hash of the shift's last document). What the cloud's
// `GET /v1/journal` exports and what a verification answers are here too.
import { z } from 'zod';
import { instantSchema, strictObject } from '../domain/bounds.ts';
import { codeSchema } from '../domain/payloads.ts';

/** A SHA-256 as 64 lowercase hex digits. */
export const hashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 as 64 lowercase hex digits');

/** A journal seq: gapless from 1 per terminal chain. */
export const journalSeqSchema = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);

/**
 * A perpetual grand total: a terminal's sum since its first document. It outgrows one document's
 * bound (MAX_AMOUNT_MINOR) by design, so it is bounded by what a JS number holds exactly; the edge
 * refuses a document that would take it past that (docs/bounds.md).
 */
export const grandTotalSchema = z.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A perpetual net total (sales less refunds): within ±(2^53 − 1) minor units. */
export const netGrandTotalSchema = z
  .number()
  .int()
  .min(-Number.MAX_SAFE_INTEGER)
  .max(Number.MAX_SAFE_INTEGER);

/** The link a journaled document carries (absent on documents recorded before the journal). */
export const journalLinkSchema = strictObject({
  /** The terminal whose chain this is (a cash movement or shift close names no terminal of its own). */
  terminal: codeSchema,
  seq: journalSeqSchema,
  prevHash: hashSchema,
  hash: hashSchema,
});
export type JournalLink = z.infer<typeof journalLinkSchema>;

/** What a shift close seals: the terminal's grand totals up to and including the shift, and its last document. */
export const shiftSealSchema = strictObject({
  /** Sum of sale totals since the terminal's first document. */
  grandSalesMinor: grandTotalSchema,
  /** Sum of refund totals since the terminal's first document. */
  grandRefundsMinor: grandTotalSchema,
  /**
   * Tax of sales minus tax of refunds since the terminal's first document. Negative at a till that
   * refunded other tills' sales for more tax than it sold.
   */
  grandTaxMinor: netGrandTotalSchema,
  /** The hash of the shift's last document before this close (its shift open when nothing else). */
  lastDocumentHash: hashSchema,
});
export type ShiftSeal = z.infer<typeof shiftSealSchema>;

/** The kinds a terminal's chain links, in the order the canonical form names them. */
export const journalKinds = ['sale', 'refund', 'shift_open', 'cash_movement', 'shift_close'] as const;
export type JournalKind = (typeof journalKinds)[number];

/** Why a link does not verify (docs/journal.md#verification). */
export const journalBreakReasons = [
  /** The stored link's seq is not the one after the previous link's (a link is missing or reordered). */
  'gap',
  /** The link's prevHash is not the previous link's hash (or the genesis value for seq 1). */
  'prev_hash_mismatch',
  /** The document as stored no longer hashes to the link's hash (it was edited). */
  'hash_mismatch',
  /** The link names a document that is not stored (it was deleted). */
  'document_missing',
  /** The chain ends before the terminal's recorded head (links were cut off its end). */
  'truncated',
] as const;
export type JournalBreakReason = (typeof journalBreakReasons)[number];

/** One link of an exported chain: a JSON line of `GET /v1/journal`. */
export const journalEntrySchema = strictObject({
  storeId: z.string().min(1).max(64),
  branch: codeSchema,
  terminal: codeSchema,
  seq: journalSeqSchema,
  kind: z.enum(journalKinds),
  documentId: z.string().min(1).max(64),
  prevHash: hashSchema,
  hash: hashSchema,
  /** The document's canonical form as stored now, the exact text the hash covers (docs/journal.md#canonical-form). */
  canonical: z.string(),
  recordedAt: instantSchema,
});
export type JournalEntry = z.infer<typeof journalEntrySchema>;

/** The first link that does not verify. */
export const journalBreakSchema = strictObject({
  seq: journalSeqSchema,
  reason: z.enum(journalBreakReasons),
  documentId: z.string().nullable(),
});

/** The verdict on one terminal's chain. */
export const chainVerdictSchema = strictObject({
  storeId: z.string(),
  branch: codeSchema,
  terminal: codeSchema,
  intact: z.boolean(),
  /** Links checked. */
  links: z.number().int().min(0),
  /** The last link's seq (0 before the first). */
  headSeq: z.number().int().min(0),
  firstBreak: journalBreakSchema.nullable(),
  /** Documents of this terminal recorded before its chain started (pre-journal): listed, never failed. */
  preJournal: z.number().int().min(0),
  /** Links whose document HQ discarded, still holds, or replayed corrected from the quarantine (audited exceptions, not breaks). */
  exceptions: z.array(strictObject({ seq: journalSeqSchema, documentId: z.string(), reason: z.string() })),
});
export type ChainVerdict = z.infer<typeof chainVerdictSchema>;
