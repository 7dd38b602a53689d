// Each journaled kind's canonical document (docs/journal.md#canonical-form): a fixed list of fields
// taken from the document as the edge recorded it, every field always written (absent as null).
// The edge hashes this when it records; the cloud rebuilds it from its stored rows and gets the same
// text, so editing a stored value changes the hash. Flags are left out (the cloud adds some), as are
// stock movements (derived from the lines) and what only the cloud stores (received time, device seq).
import { type JournalKind, journalKinds, type ShiftSeal } from '../protocol/journal.ts';
import {
  type CashMovementDocument,
  payloadSchemas,
  type SaleDocument,
  type ShiftClosed,
  type ShiftOpened,
} from '../protocol/mutations.ts';
import { canonicalInstant } from './canonical-json.ts';

/** A sale or refund as far as the journal reads it (the wire document without stock movements or flags). */
export type JournalSale = Omit<
  SaleDocument,
  'stockMovements' | 'flags' | 'lines' | 'refundedElsewhere' | 'journal'
> & {
  lines: readonly Omit<SaleDocument['lines'][number], 'flags'>[];
};
export type JournalShiftOpen = Omit<ShiftOpened, 'closedBy' | 'closedAt' | 'journal'>;
export type JournalCashMovement = Omit<CashMovementDocument, 'journal'>;
export type JournalShiftClose = Omit<ShiftClosed, 'journal' | 'seal'> & { seal: ShiftSeal };

/** A journaled document with its kind. */
export type JournalDocument =
  | { kind: 'sale' | 'refund'; document: JournalSale }
  | { kind: 'shift_open'; document: JournalShiftOpen }
  | { kind: 'cash_movement'; document: JournalCashMovement }
  | { kind: 'shift_close'; document: JournalShiftClose };

// Each kind's canonical text is written field by field, keys in canonical order (sorted by UTF-16
// code unit): no object is built and no key sorted per document, as the edge hashes every sale in its
// writing transaction and the cloud every pushed document. test/unit/journal-chain.test.ts holds the
// text of every kind to `canonicalJson` of itself.

/** A string, or an absent one as null. */
const str = (v: string | null | undefined): string =>
  v === null || v === undefined ? 'null' : JSON.stringify(v);

/** An integer, or an absent one as null; anything else has no canonical form (canonical-json.ts). */
function int(v: number | null | undefined): string {
  if (v === null || v === undefined) return 'null';
  if (!Number.isSafeInteger(v)) throw new Error(`the journal's canonical form holds integers only, not ${v}`);
  return String(v); // String(-0) is "0"
}

const instant = (v: string): string => JSON.stringify(canonicalInstant(v));

type Line = JournalSale['lines'][number];

function lineText(l: Line): string {
  return `{"amountMinor":${int(l.amountMinor)},"discountMinor":${int(l.discountMinor)},"lineNo":${int(l.lineNo)},"name":${str(l.name)},"originalLineNo":${int(l.originalLineNo)},"productId":${str(l.productId)},"qtyMilli":${int(l.qtyMilli)},"taxInclusive":${l.taxInclusive ? 'true' : 'false'},"taxMinor":${int(l.taxMinor)},"taxRateBp":${int(l.taxRateBp)},"totalMinor":${int(l.totalMinor)},"unitPriceMinor":${int(l.unitPriceMinor)}}`;
}

/** The lines by lineNo (a till records them in order: sorted only when they are not). */
function linesInOrder(lines: readonly Line[]): readonly Line[] {
  for (let i = 1; i < lines.length; i++) {
    if (lines[i - 1]!.lineNo > lines[i]!.lineNo) return [...lines].sort((a, b) => a.lineNo - b.lineNo);
  }
  return lines;
}

function saleText(d: JournalSale): string {
  const a = d.approval;
  const approval = a
    ? `{"approvedAt":${instant(a.approvedAt)},"approverUserId":${str(a.approverUserId)},"reasons":[${a.reasons.map(str).join(',')}]}`
    : 'null';
  const lines = linesInOrder(d.lines).map(lineText).join(',');
  const payments = d.payments
    .map(
      (p) =>
        `{"amountMinor":${int(p.amountMinor)},"changeMinor":${int(p.changeMinor)},"method":${str(p.method)},"reference":${str(p.reference)},"tenderedMinor":${int(p.tenderedMinor)}}`,
    )
    .join(',');
  return `{"approval":${approval},"branch":${str(d.branch)},"businessDate":${str(d.businessDate)},"cashier":${str(d.cashier)},"cashierUserId":${str(d.cashierUserId)},"changeMinor":${int(d.changeMinor)},"currency":${str(d.currency)},"customerId":${str(d.customerId)},"discountMinor":${int(d.discountMinor)},"id":${str(d.id)},"kind":${str(d.kind)},"lines":[${lines}],"occurredAt":${instant(d.occurredAt)},"originalSaleId":${str(d.originalSaleId)},"payments":[${payments}],"reason":${str(d.reason)},"receiptNo":${str(d.receiptNo)},"shiftId":${str(d.shiftId)},"subtotalMinor":${int(d.subtotalMinor)},"taxMinor":${int(d.taxMinor)},"terminal":${str(d.terminal)},"totalMinor":${int(d.totalMinor)}}`;
}

