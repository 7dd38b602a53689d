// The cloud's HTTP API as OpenAPI operations (served at /openapi.json and /docs): health, the HQ API
// under /v1, the device routes under /v1/device and the operator API under /admin. Each operation
// names the schema its route parses the body or query with, and the schema of what it answers. The
// coverage test (test/integration/openapi.test.ts) checks every route the app registers is here.
import { z } from 'zod';
import {
  type ApiDescription,
  type ApiOperation,
  created,
  noContent,
  ok,
} from '../../src/http/openapi/operations.ts';
import { apiErrorSchema } from '../../src/protocol/api-error.ts';
import * as hq from '../../src/protocol/hq-api.ts';
import { journalEntrySchema } from '../../src/protocol/journal.ts';
import { reportSchemas, salesOverviewSchema } from '../../src/protocol/reports.ts';
import { PROTOCOL_VERSION } from '../../src/protocol/version.ts';
import {
  branchChangesSchema,
  branchInputSchema,
  priceInputSchema,
  productChangesSchema,
  productInputSchema,
  taxRateChangesSchema,
  taxRateInputSchema,
  userChangesSchema,
  userInputSchema,
} from '../catalog/schemas.ts';
import { hqStockSchemas, onHandQuery, reorderLevelSchema } from '../catalog/stock.ts';
import { reportQueries } from '../reports/params.ts';
import { reports } from '../reports/reports.ts';
import { journalQuery } from './hq-journal-routes.ts';
import { loginBody } from './hq-routes.ts';
import { deviceBody, discardBody, quarantineQuery, replayBody } from './hq-sync-routes.ts';
import { adminOperations } from './openapi-admin.ts';

const REPORT_SUMMARIES: Record<keyof typeof reports, string> = {
  sales: 'Sales, refunds, tax and average ticket, grouped by day, branch, hour or cashier',
  'top-products': 'Best-selling products by net revenue',
  payments: 'Tenders per payment method',
  tax: 'Tax collected per rate',
  refunds: 'Refunds with their originals',
  inventory: 'On hand, low stock and stock movements by kind',
  z: 'Day-end (Z) figures per branch and business date, with the shifts’ drawers',
  freshness: 'How current the data is: each device’s last sync, backlog and quarantine',
  flags: 'Flagged documents per flag, branch and business date',
};

