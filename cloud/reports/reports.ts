// The HQ reports by name (SPEC §10): each parses its query, runs on the tenant's database in one
// read-only snapshot, and answers JSON (with its period, currency and freshness) or CSV rows.
import type { z } from 'zod';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { type DayEnd, type DayEndShift, dayEndReport } from './day-end.ts';
import { refuseOverflow } from './figures.ts';
import { type FlagRow, flagsReport } from './flags.ts';
import { inventoryReport, type MovementKindRow, type StockRow } from './inventory.ts';
import { type Freshness, freshnessOf, freshnessReport, zReports } from './operations.ts';
import { type Period, reportQueries, resolvePeriod } from './params.ts';
import { type PaymentFigures, paymentsReport } from './payments.ts';
import { type RefundRow, refundsReport } from './refunds.ts';
import { salesReport } from './sales-report.ts';
import type { ShiftDrawer, ShiftHead } from './shift-drawers.ts';
import { type TaxFigures, taxReport } from './tax.ts';
import { topProductsReport } from './top-products.ts';

export interface TenantFacts {
  timeZone: string;
  currency: string;
}

export interface ReportResult {
  /** The JSON body, less `report`, `currency` and `freshness`, which every report carries. */
  body: Record<string, unknown>;
  /** The same data as flat rows, for CSV. */
  csv: { columns: string[]; rows: readonly object[] };
  /** Used for the CSV file's name. */
  period?: Period;
}

interface ReportDefinition<Q extends z.ZodType> {
  query: Q;
  run(db: SqlQueryable, q: z.output<Q>, facts: TenantFacts, now: Date): Promise<ReportResult>;
}

const define = <Q extends z.ZodType>(d: ReportDefinition<Q>) => d;

/** CSV columns checked against the row type, so a renamed field cannot silently drop out. */
const csvOf = <T extends object>(columns: readonly (keyof T & string)[], rows: readonly T[]) => ({
  columns: [...columns],
  rows,
});

const columnsOf = (rows: readonly object[], fallback: string[]) =>
  rows.length > 0 ? Object.keys(rows[0]!) : fallback;

const periodOf = (
  q: { from?: string | undefined; to?: string | undefined; branch?: string | undefined },
  facts: TenantFacts,
  now: Date,
) => resolvePeriod(q, { now, timeZone: facts.timeZone });

const SALES_COLUMNS = [
  'count',
  'grossMinor',
  'discountsMinor',
  'refundsCount',
  'refundsMinor',
  'netMinor',
  'taxMinor',
  'averageTicketMinor',
];

type Drawer = ShiftHead & ShiftDrawer;

/**
 * The Z report's CSV: first the closed shifts' tender lines as they always were (section `closed`),
 * then the day-end additions in trailing columns: the period's open shifts (`open`, counted empty),
 * tenders taken outside any shift (`without_shift`), and shifts still open from before the period
 * (`open_from_earlier`).
 */
function zCsv(closed: readonly Drawer[], days: readonly DayEnd[], earlier: readonly DayEndShift[]) {
  const columns = [
    'shiftId',
    'branch',
    'terminal',
    'businessDate',
    'openedAt',
    'closedAt',
    'closedBy',
    'method',
    'expectedMinor',
    'countedMinor',
    'differenceMinor',
    'section',
    'openingFloatMinor',
    'cashInMinor',
    'cashOutMinor',
    'salesCount',
    'refundsCount',
    'takenMinor',
    'refundedMinor',
    'netMinor',
  ];
  const drawerRows = (section: string, shifts: readonly Drawer[]) =>
    shifts.flatMap(({ tenders, ...shift }) => tenders.map((t) => ({ ...shift, ...t, section })));
  const outside = days.flatMap((d) =>
    d.withoutShift.flatMap(({ tenders, ...t }) =>
      tenders.map((tender) => ({
        branch: d.branch,
        businessDate: d.businessDate,
        ...t,
        ...tender,
        section: 'without_shift',
      })),
    ),
  );
  const rows = [
    ...drawerRows('closed', closed),
    ...drawerRows(
      'open',
      days.flatMap((d) => d.shifts.filter((s) => s.open)),
    ),
    ...outside,
    ...drawerRows('open_from_earlier', earlier),
  ];
  return { columns, rows };
}

