// Writing sales and refunds: ids checked against every document the tenant holds, shifts and receipt
// series held to the device's own, refunds checked against their originals (sales go first, so a
// refund may follow its sale in one batch), then one set-based insert per table and kind.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { parseReceiptNo } from '../../src/domain/receipt.ts';
import { flagCatalogChanges } from './catalog-flags.ts';
import { ledgerRowOf, lineColumns, paymentColumns, saleColumns } from './columns.ts';
import { checkRefunds, flagExcess } from './refunds.ts';
import { flagStockBelowZero } from './stock-flags.ts';
import { insertLedger } from './stock-ledger.ts';
import type { WrittenFlags } from './stock-order.ts';
import { freshIds, idVerdict, type KnownIds, storedDocuments } from './stored-documents.ts';
import { unnestInsert, unnestInsertIds } from './unnest.ts';
import type { Rejection, ValidMutation } from './validate.ts';
import type { Report } from './write-documents.ts';

type SaleMutation = Extract<ValidMutation, { kind: 'sale' | 'refund' }>;

export interface SaleWriteContext {
  deviceId: string;
  receivedAt: string;
  /** Hold receipt numbers to their terminal's series (pushes; not replays or released refunds). */
  checkSeries: boolean;
  /** What the batch meets under its ids, and the devices bound to the same edge (stored-documents.ts). */
  known: KnownIds;
  /**
   * `assumed new`: the documents' stock movement ids are not looked up before the insert (a pushed
   * batch's ids are new but for a crafted or broken till); the ledger insert says whether they were,
   * and if one was not, `MovementIdTaken` is thrown for the batch to run again with them looked up.
   * Absent: looked up first, and a document whose movement id is taken is refused `id_conflict`
   * (one taken by another transaction between the lookup and the insert throws `MovementIdTaken` too).
   */
  movementIds?: 'assumed new';
}

/** A stock movement id was taken when its row was inserted (by the ledger or the batch itself): run again, looking ids up first. */
export class MovementIdTaken extends Error {
  constructor() {
    super('a stock movement id was taken when its row was inserted');
  }
}

export async function applySales(
  tx: SqlQueryable,
  docs: SaleMutation[],
  ctx: SaleWriteContext,
  report: Report,
): Promise<void> {
  if (docs.length === 0) return;
  const fresh = freshIds(ctx.known, docs, report);
  const inShift = await checkShifts(tx, fresh, ctx.deviceId, report);
  const series = await ReceiptSeries.load(tx, ctx.deviceId, inShift);
  const inSeries = (m: SaleMutation) => !ctx.checkSeries || series.accepts(m, report);
  const sales = inShift.filter((m) => m.kind === 'sale' && inSeries(m));
  await insertDocuments(tx, sales, ctx, report);
  // Refunds after the sales: an original in this batch is now stored like any other.
  const refunds = inShift.filter((m) => m.kind === 'refund');
  const verdicts = await checkRefunds(tx, refunds, ctx.deviceId);
  const valid = refunds.flatMap((m, i) => {
    const verdict = verdicts[i]!;
    if (verdict.rejection) {
      report(m, verdict.rejection);
      return [];
    }
    return inSeries(m) ? [{ ...m, doc: flagExcess(m.doc, verdict.exceeds) }] : [];
  });
  await insertDocuments(tx, valid, ctx, report);
  await series.save(tx);
}

/** A sale's shift, when it names one the tenant holds, must be this device's. */
async function checkShifts(
  tx: SqlQueryable,
  docs: SaleMutation[],
  deviceId: string,
  report: Report,
): Promise<SaleMutation[]> {
  const ids = [...new Set(docs.flatMap((m) => (m.doc.shiftId ? [m.doc.shiftId] : [])))];
  if (ids.length === 0) return docs;
  const rows = await tx.query<{ id: string; device_id: string | null }>(
    'SELECT id, device_id FROM shifts WHERE id = ANY($1::text[])',
    [ids],
  );
  const owner = new Map(rows.map((r) => [r.id, r.device_id]));
  return docs.filter((m) => {
    const shift = m.doc.shiftId;
    if (shift === null || !owner.has(shift) || owner.get(shift) === deviceId) return true;
    report(m, { code: 'shift_not_owned', reason: `shift ${shift} is another device's` });
    return false;
  });
}

/**
 * Each terminal's receipt series moves forward: a new receipt number must come after the last one
 * the cloud holds for its terminal and series (gaps are allowed: a document before it may be in the
 * quarantine). The terminal is the device's own, so nobody else numbers in it.
 */
class ReceiptSeries {
  private readonly last = new Map<string, number>();
  private readonly advanced = new Set<string>();

  private constructor(private readonly deviceId: string) {}

  static async load(tx: SqlQueryable, deviceId: string, docs: readonly SaleMutation[]) {
    const series = new ReceiptSeries(deviceId);
    const codes = [...new Set(docs.map((m) => m.doc.terminal))];
    if (codes.length === 0) return series;
    const rows = await tx.query<{ code: string; sale: unknown; refund: unknown }>(
      'SELECT code, last_sale_no AS sale, last_refund_no AS refund FROM terminals WHERE device_id = $1 AND code = ANY($2::text[])',
      [deviceId, codes],
    );
    for (const r of rows) {
      if (r.sale !== null) series.last.set(`${r.code}:sale`, Number(r.sale));
      if (r.refund !== null) series.last.set(`${r.code}:refund`, Number(r.refund));
    }
    return series;
  }

