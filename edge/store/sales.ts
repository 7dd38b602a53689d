// Recording sales and refunds: the document, its lines, payments, stock movements, receipt number
// and outbox entry in one SQLite transaction. Prices and tax come from the local catalog; what the
// edge cannot know is flagged, never refused. A repeated id returns the first answer and writes nothing.
import { randomUUID } from 'node:crypto';
import { eq, sql, sum } from 'drizzle-orm';
import type { BetterSQLite3Database } from 'drizzle-orm/better-sqlite3';
import { MAX_AMOUNT_MINOR } from '../../src/domain/bounds.ts';
import { businessDate } from '../../src/domain/business-date.ts';
import type { RefundInput, SaleInput } from '../../src/domain/payloads.ts';
import { formatReceiptNo, type ReceiptSeries } from '../../src/domain/receipt.ts';
import { buildRefund } from '../../src/domain/refund.ts';
import { buildSale, type SaleFlag } from '../../src/domain/sale.ts';
import type { ApprovalReason, SaleDocument } from '../../src/protocol/mutations.ts';
import { saleLines, sales } from '../../src/schema/sqlite.ts';
import { accept, type EdgeOutcome, refuseWith } from '../errors.ts';
import type { FetchedOriginal } from '../sync/fetch-original.ts';
import { type Actor, terminalRefusal } from './actor.ts';
import { approvalFor } from './approvals.ts';
import type { EmitCashierEvent } from './cashier-events.ts';
import type { BranchContext, Catalog } from './catalog.ts';
import { clockRefusal } from './clock.ts';
import type { DocumentStockMovement, Documents, SaleView } from './documents.ts';
import type { EdgeJournal } from './journal.ts';
import type { EdgeMeta } from './meta.ts';
import type { OriginalCopies } from './original-copies.ts';
import type { Outbox } from './outbox.ts';
import { refundOriginal } from './refund-original.ts';
import { type NextValue, receiptSequence } from './sequences.ts';
import type { ShiftRoom } from './shift-turnover.ts';

/** 201 for a new document, 200 for a repeated id (the first answer, nothing written). */
export interface Recorded<T> {
  created: boolean;
  value: T;
}

export interface SalesDeps {
  db: BetterSQLite3Database;
  /** Runs `fn` in one IMMEDIATE transaction (the write lock is taken up front). */
  transaction: <T>(fn: () => T) => T;
  catalog: Catalog;
  documents: Documents;
  outbox: Outbox;
  meta: EdgeMeta;
  next: NextValue;
  branch: string;
  now: () => Date;
  /** Ids that may belong to another kind of document (shifts, cash movements). */
  idTaken: (id: string) => boolean;
  /** The open shift of a terminal, which its sales and refunds belong to. */
  openShiftOf: (terminal: string) => string | null;
  /** Refuses a document that would take its shift past the turnover bound. */
  shiftRoom: ShiftRoom;
  /** Records approvals in the audit log. */
  emit: EmitCashierEvent;
  /** Refunds above this total (minor units) need a manager's approval when approvals are required. */
  refundApprovalAboveMinor: number;
  /** The cloud's copies of originals this edge refunds (another till's sales). */
  copies: OriginalCopies;
  /** Each document's link in its terminal's hash chain. */
  journal: EdgeJournal;
}

/**
 * `actor`: the signed-in cashier (who the document names, and which terminal it may be for) and a
 * manager's approval; without it the body's free-text cashier is used and nothing needs approval.
 */
export interface SalesService {
  recordSale(input: SaleInput, actor?: Actor): EdgeOutcome<Recorded<SaleView>>;
  /**
   * @param fetched what the cloud said of the original just now (protocol 5); undefined when this
   * edge has no cloud to ask
   */
  recordRefund(
    saleId: string,
    input: RefundInput,
    actor?: Actor,
    fetched?: FetchedOriginal,
  ): EdgeOutcome<Recorded<SaleView>>;
}

