// The operational reports of SPEC §10: stock on hand (now, not over a period), the Z reports of the
// shifts closed in a period, and how fresh the cloud's copy of each device's data is. Every report
// also carries `freshness` (see `freshnessOf`), because HQ sees only what the edges have pushed.
import type { SqlQueryable } from '../../src/db/sql.ts';
import { MoneyError } from '../../src/domain/money.ts';
import { type TenderLine, type TenderTotals, tenderLines } from '../../src/domain/shift-tenders.ts';
import { exact, outOfRange } from './figures.ts';
import type { Period } from './params.ts';
import { documentFilter } from './sales.ts';

export interface StockRow {
  branch: string;
  productId: string;
  sku: string | null;
  name: string | null;
  qtyMilli: number;
  lowStock: boolean;
  belowZero: boolean;
}

/** On hand per branch and product (the ledger's running sum, kept by tenant migration 0004). */
export async function inventoryReport(
  db: SqlQueryable,
  branch: string | null,
  lowStockMilli: number,
): Promise<{ rows: StockRow[]; lowStock: number; belowZero: number }> {
  const params: unknown[] = [lowStockMilli];
  if (branch) params.push(branch);
  // On hand as text: an int8 beyond 2^53 would otherwise come back rounded.
  const raw = await db.query<Omit<StockRow, 'qtyMilli'> & { qtyMilli: string }>(
    `SELECT h.branch_code AS branch, h.product_id AS "productId", p.sku, p.name, h.qty_milli::text AS "qtyMilli",
       (h.qty_milli >= 0 AND h.qty_milli < $1) AS "lowStock", h.qty_milli < 0 AS "belowZero"
     FROM stock_on_hand h LEFT JOIN products p ON p.id = h.product_id
     ${branch ? 'WHERE h.branch_code = $2' : ''}
     ORDER BY h.branch_code, p.sku NULLS LAST, h.product_id`,
    params,
  );
  const rows = raw.map((r) => ({
    ...r,
    qtyMilli: exact(r.qtyMilli, `on hand of ${r.productId} at ${r.branch}`),
  }));
  return {
    rows,
    lowStock: rows.filter((r) => r.lowStock).length,
    belowZero: rows.filter((r) => r.belowZero).length,
  };
}

export interface ZReport {
  shiftId: string;
  branch: string;
  terminal: string;
  businessDate: string;
  openedBy: string | null;
  openedAt: string;
  closedBy: string | null;
  closedAt: string;
  openingFloatMinor: number;
  cashInMinor: number;
  cashOutMinor: number;
  tenders: TenderLine[];
}

/** Z reports of the shifts closed in the period (by the shift's business date), oldest first. */
export async function zReports(db: SqlQueryable, p: Period): Promise<ZReport[]> {
  const { where, params } = documentFilter(p, 'sh');
  const shifts = await db.query<Omit<ZReport, 'tenders' | 'cashInMinor' | 'cashOutMinor'>>(
    `SELECT sh.id AS "shiftId", sh.branch_code AS branch, sh.terminal,
       to_char(sh.business_date, 'YYYY-MM-DD') AS "businessDate", sh.opened_by AS "openedBy",
       sh.opened_at AS "openedAt", sh.closed_by AS "closedBy", sh.closed_at AS "closedAt",
       sh.opening_float_minor AS "openingFloatMinor"
     FROM shifts sh
     WHERE sh.closed_at IS NOT NULL AND ${where}
     ORDER BY sh.closed_at, sh.id`,
    params,
  );
  if (shifts.length === 0) return [];
  const ids = shifts.map((s) => s.shiftId);
  // One statement at a time: `db` may be one transaction's client, which runs them in turn anyway
  // (pg deprecates queueing a query on a client that is still busy with another).
  // Tenders go through sales, which alone know the shift (sales_shift). Bounding payments by those
  // sales' business dates (tenant migration 0006) in the same statement halved this over 30 days of a
  // 1,000,000-line tenant (EXPLAIN: 221 → 103 ms) but doubled it over a year (590 → 1,150 ms): the
  // planner cannot see bounds computed in the statement. Asking for the bounds first saved ~90 ms over
  // 30 days and cost ~150 ms over a year, so the plain join stays.
  // Sums as numeric (text): a shift a device filled beyond the bounds cannot overflow them.
  const tenders = await db.query<{ shift_id: string; method: string; taken: string; refunded: string }>(
    `SELECT s.shift_id, p.method,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'sale'), 0) AS taken,
       coalesce(sum(p.amount_minor) FILTER (WHERE s.kind = 'refund'), 0) AS refunded
     FROM sales s JOIN payments p ON p.sale_id = s.id
     WHERE s.shift_id = ANY($1::text[]) GROUP BY 1, 2`,
    [ids],
  );
  const cash = await db.query<{ shift_id: string; direction: 'in' | 'out'; total: string }>(
    `SELECT shift_id, direction, sum(amount_minor) AS total
     FROM cash_movements WHERE shift_id = ANY($1::text[]) GROUP BY 1, 2`,
    [ids],
  );
  const counts = await db.query<{ shift_id: string; method: string; counted_minor: number }>(
    'SELECT shift_id, method, counted_minor FROM shift_counts WHERE shift_id = ANY($1::text[])',
    [ids],
  );
  const takenBy = new Map<string, Map<string, TenderTotals>>();
  for (const t of tenders) {
    const m = takenBy.get(t.shift_id) ?? new Map<string, TenderTotals>();
    m.set(t.method, {
      takenMinor: exact(t.taken, `${t.method} taken in shift ${t.shift_id}`),
      refundedMinor: exact(t.refunded, `${t.method} refunded in shift ${t.shift_id}`),
    });
    takenBy.set(t.shift_id, m);
  }
  const countedBy = new Map<string, Map<string, number>>();
  for (const c of counts) {
    const m = countedBy.get(c.shift_id) ?? new Map<string, number>();
    m.set(c.method, c.counted_minor);
    countedBy.set(c.shift_id, m);
  }
  const cashOf = (id: string, direction: 'in' | 'out') =>
    exact(
      cash.find((c) => c.shift_id === id && c.direction === direction)?.total,
      `cash ${direction} of shift ${id}`,
    );
  return shifts.map((s) => {
    const cashInMinor = cashOf(s.shiftId, 'in');
    const cashOutMinor = cashOf(s.shiftId, 'out');
    return { ...s, cashInMinor, cashOutMinor, tenders: shiftTenders(s, cashInMinor, cashOutMinor) };
  });

  /** The drawer's lines; a sum beyond 2^53 (expected cash, a difference) refuses the report, naming the shift. */
  function shiftTenders(
    s: { shiftId: string; openingFloatMinor: number },
    cashInMinor: number,
    cashOutMinor: number,
  ) {
    try {
      return tenderLines({
        openingFloatMinor: s.openingFloatMinor,
        cashInMinor,
        cashOutMinor,
        taken: takenBy.get(s.shiftId) ?? new Map(),
        counted: countedBy.get(s.shiftId) ?? new Map(),
      });
    } catch (err) {
      if (err instanceof MoneyError) throw outOfRange(`the expected drawer of shift ${s.shiftId}`);
      throw err;
    }
  }
}

