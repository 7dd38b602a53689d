// Validating pushed mutations before they are applied. A mutation that fails is kept whole in the
// tenant's quarantine with its reason and acknowledged as rejected; it never blocks the queue. What
// the edge could not know (a price changed, a product deactivated, a cashier nobody knows, stock
// below zero) is no reason to refuse: nothing here checks it; the sale is flagged as it is written
// (catalog-flags.ts, stock-flags.ts) and kept in occurredAt order (stock-order.ts).

import { sanitizeText } from '../../src/domain/bounds.ts';
import { parseReceiptNo } from '../../src/domain/receipt.ts';
import {
  type CashierEvent,
  type CashMovementDocument,
  type Mutation,
  type MutationKind,
  mutationKinds,
  payloadSchemas,
  type SaleDocument,
  type ShiftClosed,
  type ShiftOpened,
} from '../../src/protocol/mutations.ts';
import type { RejectionCode } from '../../src/protocol/rejections.ts';
import type { StockDocument } from '../../src/protocol/stock.ts';
import type { DeviceScope } from '../devices/scope.ts';
import { checkSaleArithmetic } from './arithmetic.ts';

export type ValidMutation =
  | { kind: 'sale' | 'refund'; seq: number; id: string; doc: SaleDocument }
  | { kind: 'shift_open'; seq: number; id: string; doc: ShiftOpened }
  | { kind: 'cash_movement'; seq: number; id: string; doc: CashMovementDocument }
  | { kind: 'shift_close'; seq: number; id: string; doc: ShiftClosed }
  | { kind: 'cashier_event'; seq: number; id: string; doc: CashierEvent }
  | ({ seq: number; id: string } & StockDocument);

export interface Rejection {
  code: RejectionCode;
  reason: string;
}

/** The terminal codes a mutation's document names, to be claimed before it is checked. */
export function terminalOf(m: ValidMutation): string | undefined {
  return m.kind === 'sale' || m.kind === 'refund' || m.kind === 'shift_open' || m.kind === 'cashier_event'
    ? m.doc.terminal
    : undefined;
}

/** The longest reason kept with a quarantined mutation. */
const MAX_REASON = 2000;

/**
 * A reason that is safe to store and show: control characters (a payload's unknown key may carry
 * NUL, which Postgres refuses in text) written as \\uXXXX escapes, and the length capped.
 */
export const printable = (reason: string): string => sanitizeText(reason, MAX_REASON);

const isKind = (kind: string): kind is MutationKind => (mutationKinds as readonly string[]).includes(kind);

/** The payload parsed for its kind, or why it cannot be. */
export function parseMutation(m: Mutation): ValidMutation | Rejection {
  if (!isKind(m.kind))
    return { code: 'invalid_payload', reason: printable(`unknown mutation kind ${m.kind}`) };
  const parsed = payloadSchemas[m.kind].safeParse(m.payload);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`)
      .join('; ');
    return { code: 'invalid_payload', reason: printable(reason) };
  }
  const valid = { kind: m.kind, seq: m.seq, id: m.id, doc: parsed.data } as ValidMutation;
  const docId = valid.kind === 'shift_close' ? undefined : valid.doc.id;
  if (docId !== undefined && docId !== m.id) {
    return { code: 'invalid_payload', reason: `mutation ${m.id} carries document ${docId}` };
  }
  if ((valid.kind === 'sale' || valid.kind === 'refund') && valid.doc.kind !== valid.kind) {
    return { code: 'invalid_payload', reason: `a ${valid.kind} mutation carries a ${valid.doc.kind}` };
  }
  return valid;
}

/**
 * Checks a sale or refund against the device (branch, receipt series, currency) and a sale's own
 * arithmetic. A refund's arithmetic needs its original (refunds.ts); the terminal is checked once
 * the documents that pass this have claimed theirs (checkTerminal).
 */
export function checkSaleDocument(doc: SaleDocument, scope: DeviceScope): Rejection | undefined {
  const elsewhere = wrongBranch('document', doc.branch, scope);
  if (elsewhere) return elsewhere;
  const receipt = parseReceiptNo(doc.receiptNo);
  const series = doc.kind === 'refund' ? 'refund' : 'sale';
  if (
    !receipt ||
    receipt.branch !== doc.branch ||
    receipt.terminal !== doc.terminal ||
    receipt.series !== series
  ) {
    return {
      code: 'receipt_mismatch',
      reason: `receipt ${doc.receiptNo} is not in the ${series} series of ${doc.branch}-${doc.terminal}`,
    };
  }
  if (doc.currency !== scope.currency) {
    return {
      code: 'wrong_currency',
      reason: `the document is in ${doc.currency}; the tenant's currency is ${scope.currency}`,
    };
  }
  if ((doc.kind === 'refund') !== (doc.originalSaleId !== null)) {
    return { code: 'invalid_payload', reason: 'a refund, and only a refund, names its original sale' };
  }
  return doc.kind === 'sale' ? checkSaleArithmetic(doc) : undefined;
}

/** Checks a shift document or a cashier event against the device's branch (its terminal: checkTerminal). */
export function checkShift(doc: ShiftOpened | CashierEvent, scope: DeviceScope): Rejection | undefined {
  return wrongBranch('event' in doc ? 'cashier event' : 'shift', doc.branch, scope);
}

/** A stock document moves the device's own branch's stock (a transfer out of it; never into it from another). */
export function checkStock(doc: { branch: string }, scope: DeviceScope): Rejection | undefined {
  return wrongBranch('stock document', doc.branch, scope);
}

/** `wrong_branch` when a document names another branch than the device's. */
function wrongBranch(what: string, branch: string, scope: DeviceScope): Rejection | undefined {
  if (branch === scope.branchCode) return undefined;
  return {
    code: 'wrong_branch',
    reason: `the ${what} is for branch ${branch}; the device is in ${scope.branchCode}`,
  };
}

/** The document's terminal is one the device owns (claimed only by documents that passed every other check). */
export function checkTerminal(terminal: string, owned: ReadonlySet<string>): Rejection | undefined {
  return owned.has(terminal)
    ? undefined
    : { code: 'terminal_not_owned', reason: `terminal ${terminal} is not this device's` };
}
