// Tenant tables for the tamper-evident journal (docs/journal.md): each terminal's hash chain, one
// link per journaled document, and the chain's head. The edge writes both in the transaction that
// records the document; the cloud writes them as it applies a push, checking each link on the way.
import { c, defineTable } from '../define-table.ts';

export const journalLinks = defineTable(
  'journal_links',
  {
    /** The edge database that recorded the chain (`store_id`, bound to the device token by the cloud). */
    storeId: c.text('store_id').notNull(),
    branchCode: c.text('branch_code').notNull(),
    terminal: c.text('terminal').notNull(),
    journalSeq: c.bigint('journal_seq').notNull(),
    kind: c
      .text('kind', { enum: ['sale', 'refund', 'shift_open', 'cash_movement', 'shift_close'] })
      .notNull(),
    /** The document's id (a shift close: its shift's id). */
    documentId: c.text('document_id').notNull(),
    prevHash: c.text('prev_hash').notNull(),
    hash: c.text('hash').notNull(),
    /** When the document was recorded at the till. */
    recordedAt: c.instant('recorded_at').notNull(),
    /** The device that pushed it (cloud only; null at the edge). */
    deviceId: c.text('device_id'),
    /** What the cloud's check on push found wrong with this link (a journal break reason); null when it verified, and at the edge. */
    breakReason: c.text('break_reason'),
  },
  (t, k) => [k.primaryKey({ columns: [t.storeId, t.terminal, t.journalSeq] })],
);

export const journalHeads = defineTable(
  'journal_heads',
  {
    storeId: c.text('store_id').notNull(),
    branchCode: c.text('branch_code').notNull(),
    terminal: c.text('terminal').notNull(),
    /** The tenant the chain's genesis was derived from. */
    orgId: c.text('org_id').notNull(),
    /** The last link's seq and hash: a chain that ends before them was truncated. */
    lastSeq: c.bigint('last_seq').notNull(),
    lastHash: c.text('last_hash').notNull(),
    /** When the chain's first link was recorded: the terminal's documents before it are pre-journal. */
    startedAt: c.instant('started_at').notNull(),
    /** The terminal's perpetual grand totals (the edge keeps them; null in the cloud). */
    grandSalesMinor: c.bigint('grand_sales_minor'),
    grandRefundsMinor: c.bigint('grand_refunds_minor'),
    grandTaxMinor: c.bigint('grand_tax_minor'),
    /** Links the cloud flagged as journal breaks on push (`journal_links.break_reason`; 0 at the edge). */
    breaks: c.bigint('breaks').notNull().default(0),
  },
  (t, k) => [k.primaryKey({ columns: [t.storeId, t.terminal] })],
);
