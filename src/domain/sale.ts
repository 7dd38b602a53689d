// Building a sale from what the cashier sent and the local catalog: prices and tax from the catalog
// (or the open-price line itself), tax per line, totals as sums of lines, payments covering the total
// and change only from cash. The numbers here are what the receipt shows and what the cloud stores.
import { extend, type Minor, MoneyError, sum } from './money.ts';
import { type Outcome, ok, refuse } from './outcome.ts';
import type { PaymentInput, PaymentMethod, SaleInput, SaleLineInput } from './payloads.ts';
import { lineTax } from './tax.ts';

/** What the catalog knows of a product at the moment of sale. */
export interface CatalogProduct {
  id: string;
  sku: string;
  name: string;
  /** null when no price applies to this branch yet (a line must then give its own unit price). */
  priceMinor: Minor | null;
  taxRateBp: number;
  taxInclusive: boolean;
  active: boolean;
}

/** How a line names its product: exactly one of these. */
export type ProductRef = { by: 'sku' | 'barcode' | 'productId'; value: string };

export interface SaleContext {
  /** The tenant's ISO 4217 currency. */
  currency: string;
  findProduct(ref: ProductRef): CatalogProduct | undefined;
  /** Whether open-price lines without an explicit flag carry tax-inclusive prices (the tenant's default). */
  openLinesTaxInclusive: boolean;
}

/**
 * Why a recorded sale deserves a look, never a reason to refuse it: a price typed over the catalog's,
 * an open-price line, a product HQ had deactivated, stock going below zero, a cashier nobody knew,
 * and `price_changed`, which only the cloud sets: the till charged the catalog price it knew, but
 * HQ's price in force at that moment was another (changed while the till was offline). The cloud
 * also adds `inactive_product` and `unknown_cashier` when it knows better than the till
 * (cloud/sync/catalog-flags.ts, docs/sync-integrity.md). `refund_exceeds_sold`, set only by the
 * cloud on a refund: with the refunds other tills gave while this one could not see them, the sale
 * has been refunded beyond what was sold (the money has left the drawers; HQ looks into it).
 */
export const saleFlags = [
  'price_override',
  'open_price',
  'inactive_product',
  'stock_below_zero',
  'unknown_cashier',
  'price_changed',
  'refund_exceeds_sold',
] as const;
export type SaleFlag = (typeof saleFlags)[number];

export interface SaleLine {
  lineNo: number;
  productId: string | null;
  /** The product's name when sold (a snapshot: renaming the product later changes no receipt). */
  name: string;
  qtyMilli: number;
  unitPriceMinor: Minor;
  /** qty × unit price, rounded half-up: before discount and (exclusive) tax. */
  amountMinor: Minor;
  discountMinor: Minor;
  taxRateBp: number;
  taxInclusive: boolean;
  taxMinor: Minor;
  totalMinor: Minor;
  flags: SaleFlag[];
}

export interface SalePayment {
  method: PaymentMethod;
  amountMinor: Minor;
  /** Cash handed over; for other tenders the same as the amount. */
  tenderedMinor: Minor;
  changeMinor: Minor;
  reference: string | null;
}

export interface SaleTotals {
  subtotalMinor: Minor;
  discountMinor: Minor;
  taxMinor: Minor;
  totalMinor: Minor;
}

export interface BuiltSale extends SaleTotals {
  currency: string;
  lines: SaleLine[];
  payments: SalePayment[];
  changeMinor: Minor;
  flags: SaleFlag[];
}

/** Totals of a set of lines: always the sums of the lines, never recomputed from the totals. */
export function totalsOf(
  lines: readonly Pick<SaleLine, 'amountMinor' | 'discountMinor' | 'taxMinor' | 'totalMinor'>[],
): SaleTotals {
  return {
    subtotalMinor: sum(lines.map((l) => l.amountMinor)),
    discountMinor: sum(lines.map((l) => l.discountMinor)),
    taxMinor: sum(lines.map((l) => l.taxMinor)),
    totalMinor: sum(lines.map((l) => l.totalMinor)),
  };
}