/**
 * How current the data behind a report is, over the devices (not revoked) of the branch or of all
 * branches: the latest and the oldest last sync (the cloud acknowledging the device, see
 * docs/freshness.md), devices never synced, and mutations waiting in quarantine. The report holds
 * everything recorded before `oldestOutboxEmptyAt` at every one of these devices (null while any has
 * never reported an empty outbox); a quarantined mutation is missing until it is replayed.
 */
export interface Freshness {
  generatedAt: string;
  devices: number;
  lastSyncAt: string | null;
  oldestSyncAt: string | null;
  neverSynced: number;
  /** The earliest of the devices' last reported empty outbox; null if any never reported one. */
  oldestOutboxEmptyAt: string | null;
  quarantined: number;
}

export async function freshnessOf(db: SqlQueryable, branch: string | null, now: Date): Promise<Freshness> {
  const [row] = await db.query<{
    devices: number;
    last: string | null;
    oldest: string | null;
    never: number;
    empty: string | null;
    quarantined: number;
  }>(
    `SELECT count(*)::int AS devices, max(d.last_sync_at) AS last, min(d.last_sync_at) AS oldest,
       count(*) FILTER (WHERE d.last_sync_at IS NULL)::int AS never,
       CASE WHEN count(*) = count(d.outbox_empty_at) THEN min(d.outbox_empty_at) END AS empty,
       coalesce(sum((SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id AND q.resolved_at IS NULL)), 0)::int AS quarantined
     FROM devices d JOIN branches b ON b.id = d.branch_id
     WHERE d.revoked_at IS NULL ${branch ? 'AND b.code = $1' : ''}`,
    branch ? [branch] : [],
  );
  return {
    generatedAt: now.toISOString(),
    devices: row?.devices ?? 0,
    lastSyncAt: row?.last ?? null,
    oldestSyncAt: row?.oldest ?? null,
    neverSynced: row?.never ?? 0,
    oldestOutboxEmptyAt: row?.empty ?? null,
    quarantined: row?.quarantined ?? 0,
  };
}

export interface DeviceFreshness {
  deviceId: string;
  name: string;
  branch: string;
  revoked: boolean;
  /** The last time the cloud acknowledged the device: a push batch committed, or an empty outbox reported. */
  lastSyncAt: string | null;
  lastAppliedSeq: number;
  quarantined: number;
  /** The last hello, ping or push heard from the device, acknowledged or not. */
  lastSeenAt: string | null;
  /** The last time the device reported an empty outbox (hello or ping, protocol 2 edges). */
  outboxEmptyAt: string | null;
}

/** Per device (revoked ones too, marked): last sync, last applied seq, unresolved quarantine, last contact, last empty outbox. */
export async function freshnessReport(db: SqlQueryable, branch: string | null): Promise<DeviceFreshness[]> {
  return db.query<DeviceFreshness>(
    `SELECT d.id AS "deviceId", d.name, b.code AS branch, d.revoked_at IS NOT NULL AS revoked,
       d.last_sync_at AS "lastSyncAt", d.last_applied_seq AS "lastAppliedSeq",
       (SELECT count(*) FROM sync_quarantine q WHERE q.device_id = d.id AND q.resolved_at IS NULL)::int AS quarantined,
       d.last_seen_at AS "lastSeenAt", d.outbox_empty_at AS "outboxEmptyAt"
     FROM devices d JOIN branches b ON b.id = d.branch_id
     ${branch ? 'WHERE b.code = $1' : ''}
     ORDER BY b.code, d.name, d.id`,
    branch ? [branch] : [],
  );
}