function shiftOpenText(d: JournalShiftOpen): string {
  return `{"branch":${str(d.branch)},"businessDate":${str(d.businessDate)},"id":${str(d.id)},"openedAt":${instant(d.openedAt)},"openedBy":${str(d.openedBy)},"openedByUserId":${str(d.openedByUserId)},"openingFloatMinor":${int(d.openingFloatMinor)},"terminal":${str(d.terminal)}}`;
}

function cashMovementText(d: JournalCashMovement): string {
  return `{"amountMinor":${int(d.amountMinor)},"cashier":${str(d.cashier)},"cashierUserId":${str(d.cashierUserId)},"direction":${str(d.direction)},"id":${str(d.id)},"occurredAt":${instant(d.occurredAt)},"reason":${str(d.reason)},"shiftId":${str(d.shiftId)}}`;
}

function shiftCloseText(d: JournalShiftClose): string {
  const counted = [...d.counted]
    .sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0))
    .map((c) => `{"countedMinor":${int(c.countedMinor)},"method":${str(c.method)}}`)
    .join(',');
  const s = d.seal;
  const seal = `{"grandRefundsMinor":${int(s.grandRefundsMinor)},"grandSalesMinor":${int(s.grandSalesMinor)},"grandTaxMinor":${int(s.grandTaxMinor)},"lastDocumentHash":${str(s.lastDocumentHash)}}`;
  return `{"closedAt":${instant(d.closedAt)},"closedBy":${str(d.closedBy)},"closedByUserId":${str(d.closedByUserId)},"counted":[${counted}],"seal":${seal},"shiftId":${str(d.shiftId)}}`;
}

/**
 * The canonical text of a journaled document (docs/journal.md#fields-of-each-kind); throws when a
 * value has no canonical form (a fraction, an unreadable instant).
 */
export function canonicalDocumentText(doc: JournalDocument): string {
  switch (doc.kind) {
    case 'sale':
    case 'refund':
      return saleText(doc.document);
    case 'shift_open':
      return shiftOpenText(doc.document);
    case 'cash_movement':
      return cashMovementText(doc.document);
    case 'shift_close':
      return shiftCloseText(doc.document);
  }
}

/** A journaled kind's payload as pushed (parsed by its schema), with its kind. */
export type JournaledPayload =
  | { kind: 'sale' | 'refund'; doc: SaleDocument }
  | { kind: 'shift_open'; doc: ShiftOpened }
  | { kind: 'cash_movement'; doc: CashMovementDocument }
  | { kind: 'shift_close'; doc: ShiftClosed };

/**
 * The document a journaled payload's link covers. A shift close without its seal covers none (its
 * hash cannot match): undefined.
 */
export function journalDocumentOf(p: JournaledPayload): JournalDocument | undefined {
  switch (p.kind) {
    case 'sale':
    case 'refund':
      return { kind: p.doc.kind, document: p.doc };
    case 'shift_open':
      return { kind: 'shift_open', document: p.doc };
    case 'cash_movement':
      return { kind: 'cash_movement', document: p.doc };
    case 'shift_close': {
      const { seal } = p.doc;
      return seal ? { kind: 'shift_close', document: { ...p.doc, seal } } : undefined;
    }
  }
}

/** A payload of `kind` as the journal reads it, if its kind is journaled and its schema takes it. */
export function parsedJournalDocument(kind: string, payload: unknown): JournalDocument | undefined {
  if (!(journalKinds as readonly string[]).includes(kind)) return undefined;
  const parsed = payloadSchemas[kind as JournalKind].safeParse(payload);
  return parsed.success ? journalDocumentOf({ kind, doc: parsed.data } as JournaledPayload) : undefined;
}

/** The id a journaled document is stored under (a shift close is stored on its shift). */
export function journalDocumentId(doc: JournalDocument): string {
  return doc.kind === 'shift_close' ? doc.document.shiftId : doc.document.id;
}

export type { JournalKind };
