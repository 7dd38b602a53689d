// The answers' zod schemas (src/protocol) against the types the handlers build their answers from:
// each type has exactly the schema's fields and fits it, checked by the type-checker (`npx tsc`), so a
// field added to a view without its schema (or dropped from it) fails here even where no test walks
// that answer (a tenant move and adding a cluster need a second cluster).
import { describe, expectTypeOf, it } from 'vitest';
import type { z } from 'zod';
import type { ClusterView } from '../../cloud/clusters/registry.ts';
import type { FlagRow, FlagTotal } from '../../cloud/reports/flags.ts';
import type { Freshness } from '../../cloud/reports/operations.ts';
import type { PaymentFigures } from '../../cloud/reports/payments.ts';
import type { RefundRow } from '../../cloud/reports/refunds.ts';
import type { SalesFigures } from '../../cloud/reports/sales-figures.ts';
import type { SalesOverview } from '../../cloud/reports/sales-overview.ts';
import type { TaxFigures } from '../../cloud/reports/tax.ts';
import type { ProductFigures } from '../../cloud/reports/top-products.ts';
import type { FleetReport, TenantFigures } from '../../cloud/tenants/fleet-report.ts';
import type { MigrationJobStats } from '../../cloud/tenants/migration-job.ts';
import type { ReleasedSource as Released } from '../../cloud/tenants/move/release-source.ts';
import type { MoveResult } from '../../cloud/tenants/move/result.ts';
import type { TenantView } from '../../cloud/tenants/queries.ts';
import type { RestoreResult } from '../../cloud/tenants/restore-tenant.ts';
import type { CartQuote, RefundQuote } from '../../edge/store/cart-quote.ts';
import type { ShiftReport } from '../../edge/store/shift-report.ts';
import type * as admin from '../../src/protocol/admin-api.ts';
import type * as edge from '../../src/protocol/edge-api.ts';
import type * as hq from '../../src/protocol/hq-api.ts';
import type * as reports from '../../src/protocol/reports.ts';

type Out<S extends z.ZodType> = z.output<S>;
type Moved = Extract<Out<typeof admin.moveAnswerSchema>, { tables: unknown }>;
type ReleasedSource = Extract<Out<typeof admin.moveAnswerSchema>, { moveId: number }>;

describe("the answers' schemas have the fields of the handlers' types", () => {
  it('operator API', () => {
    expectTypeOf<keyof TenantView>().toEqualTypeOf<keyof Out<typeof admin.tenantViewSchema>>();
    expectTypeOf<TenantView>().toExtend<Out<typeof admin.tenantViewSchema>>();
    expectTypeOf<keyof MoveResult>().toEqualTypeOf<keyof Moved>();
    expectTypeOf<MoveResult>().toExtend<Moved>();
    expectTypeOf<keyof Released>().toEqualTypeOf<keyof ReleasedSource>();
    expectTypeOf<Released>().toExtend<ReleasedSource>();
    expectTypeOf<keyof RestoreResult>().toEqualTypeOf<keyof Out<typeof admin.restoredSchema>>();
    expectTypeOf<RestoreResult>().toExtend<Out<typeof admin.restoredSchema>>();
    expectTypeOf<keyof ClusterView>().toEqualTypeOf<keyof Out<typeof admin.clusterViewSchema>>();
    expectTypeOf<ClusterView>().toExtend<Out<typeof admin.clusterViewSchema>>();
    type Fleet = Out<typeof admin.fleetReportSchema>;
    expectTypeOf<keyof TenantFigures>().toEqualTypeOf<keyof Fleet['tenants'][number]>();
    expectTypeOf<FleetReport>().toExtend<Fleet>();
    expectTypeOf<keyof MigrationJobStats>().toEqualTypeOf<keyof Out<typeof hq.migrationStatsSchema>>();
    expectTypeOf<MigrationJobStats>().toExtend<Out<typeof hq.migrationStatsSchema>>();
  });

  it('reports and the sales overview', () => {
    expectTypeOf<keyof Freshness>().toEqualTypeOf<keyof Out<typeof reports.freshnessSchema>>();
    expectTypeOf<keyof SalesFigures>().toEqualTypeOf<keyof Out<typeof reports.salesFiguresSchema>>();
    expectTypeOf<keyof ProductFigures>().toEqualTypeOf<keyof Out<typeof reports.productFiguresSchema>>();
    expectTypeOf<keyof PaymentFigures>().toEqualTypeOf<keyof Out<typeof reports.paymentFiguresSchema>>();
    expectTypeOf<keyof TaxFigures>().toEqualTypeOf<keyof Out<typeof reports.taxFiguresSchema>>();
    expectTypeOf<keyof RefundRow>().toEqualTypeOf<keyof Out<typeof reports.refundRowSchema>>();
    expectTypeOf<keyof FlagRow>().toEqualTypeOf<keyof Out<typeof reports.flagRowSchema>>();
    expectTypeOf<keyof FlagTotal>().toEqualTypeOf<keyof Out<typeof reports.flagTotalSchema>>();
    expectTypeOf<keyof SalesOverview>().toEqualTypeOf<keyof Out<typeof reports.salesOverviewSchema>>();
    expectTypeOf<SalesOverview>().toExtend<Out<typeof reports.salesOverviewSchema>>();
  });

  it('edge quotes and shift reports', () => {
    expectTypeOf<keyof CartQuote>().toEqualTypeOf<keyof Out<typeof edge.cartQuoteSchema>>();
    expectTypeOf<keyof CartQuote['lines'][number]>().toEqualTypeOf<keyof Out<typeof edge.quotedLineSchema>>();
    expectTypeOf<keyof RefundQuote>().toEqualTypeOf<keyof Out<typeof edge.refundQuoteViewSchema>>();
    expectTypeOf<keyof RefundQuote['lines'][number]>().toEqualTypeOf<
      keyof Out<typeof edge.quotedRefundLineSchema>
    >();
    expectTypeOf<keyof ShiftReport>().toEqualTypeOf<keyof Out<typeof edge.shiftReportSchema>>();
    expectTypeOf<keyof ShiftReport['tenders'][number]>().toEqualTypeOf<
      keyof Out<typeof edge.tenderLineSchema>
    >();
  });
});