function hqOperations(): ApiOperation[] {
  const session = 'hqSession' as const;
  const catalog = (
    noun: string,
    route: string,
    list: z.ZodType,
    input: z.ZodType,
    changes: z.ZodType,
    param: string,
    answers: z.ZodType = hq.createdIdSchema,
    permission = 'catalog:write',
  ): ApiOperation[] => [
    {
      method: 'get',
      route,
      tag: 'Catalog',
      summary: `List ${noun}`,
      auth: session,
      responses: ok(noun, list),
    },
    {
      method: 'post',
      route,
      tag: 'Catalog',
      summary: `Create one of the ${noun} (${permission})`,
      auth: session,
      body: input,
      responses: created('created', answers),
    },
    {
      method: 'patch',
      route: `${route}/:${param}`,
      tag: 'Catalog',
      summary: `Change one of the ${noun} (${permission})`,
      auth: session,
      body: changes,
      responses: ok('changed', answers),
    },
  ];
  const stockPaths = {
    receipts: 'stock_receipt',
    adjustments: 'stock_adjustment',
    counts: 'stock_count',
    transfers: 'stock_transfer',
  } as const;
  return [
    {
      method: 'post',
      route: '/v1/orgs/:orgId/sessions',
      tag: 'HQ sessions',
      summary: 'Log in with email and password: a session token',
      params: { orgId: 'the organization id' },
      body: loginBody,
      responses: {
        ...created('logged in; the token is shown once', hq.hqLoginSchema),
        429: {
          description:
            'too many failed logins, or one in progress: the error body; `Retry-After` says when to try again',
          schema: apiErrorSchema,
        },
      },
    },
    {
      method: 'get',
      route: '/v1/session',
      tag: 'HQ sessions',
      summary: "The bearer's user, with the tenant's time zone and currency",
      auth: session,
      responses: ok('the session', hq.hqSessionSchema),
    },
    {
      method: 'delete',
      route: '/v1/session',
      tag: 'HQ sessions',
      summary: 'Log out',
      auth: session,
      responses: noContent,
    },
    {
      method: 'get',
      route: '/v1/devices',
      tag: 'Devices',
      summary: 'List devices',
      auth: session,
      responses: ok('the devices', hq.deviceListSchema),
    },
    {
      method: 'post',
      route: '/v1/devices',
      tag: 'Devices',
      summary: 'Register a device (devices:write): its token is shown once',
      auth: session,
      body: deviceBody,
      responses: created('registered', hq.registeredDeviceSchema),
    },
    {
      method: 'delete',
      route: '/v1/devices/:id',
      tag: 'Devices',
      summary: 'Revoke a device (devices:write): its connection ends on every cloud process',
      auth: session,
      responses: ok('revoked', hq.revokedDeviceSchema),
    },
    {
      method: 'get',
      route: '/v1/sync/quarantine',
      tag: 'Sync quarantine',
      summary: 'Mutations the cloud refused, kept for replay or discard',
      auth: session,
      query: quarantineQuery,
      responses: ok('the quarantine', hq.quarantineListSchema),
    },
    {
      method: 'post',
      route: '/v1/sync/quarantine/:id/replay',
      tag: 'Sync quarantine',
      summary: 'Replay a quarantined mutation, as it was or corrected (devices:write)',
      auth: session,
      body: replayBody,
      responses: ok('applied, or a duplicate of one applied', hq.replayedSchema),
    },
    {
      method: 'post',
      route: '/v1/sync/quarantine/:id/discard',
      tag: 'Sync quarantine',
      summary: 'Discard a quarantined mutation with a reason (devices:write)',
      auth: session,
      body: discardBody,
      responses: noContent,
    },
    ...catalog(
      'branches',
      '/v1/branches',
      hq.branchListSchema,
      branchInputSchema,
      branchChangesSchema,
      'code',
    ),
    ...catalog(
      'tax rates',
      '/v1/tax-rates',
      hq.taxRateListSchema,
      taxRateInputSchema,
      taxRateChangesSchema,
      'id',
    ),
    ...catalog(
      'products',
      '/v1/products',
      hq.productListSchema,
      productInputSchema,
      productChangesSchema,
      'id',
      hq.createdProductSchema,
    ).map(
      (op): ApiOperation =>
        op.method === 'patch' ? { ...op, responses: ok('changed', hq.productRowSchema) } : op,
    ),
    {
      method: 'post',
      route: '/v1/prices',
      tag: 'Catalog',
      summary: "Set a product's price, for every branch or one, from an instant (catalog:write)",
      auth: session,
      body: priceInputSchema,
      responses: created('the price', hq.createdIdSchema),
    },
    ...catalog(
      'users',
      '/v1/users',
      hq.userListSchema,
      userInputSchema,
      userChangesSchema,
      'id',
      hq.createdUserSchema,
      'users:write',
    ).map(
      (op): ApiOperation =>
        op.method === 'patch' ? { ...op, responses: ok('changed', hq.createdUserSchema) } : op,
    ),
    ...Object.entries(stockPaths).map(
      ([path, kind]): ApiOperation => ({
        method: 'post',
        route: `/v1/stock/${path}`,
        tag: 'Stock',
        summary: `Record a ${kind.replace('stock_', 'stock ')} at HQ (catalog:write; idempotent by id)`,
        auth: session,
        body: hqStockSchemas[kind],
        responses: {
          201: { description: 'recorded', schema: hq.hqStockDocumentSchemas[kind] },
          200: {
            description: 'the document first recorded under this id',
            schema: hq.hqStockDocumentSchemas[kind],
          },
        },
      }),
    ),
    {
      method: 'put',
      route: '/v1/stock/reorder-levels',
      tag: 'Stock',
      summary: "Set a product's reorder level at a branch (catalog:write)",
      auth: session,
      body: reorderLevelSchema,
      responses: ok('the level', hq.reorderLevelSetSchema),
    },
    {
      method: 'get',
      route: '/v1/stock',
      tag: 'Stock',
      summary: 'On hand per branch and product, with reorder levels',
      auth: session,
      query: onHandQuery,
      responses: ok('on hand', hq.hqOnHandSchema),
    },
    ...(Object.keys(reports) as (keyof typeof reports)[]).map(
      (name): ApiOperation => ({
        method: 'get',
        route: '/v1/reports/:name',
        fixed: { name },
        tag: 'Reports',
        summary: REPORT_SUMMARIES[name],
        description:
          'reports:read. JSON by default; with `Accept: text/csv` the rows as CSV, the freshness in X-Report-* headers.',
        auth: session,
        query: reports[name].query,
        responses: {
          200: {
            description: 'the report',
            schema: reportSchemas[name],
            alternatives: { 'text/csv': 'the report as CSV rows (with Accept: text/csv)' },
          },
        },
      }),
    ),
    {
      method: 'get',
      route: '/v1/sales-overview',
      tag: 'Reports',
      summary:
        "The dashboard's Sales view in one answer: sales by day, hour and branch, top products, payments, refunds and flags",
      description:
        'reports:read. The figures the sales (by day, hour and branch), top-products (limit 10), payments, refunds (the latest 20) and flags reports answer for the same period and branch: the sales, refunds and flags figures from one snapshot, the top products and payments from another taken at the same moment.',
      auth: session,
      query: reportQueries.salesOverview,
      responses: ok('the Sales view', salesOverviewSchema),
    },
    {
      method: 'get',
      route: '/v1/journal',
      tag: 'Journal',
      summary: "A terminal's tamper-evident journal as JSON lines, one link per line in seq order",
      description:
        "reports:read. Every chain of the terminal (one per branch and edge database; `branch` narrows it), links recorded at the till from `from` (inclusive) to `to` (exclusive). Each line is one entry of the schema below; `canonical` is the exact text the link's hash covers, rebuilt from the document as stored now (empty when the document is not stored). Streamed. docs/journal.md.",
      auth: session,
      query: journalQuery,
      responses: {
        200: {
          description: 'the links, one JSON object per line',
          schema: journalEntrySchema,
          contentType: 'application/x-ndjson',
        },
      },
    },
    {
      method: 'get',
      route: '/v1/device/sales/:id',
      tag: 'Device',
      summary: "A sale of any till of the device's tenant, with what other tills refunded of it",
      auth: 'deviceToken',
      responses: ok('the sale', hq.deviceSaleSchema),
    },
    {
      method: 'get',
      route: '/v1/device/receipts/:receiptNo',
      tag: 'Device',
      summary: "A sale of any till and branch of the device's tenant by its receipt number, as by its id",
      description:
        'The receipt number printed on the receipt (`{branch}-{terminal}-{seq}`, refunds `…-R{seq}`), unique in the tenant. 404 `not_found` with `details.receiptNo` when the tenant holds no such receipt.',
      auth: 'deviceToken',
      params: { receiptNo: 'the receipt number as printed, e.g. `MAIN-T1-000042`' },
      responses: ok('the sale', hq.deviceSaleSchema),
    },
  ];
}

export function cloudApi(): ApiDescription {
  const operations: ApiOperation[] = [
    {
      method: 'get',
      route: '/healthz',
      tag: 'Health',
      summary: 'Liveness',
      responses: ok('alive', hq.healthSchema),
    },
    {
      method: 'get',
      route: '/readyz',
      tag: 'Health',
      summary: 'Readiness: the control database answers (503 otherwise)',
      responses: ok('ready, with the migration job’s figures', hq.readySchema),
    },
    {
      method: 'get',
      route: '/metrics',
      tag: 'Health',
      summary: 'Prometheus metrics (they name every tenant: the admin token)',
      auth: 'adminToken',
      responses: {
        200: { description: 'Prometheus text format', schema: z.string(), contentType: 'text/plain' },
      },
    },
    ...adminOperations(),
    ...hqOperations(),
  ];
  return {
    title: 'ModernPOS cloud API',
    version: `protocol ${PROTOCOL_VERSION}`,
    description:
      'The HQ API under /v1 (an HQ session), the device routes under /v1/device (a device token) and the operator API under /admin (the admin token). ' +
      'Generated from the zod schemas the routes validate with.',
    operations,
  };
}
