// Validating pushed mutations before they are applied. A mutation that fails is kept whole in the
// tenant's quarantine with its reason and acknowledged as rejected; it never blocks the queue. What
// the edge could not know (a price changed, a product deactivated) is not a failure: it is flagged.
import { sum } from '../../src/domain/money.ts';
import { totalsOf } from '../../src/domain/sale.ts';
import {
  type CashMovementDocument,
  type Mutation,
  type MutationKind,
  mutationKinds,
  payloadSchemas,
  type SaleDocument,
  type ShiftClosed,
  type ShiftOpened,
} from '../../src/protocol/mutations.ts';

/** Why a mutation was quarantined. */
export const rejectionCodes = {
  /** An unknown kind, or a payload that fails its kind's schema (or names another id or kind). */
  invalid_payload: 'invalid_payload',
  /** The document names a branch other than the device's. */
  wrong_branch: 'wrong_branch',
  /** The document's terminal is not one this device claimed (another device numbers that series). */
  terminal_not_owned: 'terminal_not_owned',
  /** The document is in another currency than the tenant's. */
  wrong_currency: 'wrong_currency',
  /** Totals that are not the sums of the lines, or payments that do not settle the total. */
  totals_mismatch: 'totals_mismatch',
  /** A refund of a sale the tenant does not have. */
  unknown_original: 'unknown_original',
  /** A cash movement or close for a shift the tenant does not have. */
  unknown_shift: 'unknown_shift',
  /** Another document already holds this receipt number. */
  receipt_taken: 'receipt_taken',
} as const;
export type RejectionCode = keyof typeof rejectionCodes;

export type ValidMutation =
  | { kind: 'sale' | 'refund'; seq: number; id: string; doc: SaleDocument }
  | { kind: 'shift_open'; seq: number; id: string; doc: ShiftOpened }
  | { kind: 'cash_movement'; seq: number; id: string; doc: CashMovementDocument }
  | { kind: 'shift_close'; seq: number; id: string; doc: ShiftClosed };

export interface Rejection {
  code: RejectionCode;
  reason: string;
}

export interface DeviceScope {
  branchCode: string;
  /** Terminal codes this device owns in its branch (claimed as its documents first name them). */
  terminals: ReadonlySet<string>;
  currency: string;
}

/** The terminal codes a mutation's document names, to be claimed before it is checked. */
export function terminalOf(m: ValidMutation): string | undefined {
  return m.kind === 'sale' || m.kind === 'refund' || m.kind === 'shift_open' ? m.doc.terminal : undefined;
}

const isKind = (kind: string): kind is MutationKind => (mutationKinds as readonly string[]).includes(kind);

/** The payload parsed for its kind, or why it cannot be. */
export function parseMutation(m: Mutation): ValidMutation | Rejection {
  if (!isKind(m.kind)) return { code: 'invalid_payload', reason: `unknown mutation kind ${m.kind}` };
  const parsed = payloadSchemas[m.kind].safeParse(m.payload);
  if (!parsed.success) {
    const reason = parsed.error.issues
      .map((i) => `${i.path.join('.') || 'payload'}: ${i.message}`)
      .join('; ');
    return { code: 'invalid_payload', reason };
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

/** Checks a sale or refund against the device and its own arithmetic. */
export function checkSaleDocument(doc: SaleDocument, scope: DeviceScope): Rejection | undefined {
  if (doc.branch !== scope.branchCode) {
    return {
      code: 'wrong_branch',
      reason: `the document is for branch ${doc.branch}; the device is in ${scope.branchCode}`,
    };
  }
  if (!scope.terminals.has(doc.terminal)) {
    return { code: 'terminal_not_owned', reason: `terminal ${doc.terminal} is not this device's` };
  }
  if (doc.currency !== scope.currency) {
    return {
      code: 'wrong_currency',
      reason: `the document is in ${doc.currency}; the tenant's currency is ${scope.currency}`,
    };
  }
  const totals = totalsOf(doc.lines);
  const differs = (Object.keys(totals) as (keyof typeof totals)[]).filter((k) => totals[k] !== doc[k]);
  if (differs.length > 0) {
    return { code: 'totals_mismatch', reason: `${differs.join(', ')} are not the sums of the lines` };
  }
  const paid = sum(doc.payments.map((p) => p.amountMinor));
  const change = sum(doc.payments.map((p) => p.changeMinor));
  if (paid !== doc.totalMinor || change !== doc.changeMinor) {
    return {
      code: 'totals_mismatch',
      reason: `payments of ${paid} (change ${change}) do not settle ${doc.totalMinor}`,
    };
  }
  if ((doc.kind === 'refund') !== (doc.originalSaleId !== null)) {
    return { code: 'invalid_payload', reason: 'a refund, and only a refund, names its original sale' };
  }
  return undefined;
}

/** Checks a shift document against the device. */
export function checkShift(doc: ShiftOpened, scope: DeviceScope): Rejection | undefined {
  if (doc.branch !== scope.branchCode) {
    return {
      code: 'wrong_branch',
      reason: `the shift is for branch ${doc.branch}; the device is in ${scope.branchCode}`,
    };
  }
  if (!scope.terminals.has(doc.terminal)) {
    return { code: 'terminal_not_owned', reason: `terminal ${doc.terminal} is not this device's` };
  }
  return undefined;
}
