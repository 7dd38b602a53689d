// The edge's cashier API as OpenAPI operations (served at /openapi.json and /docs): each names the
// schema its route parses the body or query with, and the schema of what it answers. The coverage
// test (test/integration/openapi.test.ts) checks every route the app registers is here.
import { z } from 'zod';
import {
  cartQuoteSchema,
  cashMovementSchema,
  noSaleSchema,
  refundInputSchema,
  refundQuoteSchema,
  saleInputSchema,
  shiftCloseSchema,
  shiftOpenSchema,
  signInSchema,
} from '../../src/domain/payloads.ts';
import {
  adjustmentInputSchema,
  countInputSchema,
  receiptInputSchema,
  transferInputSchema,
} from '../../src/domain/stock.ts';
import type { ApiDescription, ApiOperation } from '../../src/http/openapi/operations.ts';
import * as wire from '../../src/protocol/edge-api.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import { journalVerifyQuery, productQuery, saleListQuery, stockQuery } from './app.ts';
import { openShiftQuery } from './register-routes.ts';

const ok = (description: string, schema: z.ZodType) => ({ 200: { description, schema } });
const recorded = (what: string, schema: z.ZodType) => ({
  201: { description: `the ${what}, recorded and queued for sync`, schema },
  200: { description: `the ${what} first recorded under this id (a repeated request)`, schema },
});