export function createSalesService(deps: SalesDeps): SalesService {
  const { catalog, documents, outbox } = deps;
  const refundedQty = deps.db
    .select({ lineNo: saleLines.originalLineNo, qtyMilli: sum(saleLines.qtyMilli).mapWith(Number) })
    .from(saleLines)
    .innerJoin(sales, eq(sales.id, saleLines.saleId))
    .where(eq(sales.originalSaleId, sql.placeholder('id')))
    .groupBy(saleLines.originalLineNo)
    .prepare();

  /** The first answer for a repeated id, a conflict if the id names something else, or nothing. */
  function replay(
    id: string | undefined,
    matches: (k: NonNullable<ReturnType<Documents['kindOf']>>) => boolean,
  ): EdgeOutcome<Recorded<SaleView>> | undefined {
    if (id === undefined) return undefined;
    const existing = documents.kindOf(id);
    if (existing && matches(existing)) return accept({ created: false, value: documents.read(id)! });
    if (existing || deps.idTaken(id)) {
      return refuseWith('id_conflict', `id ${id} is already used by another document on this edge`);
    }
    return undefined;
  }

  /** Receipt number, instant and business date: one clock reading for all of them. */
  function stamp(terminal: string, series: ReceiptSeries, ctx: BranchContext, at: Date) {
    return {
      receiptNo: formatReceiptNo(deps.branch, terminal, series, deps.next(receiptSequence(terminal, series))),
      occurredAt: at.toISOString(),
      businessDate: businessDate(at, ctx.timeZone),
    };
  }

  function cashierOf(
    given: string | undefined,
    actor: Actor | undefined,
  ): { cashier: string | null; cashierUserId: string | null; flags: SaleFlag[] } {
    // The signed-in user is the cashier, whatever the body says.
    if (actor?.user) return { cashier: actor.user.name, cashierUserId: actor.user.id, flags: [] };
    if (given === undefined) return { cashier: null, cashierUserId: null, flags: [] };
    const id = catalog.findCashier(given);
    return id
      ? { cashier: given, cashierUserId: id, flags: [] }
      : { cashier: given, cashierUserId: null, flags: ['unknown_cashier'] };
  }

  /** What differs between a sale and a refund; `record` fills in the rest. */
  type Body = Pick<
    SaleView,
    | 'originalSaleId'
    | 'customerId'
    | 'currency'
    | 'subtotalMinor'
    | 'discountMinor'
    | 'taxMinor'
    | 'totalMinor'
    | 'changeMinor'
    | 'reason'
    | 'flags'
    | 'lines'
    | 'payments'
  >;

  /**
   * Completes a document (id, branch, receipt number, instant, business date, shift, cashier) and
   * writes it with its stock movements and outbox entry, inside the caller's transaction.
   */
  function record(
    kind: SaleView['kind'],
    input: { id?: string | undefined; terminal: string; cashier?: string | undefined },
    ctx: BranchContext,
    at: Date,
    body: Body,
    actor: Actor | undefined,
    /** Payload fields beyond the document (a refund's `refundedElsewhere`). */
    extra: Pick<SaleDocument, 'refundedElsewhere'> = {},
  ): EdgeOutcome<Recorded<SaleView>> {
    // Checked before the receipt number is drawn, so a refusal leaves no gap in the series.
    const oversized = oversizedAmount(body);
    if (oversized !== undefined) {
      return refuseWith(
        'amount_too_large',
        `${oversized} is over ${MAX_AMOUNT_MINOR} minor units, the most one document may carry`,
        { field: oversized, maxMinor: MAX_AMOUNT_MINOR },
      );
    }
    const shiftId = deps.openShiftOf(input.terminal);
    const full = shiftId === null ? undefined : deps.shiftRoom(shiftId, body.totalMinor);
    if (full) return full;
    const reasons: ApprovalReason[] = [];
    if (kind === 'refund' && body.totalMinor > deps.refundApprovalAboveMinor)
      reasons.push('refund_over_limit');
    if (body.lines.some((l) => l.flags.includes('price_override'))) reasons.push('price_override');
    const approval = approvalFor(reasons, actor, at.toISOString());
    if (!approval.ok) return approval;
    // The terminal's chain and grand totals: a total past what a number holds refuses the document
    // here, before its receipt number is drawn.
    const chain = deps.journal.head(input.terminal);
    const totals = chain && deps.journal.totalsAfter(chain, kind, body.totalMinor, body.taxMinor);
    if (totals && !totals.ok) return totals;
    const cashier = cashierOf(input.cashier, actor);
    const doc: SaleView = {
      id: input.id ?? randomUUID(),
      kind,
      originalSaleId: body.originalSaleId,
      branch: deps.branch,
      terminal: input.terminal,
      ...stamp(input.terminal, kind, ctx, at),
      shiftId,
      cashier: cashier.cashier,
      cashierUserId: cashier.cashierUserId,
      customerId: body.customerId,
      currency: body.currency,
      subtotalMinor: body.subtotalMinor,
      discountMinor: body.discountMinor,
      taxMinor: body.taxMinor,
      totalMinor: body.totalMinor,
      changeMinor: body.changeMinor,
      reason: body.reason,
      flags: [...body.flags, ...cashier.flags],
      lines: body.lines,
      payments: body.payments,
      ...(approval.value ? { approval: approval.value } : {}),
    };
    const movements = movementsOf(doc.lines, kind === 'sale' ? -1 : 1);
    const journal =
      chain && deps.journal.append(chain, { kind, document: doc }, doc.occurredAt, totals?.value);
    documents.write(doc, movements);
    const payload: SaleDocument = {
      ...doc,
      stockMovements: movements,
      ...extra,
      ...(journal ? { journal } : {}),
    };
    outbox.append(doc.kind, doc.id, payload, doc.occurredAt);
    if (approval.value) {
      deps.emit(
        {
          event: 'approved',
          terminal: doc.terminal,
          userId: doc.cashierUserId,
          documentId: doc.id,
          approval: approval.value,
        },
        doc.occurredAt,
      );
    }
    return accept({ created: true, value: doc });
  }

  /**
   * The tenant's currency, or — before the catalog brings it — the one this edge was started with or
   * its first sale named, kept from then on so one edge never sells in two currencies.
   */
  function currencyFor(ctx: BranchContext, named: string | undefined): string | undefined {
    if (ctx.currency !== undefined) return ctx.currency;
    if (named !== undefined) deps.meta.set('currency', named);
    return named;
  }

  return {
    recordSale: (input, actor) =>
      deps.transaction(() => {
        const replayed = replay(input.id, (k) => k.kind === 'sale');
        if (replayed) return replayed;
        const wrongTerminal = terminalRefusal(actor, input.terminal);
        if (wrongTerminal) return wrongTerminal;
        const ctx = catalog.branchContext(deps.branch);
        const currency = currencyFor(ctx, input.currency);
        if (currency === undefined) {
          return refuseWith(
            'currency_unknown',
            "this edge has not learned the tenant's currency yet: sync once, start it with --currency, or name the sale's currency",
          );
        }
        const at = deps.now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const built = buildSale(input, {
          currency,
          openLinesTaxInclusive: ctx.openLinesTaxInclusive,
          findProduct: (ref) => catalog.findProduct(ref, ctx.branchId, at.toISOString()),
        });
        if (!built.ok) return built;
        const sale = built.value;
        return record(
          'sale',
          input,
          ctx,
          at,
          {
            originalSaleId: null,
            customerId: input.customerId ?? null,
            currency: sale.currency,
            subtotalMinor: sale.subtotalMinor,
            discountMinor: sale.discountMinor,
            taxMinor: sale.taxMinor,
            totalMinor: sale.totalMinor,
            changeMinor: sale.changeMinor,
            reason: null,
            flags: sale.flags,
            lines: sale.lines.map((l) => ({ ...l, originalLineNo: null })),
            payments: sale.payments,
          },
          actor,
        );
      }),

    recordRefund: (saleId, input, actor, fetched) =>
      deps.transaction(() => {
        const replayed = replay(input.id, (k) => k.kind === 'refund' && k.originalSaleId === saleId);
        if (replayed) return replayed;
        const wrongTerminal = terminalRefusal(actor, input.terminal);
        if (wrongTerminal) return wrongTerminal;
        const at = deps.now();
        const wrongClock = clockRefusal(at);
        if (wrongClock) return wrongClock;
        const found = refundOriginal(saleId, documents.read(saleId), fetched, deps.copies);
        if (!found.ok) return found;
        const { sale: original, elsewhere, keep } = found.value;
        if (original.kind !== 'sale') {
          return refuseWith('not_refundable', `${original.receiptNo} is a refund; refund its original sale`);
        }
        // This edge's own refunds of the sale, and what other edges had refunded as far as it knows.
        const already = new Map(elsewhere);
        for (const r of refundedQty.all({ id: saleId })) {
          if (r.lineNo !== null) already.set(r.lineNo, (already.get(r.lineNo) ?? 0) + r.qtyMilli);
        }
        const built = buildRefund(input, original.lines, already);
        if (!built.ok) return built;
        const refund = built.value;
        // The cloud recomputes the shares against what this till knew: say what other tills had refunded.
        const known = [...new Set(refund.lines.map((l) => l.originalLineNo))].flatMap((lineNo) => {
          const qtyMilli = elsewhere.get(lineNo) ?? 0;
          return qtyMilli > 0 ? [{ lineNo, qtyMilli }] : [];
        });
        const extra = known.length > 0 ? { refundedElsewhere: known } : {};
        const recorded = record(
          'refund',
          input,
          catalog.branchContext(deps.branch),
          at,
          {
            originalSaleId: saleId,
            customerId: original.customerId,
            currency: original.currency,
            subtotalMinor: refund.subtotalMinor,
            discountMinor: refund.discountMinor,
            taxMinor: refund.taxMinor,
            totalMinor: refund.totalMinor,
            changeMinor: 0,
            reason: input.reason ?? null,
            flags: [],
            lines: refund.lines.map((l) => ({ ...l, flags: [] })),
            payments: refund.payments,
          },
          actor,
          extra,
        );
        // The copy is kept with the refund it served, in the same transaction: a refusal writes nothing.
        if (recorded.ok && keep) deps.copies.save(keep.answer, keep.fetchedAt);
        return recorded;
      }),
  };
}