  /** Whether `m`'s receipt comes next in its series (reporting it refused if not). */
  accepts(m: SaleMutation, report: Report): boolean {
    const no = parseReceiptNo(m.doc.receiptNo)?.seq ?? 0;
    const key = `${m.doc.terminal}:${m.kind}`;
    const last = this.last.get(key);
    if (last !== undefined && no <= last) {
      const rejection: Rejection = {
        code: 'receipt_out_of_series',
        reason: `receipt ${m.doc.receiptNo} does not come after ${m.kind} number ${last} of terminal ${m.doc.terminal}`,
      };
      report(m, rejection);
      return false;
    }
    this.last.set(key, no);
    this.advanced.add(key);
    return true;
  }

  /** Records the last number of every series that moved. */
  async save(tx: SqlQueryable): Promise<void> {
    if (this.advanced.size === 0) return;
    const keys = [...this.advanced].map((k) => k.split(':') as [string, 'sale' | 'refund']);
    await tx.query(
      `UPDATE terminals t
          SET last_sale_no = CASE WHEN u.series = 'sale' THEN u.no ELSE t.last_sale_no END,
              last_refund_no = CASE WHEN u.series = 'refund' THEN u.no ELSE t.last_refund_no END
         FROM unnest($2::text[], $3::text[], $4::int8[]) AS u(code, series, no)
        WHERE t.device_id = $1 AND t.code = u.code`,
      [
        this.deviceId,
        keys.map(([code]) => code),
        keys.map(([, s]) => s),
        keys.map(([code, s]) => this.last.get(`${code}:${s}`)),
      ],
    );
  }
}

/**
 * Documents whose stock movement ids are new in the tenant (and in this batch): a movement under an
 * id the ledger holds would be dropped by the insert, so its document is refused `id_conflict`.
 */
async function freshMovements(
  tx: SqlQueryable,
  docs: SaleMutation[],
  report: Report,
): Promise<SaleMutation[]> {
  const ids = docs.flatMap((m) => m.doc.stockMovements.map((s) => s.id));
  if (ids.length === 0) return docs;
  const rows = await tx.query<{ id: string }>('SELECT id FROM stock_movements WHERE id = ANY($1::text[])', [
    ids,
  ]);
  const inLedger = new Set(rows.map((r) => r.id));
  const inBatch = new Set<string>();
  return docs.filter((m) => {
    const clash = m.doc.stockMovements.find((s) => inLedger.has(s.id) || inBatch.has(s.id));
    for (const s of m.doc.stockMovements) inBatch.add(s.id);
    if (clash) {
      const where = inLedger.has(clash.id)
        ? 'already in the ledger'
        : 'used by an earlier document of the batch';
      report(m, { code: 'id_conflict', reason: `stock movement id ${clash.id} is ${where}` });
    }
    return clash === undefined;
  });
}

/** Per document written, per product: whether its lines carry `stock_below_zero` (every line of a product alike). */
function writtenFlags(docs: readonly SaleMutation['doc'][]): WrittenFlags {
  return new Map(
    docs.map((d) => [
      d.id,
      new Map(
        d.lines.flatMap((l) =>
          l.productId === null ? [] : [[l.productId, l.flags.includes('stock_below_zero')] as const],
        ),
      ),
    ]),
  );
}

/** Inserts documents whose checks passed: catalog and stock flagged, the rows, then the lines, payments and movements of those inserted. */
async function insertDocuments(
  tx: SqlQueryable,
  docs: SaleMutation[],
  ctx: SaleWriteContext,
  report: Report,
): Promise<void> {
  if (docs.length === 0) return;
  const fresh = ctx.movementIds === 'assumed new' ? docs : await freshMovements(tx, docs, report);
  const flagged = await flagStockBelowZero(tx, await flagCatalogChanges(tx, fresh));
  const insertedIds = await unnestInsertIds(
    tx,
    'sales',
    saleColumns(ctx.deviceId, ctx.receivedAt),
    flagged,
    (m) => m.doc.id,
  );
  const missed = flagged.filter((m) => !insertedIds.has(m.doc.id));
  // Not inserted: another transaction stored the id meanwhile, or the receipt number is taken.
  const now = await storedDocuments(
    tx,
    missed.map((m) => m.doc.id),
  );
  for (const m of flagged) {
    if (insertedIds.has(m.doc.id)) report(m, 'applied');
    else {
      const verdict = idVerdict(m, m.doc.id, ctx.known.sameEdge, now.get(m.doc.id));
      report(
        m,
        verdict === 'new'
          ? { code: 'receipt_taken', reason: `receipt ${m.doc.receiptNo} is already taken` }
          : verdict,
      );
    }
  }
  const written = flagged.filter((m) => insertedIds.has(m.doc.id)).map((m) => m.doc);
  await unnestInsert(
    tx,
    'sale_lines',
    lineColumns,
    written.flatMap((d) => d.lines.map((l) => [d, l] as const)),
  );
  await unnestInsert(
    tx,
    'payments',
    paymentColumns,
    written.flatMap((d) => d.payments.map((p, i) => [d, p, i] as const)),
  );
  // Through the ledger: each row takes its branch's next place, and on hand and flags are settled
  // in occurredAt order (a sale that arrives after later ones re-evaluates theirs).
  const ledger = written.flatMap((d) => d.stockMovements.map((m) => ledgerRowOf(d, m, ctx.deviceId)));
  const inserted = await insertLedger(tx, ledger, writtenFlags(written));
  if (inserted.size < ledger.length) throw new MovementIdTaken();
}
