// Why the cloud quarantined a pushed mutation (acked `rejected`), or holds it (`held`): the code of
// a mutation result. docs/errors.md is generated from this table. A rejected mutation never blocks
// the device's queue: it waits in the tenant's quarantine for HQ to replay or discard it.
import { z } from 'zod';

export interface RejectionInfo {
  meaning: string;
}

export const rejectionCodes = {
  invalid_payload: {
    meaning: "An unknown kind, or a payload that fails its kind's schema (or names another id or kind).",
  },
  wrong_branch: {
    meaning: "The document names a branch other than the device's.",
  },
  terminal_not_owned: {
    meaning: "The document's terminal is not one this device claimed (another device numbers that series).",
  },
  wrong_currency: {
    meaning: "The document is in another currency than the tenant's.",
  },
  arithmetic_mismatch: {
    meaning:
      'A figure the cloud recomputes (line amount, discount, tax, totals, payments, change, stock, refund share) differs; the reason gives both.',
  },
  unknown_original_line: {
    meaning: 'A refund names a line its original sale does not have.',
  },
  refund_exceeds_sold: {
    meaning: 'A refund would take back more than was sold, counting every earlier refund of the original.',
  },
  refund_of_refund: {
    meaning: 'A refund names a refund as its original: only sales are refunded.',
  },
  awaiting_original: {
    meaning:
      'A refund whose original sale has not reached the cloud yet. Not a refusal: the refund is held in the quarantine and applied, by itself, when the original arrives (acked `held` from protocol 3).',
  },
  unknown_shift: {
    meaning: 'A cash movement or close for a shift the tenant does not have.',
  },
  shift_not_owned: {
    meaning: 'A document for a shift another device opened.',
  },
  shift_closed: {
    meaning: 'A close for a shift that another close already closed.',
  },
  receipt_taken: {
    meaning: 'Another document already holds this receipt number.',
  },
  receipt_mismatch: {
    meaning: "The receipt number does not name the document's branch, terminal and series (refunds `R`).",
  },
  receipt_out_of_series: {
    meaning: 'The receipt number is not after the last one the cloud holds for its terminal and series.',
  },
  id_conflict: {
    meaning:
      "The document id is already used by another device's document, or by a document of another kind.",
  },
  unknown_branch: {
    meaning: 'A transfer names a branch the tenant does not have.',
  },
  database_refused: {
    meaning:
      'The tenant database refused the mutation (a constraint, a trigger, a value out of range); the reason names the SQLSTATE.',
  },
} as const satisfies Record<string, RejectionInfo>;

export type RejectionCode = keyof typeof rejectionCodes;

export const rejectionCodeSchema = z.enum(Object.keys(rejectionCodes) as [RejectionCode, ...RejectionCode[]]);