export const reports = {
  sales: define({
    query: reportQueries.sales,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const { rows, totals } = await salesReport(db, period, q.groupBy, facts.timeZone);
      return {
        body: { period, groupBy: q.groupBy, rows, totals },
        csv: { columns: columnsOf(rows, SALES_COLUMNS), rows },
        period,
      };
    },
  }),
  'top-products': define({
    query: reportQueries.topProducts,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const top = await topProductsReport(db, period, q.limit);
      const rows = [
        ...top.byQuantity.map((r) => ({ ranking: 'quantity', ...r })),
        ...top.byRevenue.map((r) => ({ ranking: 'revenue', ...r })),
      ];
      const columns = ['ranking', 'rank', 'productId', 'sku', 'name', 'qtyMilli', 'revenueMinor', 'lines'];
      return { body: { period, limit: q.limit, ...top }, csv: { columns, rows }, period };
    },
  }),
  payments: define({
    query: reportQueries.payments,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const rows = await paymentsReport(db, period);
      const csv = csvOf<PaymentFigures>(
        ['method', 'count', 'takenMinor', 'refundsCount', 'refundedMinor', 'netMinor'],
        rows,
      );
      return { body: { period, rows }, csv, period };
    },
  }),
  tax: define({
    query: reportQueries.tax,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const rows = await taxReport(db, period);
      const csv = csvOf<TaxFigures>(['rateBp', 'inclusive', 'baseMinor', 'taxMinor'], rows);
      return { body: { period, rows }, csv, period };
    },
  }),
  refunds: define({
    query: reportQueries.refunds,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const result = await refundsReport(db, period, q.limit);
      const csv = csvOf<RefundRow>(
        [
          'refundId',
          'receiptNo',
          'branch',
          'businessDate',
          'occurredAt',
          'totalMinor',
          'taxMinor',
          'reason',
          'cashier',
          'originalSaleId',
          'originalReceiptNo',
          'originalBusinessDate',
          'originalBranch',
          'originalTotalMinor',
        ],
        result.rows,
      );
      return { body: { period, ...result }, csv, period };
    },
  }),
  inventory: define({
    query: reportQueries.inventory,
    async run(db, q) {
      const result = await inventoryReport(db, {
        branch: q.branch ?? null,
        lowStockMilli: q.lowStockMilli,
        from: q.from,
        to: q.to,
      });
      // CSV is one table: on hand with its valuation, or (view=movements) the movements by kind.
      const csv =
        q.view === 'movements'
          ? csvOf<MovementKindRow>(['branch', 'kind', 'movements', 'qtyMilli'], result.movements)
          : csvOf<StockRow>(
              [
                'branch',
                'productId',
                'sku',
                'name',
                'qtyMilli',
                'reorderLevelMilli',
                'lowStock',
                'belowZero',
                'unitCostMinor',
                'valueMinor',
              ],
              result.rows,
            );
      return {
        body: {
          branch: q.branch ?? null,
          lowStockMilli: q.lowStockMilli,
          from: q.from ?? null,
          to: q.to ?? null,
          ...result,
        },
        csv,
      };
    },
  }),
  z: define({
    query: reportQueries.z,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const shifts = await zReports(db, period);
      const { days, openFromEarlier } = await dayEndReport(db, period);
      return {
        body: { period, shifts, days, openFromEarlier },
        csv: zCsv(shifts, days, openFromEarlier),
        period,
      };
    },
  }),
  freshness: define({
    query: reportQueries.freshness,
    async run(db, q, _facts, now) {
      const devices = await freshnessReport(db, q.branch ?? null, now);
      const byBranch = new Map<string, typeof devices>();
      for (const d of devices) byBranch.set(d.branch, [...(byBranch.get(d.branch) ?? []), d]);
      const branches = [...byBranch].map(([branch, ds]) => {
        const live = ds.filter((d) => !d.revoked);
        const seen = live
          .map((d) => d.lastSyncAt)
          .filter((t): t is string => t !== null)
          .sort();
        const empty = live
          .map((d) => d.outboxEmptyAt)
          .filter((t): t is string => t !== null)
          .sort();
        return {
          branch,
          devices: live.length,
          lastSyncAt: seen.at(-1) ?? null,
          oldestSyncAt: seen[0] ?? null,
          neverSynced: live.length - seen.length,
          // As in every report's freshness: unknown while a device never reported an empty outbox.
          oldestOutboxEmptyAt: empty.length === live.length ? (empty[0] ?? null) : null,
          quarantined: ds.reduce((n, d) => n + d.quarantined, 0),
          // Over the devices that reported a backlog; an older edge's is unknown, not zero.
          backlogPending: live.reduce((n, d) => n + (d.backlogPending ?? 0), 0),
          oldestUnsyncedAt:
            live
              .map((d) => d.oldestUnsyncedAt)
              .filter((t): t is string => t !== null)
              .sort()[0] ?? null,
        };
      });
      const columns = [
        'branch',
        'deviceId',
        'name',
        'revoked',
        'lastSyncAt',
        'lastAppliedSeq',
        'quarantined',
        'lastSeenAt',
        'outboxEmptyAt',
        'backlogPending',
        'oldestUnsyncedAt',
        'oldestUnsyncedAgeSeconds',
        'backlogReportedAt',
        'journalBreaks',
      ];
      return {
        body: { branch: q.branch ?? null, branches, devices },
        csv: { columns, rows: devices },
      };
    },
  }),
  flags: define({
    query: reportQueries.flags,
    async run(db, q, facts, now) {
      const period = periodOf(q, facts, now);
      const result = await flagsReport(db, period);
      const csv = csvOf<FlagRow>(['businessDate', 'branch', 'flag', 'count'], result.rows);
      return { body: { period, ...result }, csv, period };
    },
  }),
} as const;

export type ReportName = keyof typeof reports;

export const isReportName = (name: string): name is ReportName => Object.hasOwn(reports, name);

/** The tenant's time zone and currency (settings written at onboarding). */
export async function tenantFacts(db: SqlQueryable): Promise<TenantFacts> {
  const rows = await db.query<{ key: string; value: string }>(
    "SELECT key, value FROM settings WHERE key IN ('time_zone', 'currency')",
  );
  const get = (key: string) => rows.find((r) => r.key === key)?.value;
  return { timeZone: get('time_zone') ?? 'UTC', currency: get('currency') ?? 'XXX' };
}

/** Runs report `name` with an already parsed query in one read-only snapshot, with its freshness. */
export async function runReport(
  db: { transaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T> },
  name: ReportName,
  query: unknown,
  now: Date,
): Promise<ReportResult & { currency: string; freshness: Freshness }> {
  const definition = reports[name] as ReportDefinition<z.ZodType>;
  return db.transaction(async (tx) => {
    await tx.query('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
    const q = query as { branch?: string };
    if (q.branch) {
      const [known] = await tx.query('SELECT 1 FROM branches WHERE code = $1', [q.branch]);
      if (!known) throw new AppError('not_found', `branch ${q.branch} not found`);
    }
    const facts = await tenantFacts(tx);
    const result = await refuseOverflow(() => definition.run(tx, query, facts, now));
    return { ...result, currency: facts.currency, freshness: await freshnessOf(tx, q.branch ?? null, now) };
  });
}
