// What the cloud's HQ API under /v1 answers (docs/hq-api.md), as zod schemas: the cloud's
// /openapi.json is generated from them, and tests check real answers against them. Every view lists
// all its fields (strict objects): an answer with a field not listed here fails the tests' check.
import { z } from 'zod';
import { deviceSaleSchema } from './device-sales.ts';
import { stockAdjustmentSchema, stockCountSchema, stockReceiptSchema, stockTransferSchema } from './stock.ts';

const instant = z.string();
const nullableInstant = instant.nullable();

export const healthSchema = z.strictObject({ status: z.literal('ok') });
/** The migration job's figures (null when this process runs none). */
export const migrationStatsSchema = z.strictObject({
  backlog: z.number().int(),
  waiting: z.number().int(),
  failures: z.array(z.strictObject({ orgId: z.string(), error: z.string() })),
  runs: z.number().int(),
  running: z.boolean(),
  lastRunAt: nullableInstant,
});
export const readySchema = z.strictObject({
  status: z.literal('ready'),
  migrations: migrationStatsSchema.nullable(),
});

export const hqUserSchema = z.strictObject({
  userId: z.string(),
  email: z.string(),
  name: z.string(),
  role: z.string(),
});

/** 201 of POST /v1/orgs/{orgId}/sessions: the token is shown once. */
export const hqLoginSchema = z.strictObject({
  token: z.string(),
  expiresAt: instant,
  user: hqUserSchema,
});

export const hqSessionSchema = z.strictObject({
  orgId: z.string(),
  user: hqUserSchema,
  timeZone: z.string(),
  currency: z.string(),
});

export const deviceViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  branch: z.string(),
  createdAt: instant,
  lastSeenAt: nullableInstant,
  lastSyncAt: nullableInstant,
  outboxEmptyAt: nullableInstant,
  lastAppliedSeq: z.number().int(),
  revokedAt: nullableInstant,
});
export const deviceListSchema = z.strictObject({ devices: z.array(deviceViewSchema) });
/** 201 of POST /v1/devices: the token is shown once; only its hash is stored. */
export const registeredDeviceSchema = z.strictObject({
  deviceId: z.string(),
  branch: z.string(),
  token: z.string(),
});
export const revokedDeviceSchema = z.strictObject({ revokedAt: instant });

export const quarantinedSchema = z.strictObject({
  id: z.string(),
  deviceId: z.string(),
  seq: z.number().int(),
  mutationId: z.string(),
  kind: z.string(),
  payload: z.unknown(),
  reasonCode: z.string(),
  reason: z.string(),
  receivedAt: instant,
  resolvedAt: nullableInstant,
  resolution: z.string().nullable(),
});
export const quarantineListSchema = z.strictObject({ quarantine: z.array(quarantinedSchema) });
export const replayedSchema = z.strictObject({ status: z.enum(['applied', 'duplicate']) });

export const createdIdSchema = z.strictObject({ id: z.string() });

const stamps = { createdAt: instant, updatedAt: instant };

export const branchViewSchema = z.strictObject({
  id: z.string(),
  code: z.string(),
  name: z.string(),
  timeZone: z.string(),
  active: z.boolean(),
  ...stamps,
});
export const taxRateViewSchema = z.strictObject({
  id: z.string(),
  name: z.string(),
  rateBp: z.number().int(),
  inclusive: z.boolean(),
  isDefault: z.boolean(),
  ...stamps,
});
/** A product row as written (PATCH answers it). */
export const productRowSchema = z.strictObject({
  id: z.string(),
  sku: z.string(),
  barcode: z.string().nullable(),
  name: z.string(),
  category: z.string().nullable(),
  taxRateId: z.string(),
  active: z.boolean(),
  ...stamps,
});
/** As listed: with the default price that applies now (null: none yet). */
export const productViewSchema = productRowSchema.extend({ priceMinor: z.number().int().nullable() });
/** A user as HQ lists them: never a password or PIN hash. */
export const userViewSchema = z.strictObject({
  id: z.string(),
  email: z.string().nullable(),
  name: z.string(),
  role: z.string(),
  /** What the user types at a till with their PIN (cashiers, managers with a PIN). */
  code: z.string().nullable(),
  active: z.boolean(),
  ...stamps,
});

export const branchListSchema = z.strictObject({ branches: z.array(branchViewSchema) });
export const taxRateListSchema = z.strictObject({ taxRates: z.array(taxRateViewSchema) });
export const productListSchema = z.strictObject({ products: z.array(productViewSchema) });
export const userListSchema = z.strictObject({ users: z.array(userViewSchema) });
/** POST /v1/products answers the product with the price it was created with. */
export const createdProductSchema = productRowSchema.extend({ priceMinor: z.number().int() });
export const createdUserSchema = z.strictObject({
  id: z.string(),
  role: z.string(),
  code: z.string().optional(),
});

/** A stock document recorded at HQ, as stored: the sync protocol's document of its kind. */
export const hqStockDocumentSchemas = {
  stock_receipt: stockReceiptSchema,
  stock_adjustment: stockAdjustmentSchema,
  stock_count: stockCountSchema,
  stock_transfer: stockTransferSchema,
} as const;
export const reorderLevelSetSchema = z.strictObject({
  branch: z.string(),
  productId: z.string(),
  levelMilli: z.number(),
  updatedAt: instant,
});
export const hqOnHandSchema = z.strictObject({
  onHand: z.array(
    z.strictObject({
      branch: z.string(),
      productId: z.string(),
      qtyMilli: z.number(),
      reorderLevelMilli: z.number().nullable(),
    }),
  ),
});

/** The reports' answers: src/protocol/reports.ts. */

/** GET /v1/device/sales/{id} and GET /v1/device/receipts/{receiptNo}: the sync protocol's own answer. */
export { deviceSaleSchema };
