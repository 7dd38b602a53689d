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
import { type CanonicalValue, canonicalInstant } from './canonical-json.ts';

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

const orNull = <T>(v: T | undefined): T | null => (v === undefined ? null : v);

// Every projection writes its keys already in canonical order (sorted by UTF-16 code unit), so
// `JSON.stringify` of it is its canonical JSON without a sort per object (the push path hashes every
// document); test/unit/journal-chain.test.ts holds each kind to `canonicalJson`.

function sale(d: JournalSale): CanonicalValue {
  return {
    approval: d.approval
      ? {
          approvedAt: canonicalInstant(d.approval.approvedAt),
          approverUserId: d.approval.approverUserId,
          reasons: [...d.approval.reasons],
        }
      : null,
    branch: d.branch,
    businessDate: d.businessDate,
    cashier: d.cashier,
    cashierUserId: d.cashierUserId,
    changeMinor: d.changeMinor,
    currency: d.currency,
    customerId: d.customerId,
    discountMinor: d.discountMinor,
    id: d.id,
    kind: d.kind,
    lines: [...d.lines]
      .sort((a, b) => a.lineNo - b.lineNo)
      .map((l) => ({
        amountMinor: l.amountMinor,
        discountMinor: l.discountMinor,
        lineNo: l.lineNo,
        name: l.name,
        originalLineNo: l.originalLineNo,
        productId: l.productId,
        qtyMilli: l.qtyMilli,
        taxInclusive: l.taxInclusive,
        taxMinor: l.taxMinor,
        taxRateBp: l.taxRateBp,
        totalMinor: l.totalMinor,
        unitPriceMinor: l.unitPriceMinor,
      })),
    occurredAt: canonicalInstant(d.occurredAt),
    originalSaleId: d.originalSaleId,
    payments: d.payments.map((p) => ({
      amountMinor: p.amountMinor,
      changeMinor: p.changeMinor,
      method: p.method,
      reference: p.reference,
      tenderedMinor: p.tenderedMinor,
    })),
    reason: d.reason,
    receiptNo: d.receiptNo,
    shiftId: d.shiftId,
    subtotalMinor: d.subtotalMinor,
    taxMinor: d.taxMinor,
    terminal: d.terminal,
    totalMinor: d.totalMinor,
  };
}

function shiftOpen(d: JournalShiftOpen): CanonicalValue {
  return {
    branch: d.branch,
    businessDate: d.businessDate,
    id: d.id,
    openedAt: canonicalInstant(d.openedAt),
    openedBy: d.openedBy,
    openedByUserId: orNull(d.openedByUserId),
    openingFloatMinor: d.openingFloatMinor,
    terminal: d.terminal,
  };
}

function cashMovement(d: JournalCashMovement): CanonicalValue {
  return {
    amountMinor: d.amountMinor,
    cashier: d.cashier,
    cashierUserId: orNull(d.cashierUserId),
    direction: d.direction,
    id: d.id,
    occurredAt: canonicalInstant(d.occurredAt),
    reason: d.reason,
    shiftId: d.shiftId,
  };
}

function shiftClose(d: JournalShiftClose): CanonicalValue {
  return {
    closedAt: canonicalInstant(d.closedAt),
    closedBy: d.closedBy,
    closedByUserId: orNull(d.closedByUserId),
    counted: [...d.counted]
      .sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0))
      .map((c) => ({ countedMinor: c.countedMinor, method: c.method })),
    seal: {
      grandRefundsMinor: d.seal.grandRefundsMinor,
      grandSalesMinor: d.seal.grandSalesMinor,
      grandTaxMinor: d.seal.grandTaxMinor,
      lastDocumentHash: d.seal.lastDocumentHash,
    },
    shiftId: d.shiftId,
  };
}

/** The canonical document of a journaled document, as a value for canonicalJson. */
export function canonicalDocument(doc: JournalDocument): CanonicalValue {
  switch (doc.kind) {
    case 'sale':
    case 'refund':
      return sale(doc.document);
    case 'shift_open':
      return shiftOpen(doc.document);
    case 'cash_movement':
      return cashMovement(doc.document);
    case 'shift_close':
      return shiftClose(doc.document);
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
