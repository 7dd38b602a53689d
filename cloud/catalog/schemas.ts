// zod schemas of catalog writes: what HQ may send for products, prices, tax rates, branches and
// cashiers, and the typed input each parses to. The HQ routes parse the body with them and the
// catalog services take the parsed value, so bad input never reaches a transaction. Text refuses
// control characters: Postgres refuses NUL in text (a 500, not a 400), and none belongs on a receipt.
import { z } from 'zod';
import { amountSchema, instantSchema, taxRateBpSchema, textLimits } from '../../src/domain/bounds.ts';
import { isTimeZone } from '../../src/domain/business-date.ts';
import { cashierCodeSchema, codeSchema, pinSchema, strictObject, text } from '../../src/domain/payloads.ts';

/** Text a person typed: trimmed, 1 to `max` characters, no control characters. */
const typed = (max: number) => text(max).trim().min(1);
/** The id of a row the write refers to (a UUID the cloud made; 64 at most, as sync documents allow). */
const ref = text(textLimits.id).min(1);
const sku = typed(textLimits.sku);
/** A price: the same bound as any money field a till records (src/domain/bounds.ts). */
const money = amountSchema;
/** An HQ user's email: a well-formed address no longer than any email can be. */
const email = z.email().max(textLimits.person);
const branchCode = codeSchema;

/** SPEC §6: the body of POST /v1/products. */
export const productInputSchema = strictObject({
  sku,
  name: typed(textLimits.name),
  priceMinor: money,
  taxRateId: ref.optional(),
  barcode: typed(textLimits.sku).optional(),
  category: typed(textLimits.label).optional(),
});

export const productChangesSchema = strictObject({
  name: typed(textLimits.name).optional(),
  taxRateId: ref.optional(),
  barcode: typed(textLimits.sku).nullable().optional(),
  category: typed(textLimits.label).nullable().optional(),
  active: z.boolean().optional(),
});

export const priceInputSchema = strictObject({
  productId: ref,
  /** Omitted: the default price for every branch. */
  branchCode: branchCode.optional(),
  priceMinor: money,
  /** Offset within ±14:00, year 2000–2100: Postgres refused year 0 and +23:59 with a 500. */
  effectiveFrom: instantSchema.optional(),
});

export const taxRateInputSchema = strictObject({
  name: typed(textLimits.label),
  rateBp: taxRateBpSchema,
  inclusive: z.boolean(),
  isDefault: z.boolean().optional(),
});

export const branchInputSchema = strictObject({
  code: branchCode,
  name: typed(textLimits.name),
  timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as Europe/Berlin'),
});

const name = typed(textLimits.name);
const pin = pinSchema;
/** What the user types at a till with the PIN; assigned (1001, 1002, …) when not given. */
const code = cashierCodeSchema;
/** HQ passwords: long enough to resist guessing; scrypt makes each guess slow as well. */
const password = z.string().min(12, 'a password has at least 12 characters').max(200);

/**
 * POST /v1/users: a cashier with a PIN (the default role), an HQ manager with a password (and, to
 * sign in and approve at tills, a PIN) or a viewer with a password.
 */
export const userInputSchema = z.discriminatedUnion('role', [
  strictObject({
    role: z.literal('cashier').default('cashier'),
    name,
    email: email.optional(),
    pin,
    code: code.optional(),
  }),
  strictObject({
    role: z.literal('manager'),
    name,
    email,
    password,
    pin: pin.optional(),
    code: code.optional(),
  }),
  strictObject({ role: z.literal('viewer'), name, email, password }),
]);

export const taxRateChangesSchema = strictObject({
  name: typed(textLimits.label).optional(),
  rateBp: taxRateBpSchema.optional(),
  inclusive: z.boolean().optional(),
});

export const branchChangesSchema = strictObject({
  name: typed(textLimits.name).optional(),
  timeZone: branchInputSchema.shape.timeZone.optional(),
  active: z.boolean().optional(),
});

export const userChangesSchema = strictObject({
  name: name.optional(),
  pin: pin.optional(),
  code: code.optional(),
  password: password.optional(),
  active: z.boolean().optional(),
});

/** What each schema parses to: the input the catalog services take (defaults applied, text trimmed). */
export type ProductInput = z.output<typeof productInputSchema>;
export type ProductChanges = z.output<typeof productChangesSchema>;
export type PriceInput = z.output<typeof priceInputSchema>;
export type TaxRateInput = z.output<typeof taxRateInputSchema>;
export type TaxRateChanges = z.output<typeof taxRateChangesSchema>;
export type BranchInput = z.output<typeof branchInputSchema>;
export type BranchChanges = z.output<typeof branchChangesSchema>;
export type UserInput = z.output<typeof userInputSchema>;
export type UserChanges = z.output<typeof userChangesSchema>;

/**
 * A user as callers other than the HQ routes write one (demo seeding, tests): without `role`, a
 * cashier; text trimmed and checked as the route would.
 */
export function parseUserInput(input: z.input<typeof userInputSchema>): UserInput {
  return userInputSchema.parse(input);
}