export function edgeApi(): ApiDescription {
  const operations: ApiOperation[] = [
    {
      method: 'get',
      route: '/healthz',
      tag: 'Health',
      summary: 'Liveness, with the branch',
      responses: ok('alive', wire.statusSchema),
    },
    {
      method: 'get',
      route: '/metrics',
      tag: 'Health',
      summary: 'Prometheus metrics of this edge',
      responses: {
        200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain' },
      },
    },
    {
      method: 'post',
      route: '/v1/cashier-sessions',
      tag: 'Cashier sessions',
      summary: "Sign in at a terminal with the cashier's code and PIN",
      body: signInSchema,
      responses: { 201: { description: 'signed in; the token is shown once', schema: wire.signedInSchema } },
    },
    {
      method: 'get',
      route: '/v1/cashier-sessions/current',
      tag: 'Cashier sessions',
      summary: "The bearer's session",
      auth: 'cashierSession',
      responses: ok('the session', wire.cashierSessionSchema),
    },
    {
      method: 'delete',
      route: '/v1/cashier-sessions/current',
      tag: 'Cashier sessions',
      summary: 'Sign out',
      auth: 'cashierSession',
      responses: ok('signed out', wire.sessionEndedSchema),
    },
    {
      method: 'post',
      route: '/v1/sales',
      tag: 'Sales',
      summary: 'Record a sale (idempotent by id)',
      auth: 'cashierSession',
      body: saleInputSchema,
      responses: recorded('sale', wire.saleViewSchema),
    },
    {
      method: 'get',
      route: '/v1/sales',
      tag: 'Sales',
      summary: "This edge's sales and refunds, newest first, a page at a time",
      query: saleListQuery,
      responses: ok('a page of sales', wire.salePageSchema),
    },
    {
      method: 'get',
      route: '/v1/sales/:id',
      tag: 'Sales',
      summary: "A sale or refund by id (another till's sale is asked of the cloud)",
      params: { id: 'the sale id' },
      responses: ok('the sale', wire.saleViewSchema),
    },
    {
      method: 'post',
      route: '/v1/sales/:id/refunds',
      tag: 'Sales',
      summary: 'Refund lines of a sale (idempotent by id)',
      auth: 'cashierSession',
      params: { id: 'the original sale id' },
      body: refundInputSchema,
      responses: recorded('refund', wire.saleViewSchema),
    },
    {
      method: 'post',
      route: '/v1/sales/:id/refunds/quote',
      tag: 'Register',
      summary: "A refund's figures, recording nothing",
      params: { id: 'the original sale id' },
      body: refundQuoteSchema,
      responses: ok('the refund as it would be recorded', wire.refundQuoteViewSchema),
    },
    {
      method: 'post',
      route: '/v1/carts/quote',
      tag: 'Register',
      summary: 'A cart priced as the sale would be, recording nothing',
      body: cartQuoteSchema,
      responses: ok('the priced cart', wire.cartQuoteSchema),
    },
    {
      method: 'get',
      route: '/v1/receipts/:receiptNo',
      tag: 'Register',
      summary: 'A sale by its receipt number (or any till’s sale by id), with what is refunded of it',
      description:
        'A receipt number this edge did not print is asked of the cloud (any till and branch of the tenant) and the sale kept as a copy; 404 `sale_not_found` when the cloud holds no such receipt, 409 `original_unavailable` when the cloud cannot be reached and no copy is kept.',
      params: { receiptNo: 'a receipt number of any till of the tenant, or a sale id' },
      responses: ok('the sale and its refunded quantities', wire.receiptLookupSchema),
    },
    {
      method: 'get',
      route: '/v1/shifts/open',
      tag: 'Register',
      summary: "The terminal's open shift, if any",
      query: openShiftQuery,
      responses: ok('the open shift or null', wire.openShiftSchema),
    },
    {
      method: 'get',
      route: '/v1/branch',
      tag: 'Register',
      summary: 'What this edge sells as: branch, currency, time zone, tax rates',
      responses: ok('the branch', wire.branchInfoSchema),
    },
    {
      method: 'get',
      route: '/v1/products',
      tag: 'Catalog',
      summary: 'Search products by name, SKU or barcode',
      query: productQuery,
      responses: ok('matching products with their prices here', wire.productListSchema),
    },
    {
      method: 'post',
      route: '/v1/shifts',
      tag: 'Shifts',
      summary: 'Open a shift with its float',
      auth: 'cashierSession',
      body: shiftOpenSchema,
      responses: recorded('shift', wire.shiftViewSchema),
    },
    {
      method: 'post',
      route: '/v1/shifts/:id/cash-movements',
      tag: 'Shifts',
      summary: 'Cash in or out of the drawer',
      auth: 'cashierSession',
      params: { id: 'the shift id' },
      body: cashMovementSchema,
      responses: recorded('cash movement', wire.cashMovementViewSchema),
    },
    {
      method: 'post',
      route: '/v1/shifts/:id/close',
      tag: 'Shifts',
      summary: 'Close a shift with the counted cash: its Z report',
      auth: 'cashierSession',
      params: { id: 'the shift id' },
      body: shiftCloseSchema,
      description:
        'The Z report carries the seal (docs/journal.md#sealed-z): the terminal’s perpetual grand totals and the hash of its last document before the close.',
      responses: ok('the Z report', wire.shiftReportSchema),
    },
    {
      method: 'get',
      route: '/v1/shifts/:id/x-report',
      tag: 'Shifts',
      summary: "A shift's X report (or Z, once closed)",
      params: { id: 'the shift id' },
      responses: ok('the report', wire.shiftReportSchema),
    },
    {
      method: 'post',
      route: '/v1/drawer/no-sale',
      tag: 'Shifts',
      summary: "Open the drawer without a sale (a manager's approval)",
      auth: 'cashierSession',
      body: noSaleSchema,
      responses: recorded('no-sale event', wire.cashierEventViewSchema),
    },
    ...(
      [
        ['receipts', 'Record goods received', receiptInputSchema, wire.stockDocumentViews.receipt],
        [
          'adjustments',
          'Record a stock adjustment',
          adjustmentInputSchema,
          wire.stockDocumentViews.adjustment,
        ],
        ['counts', 'Record a stock count', countInputSchema, wire.stockDocumentViews.count],
        [
          'transfers',
          'Record a transfer to another branch',
          transferInputSchema,
          wire.stockDocumentViews.transfer,
        ],
      ] as const
    ).map(
      ([path, summary, body, answer]): ApiOperation => ({
        method: 'post',
        route: `/v1/stock/${path}`,
        tag: 'Stock',
        summary,
        auth: 'cashierSession',
        body,
        responses: recorded('stock document', answer),
      }),
    ),
    {
      method: 'get',
      route: '/v1/stock',
      tag: 'Stock',
      summary: 'On hand at this branch',
      query: stockQuery,
      responses: ok('on hand per product', wire.edgeOnHandSchema),
    },
    {
      method: 'get',
      route: '/v1/journal/verify',
      tag: 'Journal',
      summary: "Verify this edge's terminal hash chains from the stored documents",
      description:
        'Each chain is walked from its genesis (docs/journal.md#verification): the first link whose document was edited, deleted or reordered, or a chain cut short of its head, is named in `firstBreak`. Documents recorded before the journal are counted in `preJournal`, never failed. 200 either way; `intact` says whether every chain verified.',
      query: journalVerifyQuery,
      responses: ok('a verdict per terminal chain', wire.journalVerificationSchema),
    },
    {
      method: 'get',
      route: '/v1/sync/status',
      tag: 'Sync',
      summary: "This edge's outbox and connection",
      responses: ok('the sync status', wire.syncStatusSchema),
    },
  ];
  return {
    title: 'ModernPOS edge cashier API',
    version: `protocol ${PROTOCOL_VERSION}`,
    description:
      'The API of the edge agent in a shop: sales, refunds, shifts, stock and the register page’s reads. ' +
      'Writes need a cashier session (unless the agent runs with --open-cashier-api). Generated from the zod schemas the routes validate with.',
    operations,
  };
}
