// zod schemas of catalog writes: what HQ may send for products, prices, tax rates, branches and
// cashiers. Parsed before any transaction starts, so bad input never writes anything. Text refuses
// control characters: Postgres refuses NUL in text (a 500, not a 400), and none belongs on a receipt.
import { z } from 'zod';
import { isTimeZone } from '../../src/domain/business-date.ts';
import { codeSchema, text } from '../../src/domain/payloads.ts';

/** Text a person typed: trimmed, 1 to `max` characters, no control characters. */
const typed = (max: number) => text(max).trim().min(1);
/** The id of a row the write refers to (a UUID the cloud made; 64 at most, as sync documents allow). */
const ref = text(64).min(1);
const sku = typed(64);
const money = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const branchCode = codeSchema;

/** SPEC §6: the body of POST /v1/products. */
export const productInputSchema = z.strictObject({
  sku,
  name: typed(200),
  priceMinor: money,
  taxRateId: ref.optional(),
  barcode: typed(64).optional(),
  category: typed(100).optional(),
});

export const productChangesSchema = z.strictObject({
  name: typed(200).optional(),
  taxRateId: ref.optional(),
  barcode: typed(64).nullable().optional(),
  category: typed(100).nullable().optional(),
  active: z.boolean().optional(),
});

export const priceInputSchema = z.strictObject({
  productId: ref,
  /** Omitted: the default price for every branch. */
  branchCode: branchCode.optional(),
  priceMinor: money,
  effectiveFrom: z.iso.datetime({ offset: true }).optional(),
});

export const taxRateInputSchema = z.strictObject({
  name: typed(100),
  rateBp: z.number().int().min(0).max(100_000),
  inclusive: z.boolean(),
  isDefault: z.boolean().optional(),
});

export const branchInputSchema = z.strictObject({
  code: branchCode,
  name: typed(200),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin'),
});

const name = typed(200);
const pin = z.string().regex(/^\d{4,8}$/, 'a PIN is 4–8 digits');
/** HQ passwords: long enough to resist guessing; scrypt makes each guess slow as well. */
const password = z.string().min(12, 'a password has at least 12 characters').max(200);

/** POST /v1/users: a cashier with a PIN (the default role) or an HQ manager or viewer with a password. */
export const userInputSchema = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('cashier').default('cashier'), name, email: z.email().optional(), pin }),
  z.strictObject({ role: z.enum(['manager', 'viewer']), name, email: z.email(), password }),
]);

export const taxRateChangesSchema = z.strictObject({
  name: typed(100).optional(),
  rateBp: z.number().int().min(0).max(100_000).optional(),
  inclusive: z.boolean().optional(),
});

export const branchChangesSchema = z.strictObject({
  name: typed(200).optional(),
  timeZone: branchInputSchema.shape.timeZone.optional(),
  active: z.boolean().optional(),
});

export const userChangesSchema = z.strictObject({
  name: name.optional(),
  pin: pin.optional(),
  password: password.optional(),
  active: z.boolean().optional(),
});