/**
 * The first money field of a document over MAX_AMOUNT_MINOR, named as in the sync payload, or
 * undefined. The cloud's schema has the same bound on each field: what the edge records, it accepts.
 */
function oversizedAmount(
  body: Pick<
    SaleView,
    'subtotalMinor' | 'discountMinor' | 'taxMinor' | 'totalMinor' | 'changeMinor' | 'lines' | 'payments'
  >,
): string | undefined {
  for (const f of ['subtotalMinor', 'discountMinor', 'taxMinor', 'totalMinor', 'changeMinor'] as const) {
    if (body[f] > MAX_AMOUNT_MINOR) return f;
  }
  for (const [i, l] of body.lines.entries()) {
    for (const f of ['unitPriceMinor', 'amountMinor', 'discountMinor', 'taxMinor', 'totalMinor'] as const) {
      if (l[f] > MAX_AMOUNT_MINOR) return `lines.${i}.${f}`;
    }
  }
  for (const [i, p] of body.payments.entries()) {
    for (const f of ['amountMinor', 'tenderedMinor', 'changeMinor'] as const) {
      if (p[f] > MAX_AMOUNT_MINOR) return `payments.${i}.${f}`;
    }
  }
  return undefined;
}

/** One ledger entry per catalog line: out for a sale (−1), back in for a refund (+1). */
function movementsOf(lines: SaleView['lines'], sign: 1 | -1): DocumentStockMovement[] {
  return lines.flatMap((l) =>
    l.productId === null
      ? []
      : [{ id: randomUUID(), productId: l.productId, deltaQtyMilli: sign * l.qtyMilli }],
  );
}
