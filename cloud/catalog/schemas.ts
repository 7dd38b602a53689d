// zod schemas of catalog writes: what HQ may send for products, prices, tax rates, branches and
// cashiers. Parsed before any transaction starts, so bad input never writes anything.
import { z } from 'zod';
import { isTimeZone } from '../../src/domain/business-date.ts';
import { codeSchema } from '../../src/domain/payloads.ts';

const sku = z.string().trim().min(1).max(64);
const money = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const branchCode = codeSchema;

/** SPEC §6: the body of POST /v1/products. */
export const productInputSchema = z.strictObject({
  sku,
  name: z.string().trim().min(1).max(200),
  priceMinor: money,
  taxRateId: z.string().min(1).optional(),
  barcode: z.string().trim().min(1).max(64).optional(),
  category: z.string().trim().min(1).max(100).optional(),
});

export const productChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  taxRateId: z.string().min(1).optional(),
  barcode: z.string().trim().min(1).max(64).nullable().optional(),
  category: z.string().trim().min(1).max(100).nullable().optional(),
  active: z.boolean().optional(),
});

export const priceInputSchema = z.strictObject({
  productId: z.string().min(1),
  /** Omitted: the default price for every branch. */
  branchCode: branchCode.optional(),
  priceMinor: money,
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
});

export const taxRateInputSchema = z.strictObject({
  name: z.string().trim().min(1).max(100),
  rateBp: z.number().int().min(0).max(100_000),
  inclusive: z.boolean(),
  isDefault: z.boolean().optional(),
});

export const branchInputSchema = z.strictObject({
  code: branchCode,
  name: z.string().trim().min(1).max(200),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin'),
});

const name = z.string().trim().min(1).max(200);
const pin = z.string().regex(/^\d{4,8}$/, 'a PIN is 4–8 digits');
/** HQ passwords: long enough to resist guessing; scrypt makes each guess slow as well. */
const password = z.string().min(12, 'a password has at least 12 characters').max(200);

/** POST /v1/users: a cashier with a PIN (the default role) or an HQ manager or viewer with a password. */
export const userInputSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('cashier').default('cashier'), name, email: z.email().optional(), pin }),
  z.strictObject({ role: z.enum(['manager', 'viewer']), name, email: z.email(), password }),
]);

export const taxRateChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(100).optional(),
  rateBp: z.number().int().min(0).max(100_000).optional(),
  inclusive: z.boolean().optional(),
});

export const branchChangesSchema = z.strictObject({
  name: z.string().trim().min(1).max(200).optional(),
  timeZone: branchInputSchema.shape.timeZone.optional(),
  active: z.boolean().optional(),
});

export const userChangesSchema = z.strictObject({
  name: name.optional(),
  pin: pin.optional(),
  password: password.optional(),
  active: z.boolean().optional(),
});