function priceLine(lineNo: number, input: SaleLineInput, ctx: SaleContext): Outcome<SaleLine> {
  let productId: string | null = null;
  let name: string;
  let unitPriceMinor: Minor;
  let taxRateBp: number;
  let taxInclusive: boolean;
  const flags: SaleFlag[] = [];
  if ('name' in input) {
    name = input.name;
    unitPriceMinor = input.unitPriceMinor;
    taxRateBp = input.taxRateBp;
    taxInclusive = input.taxInclusive ?? ctx.openLinesTaxInclusive;
    flags.push('open_price');
  } else {
    const ref: ProductRef =
      input.sku !== undefined
        ? { by: 'sku', value: input.sku }
        : input.barcode !== undefined
          ? { by: 'barcode', value: input.barcode }
          : { by: 'productId', value: input.productId ?? '' };
    const product = ctx.findProduct(ref);
    if (!product) {
      return refuse(
        'unknown_product',
        `line ${lineNo}: no product with ${ref.by} ${JSON.stringify(ref.value)}`,
        {
          lineNo,
          ...{ [ref.by]: ref.value },
        },
      );
    }
    productId = product.id;
    name = product.name;
    const price = input.unitPriceMinor ?? product.priceMinor;
    if (price === null) {
      return refuse(
        'no_price',
        `line ${lineNo}: ${product.sku} has no price at this branch yet; give unitPriceMinor`,
        { lineNo, sku: product.sku },
      );
    }
    unitPriceMinor = price;
    taxRateBp = product.taxRateBp;
    taxInclusive = product.taxInclusive;
    if (unitPriceMinor !== product.priceMinor) flags.push('price_override');
    // Accept and flag: the edge may not know yet that HQ deactivated it.
    if (!product.active) flags.push('inactive_product');
  }
  const amountMinor = extend(input.qtyMilli, unitPriceMinor);
  const discountMinor = input.discountMinor ?? 0;
  if (discountMinor > amountMinor) {
    return refuse(
      'invalid_line',
      `line ${lineNo}: discount ${discountMinor} exceeds the line amount ${amountMinor}`,
      {
        lineNo,
      },
    );
  }
  const tax = lineTax(amountMinor - discountMinor, taxRateBp, taxInclusive);
  return ok({
    lineNo,
    productId,
    name,
    qtyMilli: input.qtyMilli,
    unitPriceMinor,
    amountMinor,
    discountMinor,
    taxRateBp,
    taxInclusive,
    taxMinor: tax.taxMinor,
    totalMinor: tax.totalMinor,
    flags,
  });
}

/**
 * Settles `totalMinor` with the tendered payments: they must cover it, and any excess is change,
 * which only cash can give. The change is booked on the cash payments (last first).
 */
export function settle(
  totalMinor: Minor,
  payments: readonly PaymentInput[],
): Outcome<{ payments: SalePayment[]; changeMinor: Minor }> {
  const paid = sum(payments.map((p) => p.amountMinor));
  if (paid < totalMinor) {
    return refuse('payment_short', `payments of ${paid} do not cover the total of ${totalMinor}`, {
      paidMinor: paid,
      totalMinor,
    });
  }
  const nonCash = sum(payments.filter((p) => p.method !== 'cash').map((p) => p.amountMinor));
  if (nonCash > totalMinor) {
    return refuse(
      'change_not_cash',
      `non-cash payments of ${nonCash} exceed the total of ${totalMinor}; change is given only from cash`,
    );
  }
  let change = paid - totalMinor;
  const settled: SalePayment[] = payments.map((p) => ({
    method: p.method,
    amountMinor: p.amountMinor,
    tenderedMinor: p.amountMinor,
    changeMinor: 0,
    reference: p.reference ?? null,
  }));
  for (let i = settled.length - 1; i >= 0 && change > 0; i--) {
    const p = settled[i]!;
    if (p.method !== 'cash') continue;
    const given = Math.min(change, p.tenderedMinor);
    p.changeMinor = given;
    p.amountMinor = p.tenderedMinor - given;
    change -= given;
  }
  return ok({ payments: settled, changeMinor: paid - totalMinor });
}

export function buildSale(input: SaleInput, ctx: SaleContext): Outcome<BuiltSale> {
  return refuseOverflow(() => buildSaleUnchecked(input, ctx));
}

/** Money helpers throw on amounts beyond 2^53; a cashier can type one, so it is a refusal, not a crash. */
export function refuseOverflow<T>(build: () => Outcome<T>): Outcome<T> {
  try {
    return build();
  } catch (err) {
    if (err instanceof MoneyError) return refuse('amount_too_large', err.message);
    throw err;
  }
}

/** A cart priced as a sale would be, before any payment: what the register shows while selling. */
export interface PricedCart extends SaleTotals {
  currency: string;
  lines: SaleLine[];
  flags: SaleFlag[];
}

/**
 * Prices lines exactly as buildSale does, without payments: the edge's cart quote, so the register
 * shows the totals the sale will have without computing any of them itself.
 */
export function priceCart(
  input: Pick<SaleInput, 'currency' | 'lines'>,
  ctx: SaleContext,
): Outcome<PricedCart> {
  return refuseOverflow(() => priceCartUnchecked(input, ctx));
}

function priceCartUnchecked(
  input: Pick<SaleInput, 'currency' | 'lines'>,
  ctx: SaleContext,
): Outcome<PricedCart> {
  if (input.currency !== undefined && input.currency !== ctx.currency) {
    return refuse(
      'wrong_currency',
      `the sale is in ${input.currency} but the tenant's currency is ${ctx.currency}`,
    );
  }
  const lines: SaleLine[] = [];
  for (const [i, line] of input.lines.entries()) {
    const priced = priceLine(i + 1, line, ctx);
    if (!priced.ok) return priced;
    lines.push(priced.value);
  }
  const flags = [...new Set(lines.flatMap((l) => l.flags))];
  return ok({ currency: ctx.currency, ...totalsOf(lines), lines, flags });
}

function buildSaleUnchecked(input: SaleInput, ctx: SaleContext): Outcome<BuiltSale> {
  const priced = priceCartUnchecked(input, ctx);
  if (!priced.ok) return priced;
  const { lines, flags, ...totals } = priced.value;
  const settled = settle(totals.totalMinor, input.payments);
  if (!settled.ok) return settled;
  return ok({ ...totals, lines, ...settled.value, flags });
}
