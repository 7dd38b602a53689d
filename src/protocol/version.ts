// The sync protocol's version. A wire change bumps it and adds one line to the history; the cloud
// names the versions it still speaks, and an edge outside them is told `upgrade_required`.

/** The version this build speaks. */
export const PROTOCOL_VERSION = 6;

/** One line per version: what changed on the wire. */
export const PROTOCOL_HISTORY: Record<number, string> = {
  1: 'hello (with the store id a token binds to)/welcome, push/ack with per-mutation results, pull/changes by change-log cursor, poke, ping/pong, error',
  2: "hello and ping may carry the edge's backlog (pending mutations, the oldest one's instant) for the cloud's metrics",
  3: 'a mutation result may be `held`: accepted, applied once what it depends on arrives (a refund before its original sale)',
  4: 'outcomes/outcomes: the edge asks, a page of seqs at a time, what became of its rejected and held mutations (replayed, released, discarded); resolved: the cloud says some were resolved; error code `tenant_migrating` (retryable): the tenant is being brought to the cloud’s schema',
  5: "mutation kind `cashier_event` (sign-ins, sign-outs, PIN failures, locks, approvals, no-sale drawer openings, for the audit log); optional `approval` on sales and refunds, `openedByUserId`/`closedByUserId` on shifts and `cashierUserId` on cash movements; GET /v1/device/sales/:id (device token): a sale of any till of the tenant with what has been refunded of it, and GET /v1/device/receipts/:receiptNo, the same found by its receipt number; a refund document may carry `refundedElsewhere` (what other tills had refunded of its original, as this till knew); sale flag `refund_exceeds_sold` (cloud-set); mutation kinds stock_receipt, stock_adjustment, stock_count, stock_transfer; stock_pull/stock_changes: the edge pulls the stock movements of its branch that other devices and HQ recorded, by a per-branch cursor; error code `too_many_in_flight` (more messages awaiting replies than the cloud queues; was `invalid_message`); a mutation result's `code` is one of the rejection codes (src/protocol/rejections.ts)",
  6: "the tamper-evident journal (docs/journal.md): sales, refunds, shift opens, cash movements and shift closes may carry `journal` (their link in their terminal's hash chain: terminal, seq, prevHash, hash), and a shift close its `seal` (the terminal's perpetual grand totals and the hash of the shift's last document); the cloud checks each link on push and flags a break, never refuses it",
};

/** The first protocol whose edges know `tenant_migrating`; older ones are told `tenant_unavailable`. */
export const TENANT_MIGRATING_SINCE = 4;

/** The first protocol whose edges know `too_many_in_flight`; older ones are told `invalid_message`. */
export const QUEUE_OVERFLOW_CODE_SINCE = 5;

/** Protocol versions the cloud accepts from edges. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly number[] = [1, 2, 3, 4, 5, 6];
