// The catalog rows a pull carries down (`changes`): one schema per entity, the tenant table's columns
// in camelCase as the cloud reads them (users without their password hash). The cloud's pull is typed
// by them and the edge parses each pulled row with them before writing it to SQLite. Columns a newer
// cloud sends that this build does not know are dropped; a nullable column an older cloud does not
// send yet is left as it is.
import { z } from 'zod';

const id = z.string().min(1).max(200);
const instant = z.string().min(1).max(64);
const text = z.string().max(10_000);
const nullableText = text.nullish();
const int = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

export const catalogRowSchemas = {
  branch: z.object({
    id,
    code: text,
    name: text,
    timeZone: text,
    active: z.boolean(),
    createdAt: instant,
    updatedAt: instant,
  }),
  product: z.object({
    id,
    sku: text,
    barcode: nullableText,
    name: text,
    category: nullableText,
    taxRateId: id,
    active: z.boolean(),
    createdAt: instant,
    updatedAt: instant,
  }),
  price: z.object({
    id,
    productId: id,
    branchId: id.nullish(),
    priceMinor: int,
    effectiveFrom: instant,
    createdAt: instant,
  }),
  tax_rate: z.object({
    id,
    name: text,
    rateBp: int,
    inclusive: z.boolean(),
    isDefault: z.boolean(),
    createdAt: instant,
    updatedAt: instant,
  }),
  user: z.object({
    id,
    email: nullableText,
    name: text,
    roleId: id,
    pinHash: nullableText,
    active: z.boolean(),
    createdAt: instant,
    updatedAt: instant,
    code: nullableText,
  }),
  role: z.object({ id, name: text, permissions: text }),
  setting: z.object({ key: id, value: text, updatedAt: instant }),
} as const;

/** Catalog entities edges pull. */
export type CatalogEntity = keyof typeof catalogRowSchemas;
export const catalogEntities = Object.keys(catalogRowSchemas) as CatalogEntity[];
export const isCatalogEntity = (entity: string): entity is CatalogEntity => entity in catalogRowSchemas;

export type CatalogRow<E extends CatalogEntity> = z.infer<(typeof catalogRowSchemas)[E]>;
