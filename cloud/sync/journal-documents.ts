// The journaled documents of a pushed batch as the chain check reads them (docs/journal.md): each
// link with the document it covers (rebuilt from the payload as pushed), the document's id, instant
// and terminal. A payload its schema refuses keeps its link (the till recorded it) but no document,
// so its hash cannot be verified.
import {
  type JournalDocument,
  type JournaledPayload,
  journalDocumentOf,
} from '../../src/journal/canonical-document.ts';
import {
  type JournalKind,
  type JournalLink,
  journalKinds,
  journalLinkSchema,
} from '../../src/protocol/journal.ts';
import type { ParsedMutation } from './parsed-mutation.ts';
import type { ValidMutation } from './validate.ts';

/** One link a batch carries, in the batch's seq order. */
export interface JournaledMutation {
  link: JournalLink;
  kind: JournalKind;
  documentId: string;
  /** The document as pushed; undefined when the payload could not be read as its kind. */
  document: JournalDocument | undefined;
  /** When the document was recorded at the till (the received time when it cannot be read). */
  recordedAt: string;
  /** The document's own terminal; for a cash movement or close, the shift it names (looked up). */
  terminal: string | { shiftId: string } | undefined;
}

const isJournalKind = (kind: string): kind is JournalKind =>
  (journalKinds as readonly string[]).includes(kind);

/** The journaled mutations of `batch` (those whose payload carries `journal`), in order. */
export function journaledMutations(
  batch: readonly ParsedMutation[],
  receivedAt: string,
): JournaledMutation[] {
  const out: JournaledMutation[] = [];
  for (const { m, parsed } of batch) {
    if (!isJournalKind(m.kind)) continue;
    if ('code' in parsed) {
      const unread = unreadable(m.kind, m.id, m.payload, receivedAt);
      if (unread) out.push(unread);
    } else {
      const one = journaled(parsed);
      if (one) out.push(one);
    }
  }
  return out;
}

/** Where a journaled payload's document is stored and placed: its id, its instant and its terminal. */
function placeOf(p: JournaledPayload): Pick<JournaledMutation, 'documentId' | 'recordedAt' | 'terminal'> {
  switch (p.kind) {
    case 'sale':
    case 'refund':
      return { documentId: p.doc.id, recordedAt: p.doc.occurredAt, terminal: p.doc.terminal };
    case 'shift_open':
      return { documentId: p.doc.id, recordedAt: p.doc.openedAt, terminal: p.doc.terminal };
    case 'cash_movement':
      return { documentId: p.doc.id, recordedAt: p.doc.occurredAt, terminal: { shiftId: p.doc.shiftId } };
    case 'shift_close':
      return { documentId: p.doc.shiftId, recordedAt: p.doc.closedAt, terminal: { shiftId: p.doc.shiftId } };
  }
}

function journaled(v: ValidMutation): JournaledMutation | undefined {
  if (!isJournalKind(v.kind)) return undefined;
  const p = v as JournaledPayload;
  const link = p.doc.journal;
  return link && { link, kind: p.kind, document: journalDocumentOf(p), ...placeOf(p) };
}

/** A journaled kind whose payload its schema refused: its link still counts in the chain, if it reads. */
function unreadable(
  kind: JournalKind,
  mutationId: string,
  payload: unknown,
  receivedAt: string,
): JournaledMutation | undefined {
  if (typeof payload !== 'object' || payload === null) return undefined;
  const fields = payload as Record<string, unknown>;
  const link = journalLinkSchema.safeParse(fields.journal);
  if (!link.success) return undefined;
  const shiftId = typeof fields.shiftId === 'string' ? fields.shiftId : undefined;
  return {
    link: link.data,
    kind,
    documentId: kind === 'shift_close' ? (shiftId ?? mutationId) : mutationId,
    document: undefined,
    recordedAt: receivedAt,
    terminal: undefined,
  };
}
