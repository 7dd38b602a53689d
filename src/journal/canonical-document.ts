// Each journaled kind's canonical document (docs/journal.md#canonical-form): a fixed list of fields
// taken from the document as the edge recorded it, every field always written (absent as null).
// The edge hashes this when it records; the cloud rebuilds it from its stored rows and gets the same
// text, so editing a stored value changes the hash. Flags are left out (the cloud adds some), as are
// stock movements (derived from the lines) and what only the cloud stores (received time, device seq).
import type { JournalKind, ShiftSeal } from '../protocol/journal.ts';
import type { CashMovementDocument, SaleDocument, ShiftClosed, ShiftOpened } from '../protocol/mutations.ts';
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

function sale(d: JournalSale): CanonicalValue {
  return {
    id: d.id,
    kind: d.kind,
    receiptNo: d.receiptNo,
    originalSaleId: d.originalSaleId,
    branch: d.branch,
    terminal: d.terminal,
    shiftId: d.shiftId,
    cashier: d.cashier,
    cashierUserId: d.cashierUserId,
    customerId: d.customerId,
    currency: d.currency,
    subtotalMinor: d.subtotalMinor,
    discountMinor: d.discountMinor,
    taxMinor: d.taxMinor,
    totalMinor: d.totalMinor,
    changeMinor: d.changeMinor,
    occurredAt: canonicalInstant(d.occurredAt),
    businessDate: d.businessDate,
    reason: d.reason,
    approval: d.approval
      ? {
          approverUserId: d.approval.approverUserId,
          approvedAt: canonicalInstant(d.approval.approvedAt),
          reasons: [...d.approval.reasons],
        }
      : null,
    lines: [...d.lines]
      .sort((a, b) => a.lineNo - b.lineNo)
      .map((l) => ({
        lineNo: l.lineNo,
        productId: l.productId,
        name: l.name,
        qtyMilli: l.qtyMilli,
        unitPriceMinor: l.unitPriceMinor,
        amountMinor: l.amountMinor,
        discountMinor: l.discountMinor,
        taxRateBp: l.taxRateBp,
        taxInclusive: l.taxInclusive,
        taxMinor: l.taxMinor,
        totalMinor: l.totalMinor,
        originalLineNo: l.originalLineNo,
      })),
    payments: d.payments.map((p) => ({
      method: p.method,
      amountMinor: p.amountMinor,
      tenderedMinor: p.tenderedMinor,
      changeMinor: p.changeMinor,
      reference: p.reference,
    })),
  };
}

function shiftOpen(d: JournalShiftOpen): CanonicalValue {
  return {
    id: d.id,
    branch: d.branch,
    terminal: d.terminal,
    openedBy: d.openedBy,
    openedByUserId: orNull(d.openedByUserId),
    openedAt: canonicalInstant(d.openedAt),
    openingFloatMinor: d.openingFloatMinor,
    businessDate: d.businessDate,
  };
}

function cashMovement(d: JournalCashMovement): CanonicalValue {
  return {
    id: d.id,
    shiftId: d.shiftId,
    direction: d.direction,
    amountMinor: d.amountMinor,
    reason: d.reason,
    cashier: d.cashier,
    cashierUserId: orNull(d.cashierUserId),
    occurredAt: canonicalInstant(d.occurredAt),
  };
}

function shiftClose(d: JournalShiftClose): CanonicalValue {
  return {
    shiftId: d.shiftId,
    closedAt: canonicalInstant(d.closedAt),
    closedBy: d.closedBy,
    closedByUserId: orNull(d.closedByUserId),
    counted: [...d.counted]
      .sort((a, b) => (a.method < b.method ? -1 : a.method > b.method ? 1 : 0))
      .map((c) => ({ method: c.method, countedMinor: c.countedMinor })),
    seal: {
      grandSalesMinor: d.seal.grandSalesMinor,
      grandRefundsMinor: d.seal.grandRefundsMinor,
      grandTaxMinor: d.seal.grandTaxMinor,
      lastDocumentHash: d.seal.lastDocumentHash,
    },
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

/** The id a journaled document is stored under (a shift close is stored on its shift). */
export function journalDocumentId(doc: JournalDocument): string {
  return doc.kind === 'shift_close' ? doc.document.shiftId : doc.document.id;
}

export type { JournalKind };
