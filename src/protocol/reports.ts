// What the HQ reports answer (GET /v1/reports/{name}, SPEC §10, docs/reports.md) and the dashboard's
// Sales view in one answer (GET /v1/sales-overview), as zod schemas: the cloud's /openapi.json is
// generated from them and tests check real answers against them. Amounts are minor units of the
// tenant's currency, quantities thousandths; dates YYYY-MM-DD (branch-local business dates).
import { z } from 'zod';

const instant = z.string();
const date = z.string();
const int = z.number().int();

export const periodSchema = z.strictObject({ from: date, to: date, branch: z.string().nullable() });

/** How current the data behind a report is (docs/freshness.md). */
export const freshnessSchema = z.strictObject({
  generatedAt: instant,
  devices: int,
  lastSyncAt: instant.nullable(),
  oldestSyncAt: instant.nullable(),
  neverSynced: int,
  oldestOutboxEmptyAt: instant.nullable(),
  quarantined: int,
});

export const salesFiguresSchema = z.strictObject({
  count: int,
  grossMinor: int,
  discountsMinor: int,
  refundsCount: int,
  refundsMinor: int,
  netMinor: int,
  taxMinor: int,
  averageTicketMinor: int,
});
const figures = salesFiguresSchema.shape;
export const salesByDaySchema = z.strictObject({ businessDate: date, ...figures });
export const salesByHourSchema = z.strictObject({ hour: int, ...figures });
export const salesByBranchSchema = z.strictObject({ branch: z.string(), ...figures });
export const salesByCashierSchema = z.strictObject({
  cashierUserId: z.string().nullable(),
  cashier: z.string().nullable(),
  cashierName: z.string().nullable(),
  ...figures,
});

export const productFiguresSchema = z.strictObject({
  rank: int,
  productId: z.string(),
  sku: z.string().nullable(),
  name: z.string(),
  qtyMilli: int,
  revenueMinor: int,
  lines: int,
});
const topProducts = { byQuantity: z.array(productFiguresSchema), byRevenue: z.array(productFiguresSchema) };

export const paymentFiguresSchema = z.strictObject({
  method: z.string(),
  count: int,
  takenMinor: int,
  refundsCount: int,
  refundedMinor: int,
  netMinor: int,
});

export const taxFiguresSchema = z.strictObject({
  rateBp: int,
  inclusive: z.boolean(),
  baseMinor: int,
  taxMinor: int,
});

export const refundRowSchema = z.strictObject({
  refundId: z.string(),
  receiptNo: z.string(),
  branch: z.string(),
  businessDate: date,
  occurredAt: instant,
  totalMinor: int,
  taxMinor: int,
  reason: z.string().nullable(),
  cashier: z.string().nullable(),
  originalSaleId: z.string().nullable(),
  originalReceiptNo: z.string().nullable(),
  originalBusinessDate: date.nullable(),
  originalBranch: z.string().nullable(),
  originalTotalMinor: int.nullable(),
});

export const stockRowSchema = z.strictObject({
  branch: z.string(),
  productId: z.string(),
  sku: z.string().nullable(),
  name: z.string().nullable(),
  qtyMilli: int,
  reorderLevelMilli: int.nullable(),
  lowStock: z.boolean(),
  belowZero: z.boolean(),
  unitCostMinor: int.nullable(),
  valueMinor: int.nullable(),
});
export const movementKindRowSchema = z.strictObject({
  branch: z.string(),
  kind: z.string(),
  movements: int,
  qtyMilli: int,
});

const tenderLineSchema = z.strictObject({
  method: z.string(),
  expectedMinor: int,
  countedMinor: int.nullable(),
  differenceMinor: int.nullable(),
});
const shiftHead = {
  shiftId: z.string(),
  branch: z.string(),
  terminal: z.string(),
  businessDate: date,
  openedBy: z.string().nullable(),
  openedAt: instant,
  closedBy: z.string().nullable(),
  closedAt: instant.nullable(),
  openingFloatMinor: int,
  cashInMinor: int,
  cashOutMinor: int,
  tenders: z.array(tenderLineSchema),
};
export const zShiftSchema = z.strictObject({ ...shiftHead, closedAt: instant });
export const dayEndShiftSchema = z.strictObject({ ...shiftHead, open: z.boolean() });
export const dayEndSchema = z.strictObject({
  branch: z.string(),
  businessDate: date,
  shifts: z.array(dayEndShiftSchema),
  withoutShift: z.array(
    z.strictObject({
      terminal: z.string(),
      salesCount: int,
      refundsCount: int,
      tenders: z.array(
        z.strictObject({ method: z.string(), takenMinor: int, refundedMinor: int, netMinor: int }),
      ),
    }),
  ),
  openFromEarlier: z.array(dayEndShiftSchema),
});

export const deviceFreshnessSchema = z.strictObject({
  deviceId: z.string(),
  name: z.string(),
  branch: z.string(),
  revoked: z.boolean(),
  lastSyncAt: instant.nullable(),
  lastAppliedSeq: int,
  quarantined: int,
  lastSeenAt: instant.nullable(),
  outboxEmptyAt: instant.nullable(),
  /** Still pending of the backlog it last reported (less what was applied since); null if never reported. */
  backlogPending: int.nonnegative().nullable(),
  /** When its oldest unsynced mutation was recorded; null with nothing pending. */
  oldestUnsyncedAt: instant.nullable(),
  /** That mutation's age in seconds when the report was generated. */
  oldestUnsyncedAgeSeconds: int.nonnegative().nullable(),
  /** When the cloud heard that backlog. */
  backlogReportedAt: instant.nullable(),
  /** Journal links the cloud flagged on push in the chains of the device's edge database (docs/journal.md); 0 before any. */
  journalBreaks: int.nonnegative(),
});
export const branchFreshnessSchema = z.strictObject({
  branch: z.string(),
  devices: int,
  lastSyncAt: instant.nullable(),
  oldestSyncAt: instant.nullable(),
  neverSynced: int,
  oldestOutboxEmptyAt: instant.nullable(),
  quarantined: int,
  /** The devices' pending backlogs, summed (devices that never reported one count 0). */
  backlogPending: int.nonnegative(),
  /** The earliest of the devices' oldest unsynced mutations. */
  oldestUnsyncedAt: instant.nullable(),
});

export const flagRowSchema = z.strictObject({
  businessDate: date,
  branch: z.string(),
  flag: z.string(),
  count: int,
});
export const flagTotalSchema = z.strictObject({ flag: z.string(), count: int });
const flags = { rows: z.array(flagRowSchema), totals: z.array(flagTotalSchema), flaggedDocuments: int };

/** Every report answers its name, currency and freshness beside its own figures. */
const report = <N extends string, S extends z.ZodRawShape>(name: N, shape: S) =>
  z.strictObject({ report: z.literal(name), currency: z.string(), ...shape, freshness: freshnessSchema });

export const reportSchemas = {
  sales: report('sales', {
    period: periodSchema,
    groupBy: z.enum(['day', 'branch', 'hour', 'cashier']),
    rows: z.union([
      z.array(salesByDaySchema),
      z.array(salesByHourSchema),
      z.array(salesByBranchSchema),
      z.array(salesByCashierSchema),
    ]),
    totals: salesFiguresSchema,
  }),
  'top-products': report('top-products', { period: periodSchema, limit: int, ...topProducts }),
  payments: report('payments', { period: periodSchema, rows: z.array(paymentFiguresSchema) }),
  tax: report('tax', { period: periodSchema, rows: z.array(taxFiguresSchema) }),
  refunds: report('refunds', {
    period: periodSchema,
    rows: z.array(refundRowSchema),
    truncated: z.boolean(),
    count: int,
    totalMinor: int,
  }),
  inventory: report('inventory', {
    branch: z.string().nullable(),
    lowStockMilli: int,
    from: date.nullable(),
    to: date.nullable(),
    rows: z.array(stockRowSchema),
    lowStock: int,
    belowZero: int,
    valuationMinor: int,
    unvalued: int,
    movements: z.array(movementKindRowSchema),
  }),
  z: report('z', {
    period: periodSchema,
    shifts: z.array(zShiftSchema),
    days: z.array(dayEndSchema),
    openFromEarlier: z.array(dayEndShiftSchema),
  }),
  freshness: report('freshness', {
    branch: z.string().nullable(),
    branches: z.array(branchFreshnessSchema),
    devices: z.array(deviceFreshnessSchema),
  }),
  flags: report('flags', { period: periodSchema, ...flags }),
} as const;

/** GET /v1/sales-overview: the dashboard's Sales view, the figures of seven reports in one answer. */
export const salesOverviewSchema = z.strictObject({
  currency: z.string(),
  period: periodSchema,
  /** As the sales report's totals. */
  totals: salesFiguresSchema,
  /** As the sales report by day, by hour and by branch. */
  byDay: z.array(salesByDaySchema),
  byHour: z.array(salesByHourSchema),
  byBranch: z.array(salesByBranchSchema),
  /** As the top-products report with `limit=10`. */
  topProducts: z.strictObject({ limit: int, ...topProducts }),
  /** As the payments report's rows. */
  payments: z.array(paymentFiguresSchema),
  /** The refunds report's count and total, and its latest 20 rows (oldest first). */
  refunds: z.strictObject({ count: int, totalMinor: int, latest: z.array(refundRowSchema) }),
  /** As the flags report. */
  flags: z.strictObject(flags),
  freshness: freshnessSchema,
});
