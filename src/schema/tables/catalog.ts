// Tenant tables of reference data synced down to the edge: settings, roles, branches, users,
// tax rates, products, prices and customers.
import { sql } from 'drizzle-orm';
import { c, defineTable } from '../define-table.ts';

export const settings = defineTable('settings', {
  key: c.text('key').primaryKey(),
  value: c.text('value').notNull(),
  updatedAt: c.instant('updated_at').notNull(),
});

export const roles = defineTable('roles', {
  id: c.text('id').primaryKey(),
  name: c.text('name').notNull().unique(),
  /** JSON array of permission strings. */
  permissions: c.text('permissions').notNull(),
});

export const branches = defineTable('branches', {
  id: c.text('id').primaryKey(),
  code: c.text('code').notNull().unique(),
  name: c.text('name').notNull(),
  /** IANA time zone; reports group by the branch's local business date. */
  timeZone: c.text('time_zone').notNull(),
  active: c.boolean('active').notNull(),
  createdAt: c.instant('created_at').notNull(),
  updatedAt: c.instant('updated_at').notNull(),
});

export const users = defineTable(
  'users',
  {
    id: c.text('id').primaryKey(),
    email: c.text('email').unique(),
    name: c.text('name').notNull(),
    roleId: c
      .text('role_id')
      .notNull()
      .references(() => roles.columns.id),
    passwordHash: c.text('password_hash'),
    pinHash: c.text('pin_hash'),
    active: c.boolean('active').notNull(),
    createdAt: c.instant('created_at').notNull(),
    updatedAt: c.instant('updated_at').notNull(),
    /** What the user types at a till with the PIN (tenant migration 0009). */
    code: c.text('code'),
  },
  (t, k) => [k.uniqueIndex('users_code').on(t.code)],
);

export const taxRates = defineTable(
  'tax_rates',
  {
    id: c.text('id').primaryKey(),
    name: c.text('name').notNull(),
    rateBp: c.integer('rate_bp').notNull(),
    inclusive: c.boolean('inclusive').notNull(),
    isDefault: c.boolean('is_default').notNull(),
    createdAt: c.instant('created_at').notNull(),
    updatedAt: c.instant('updated_at').notNull(),
  },
  (t, k) => [k.uniqueIndex('tax_rates_one_default').on(t.isDefault).where(sql`${t.isDefault}`)],
);

export const products = defineTable('products', {
  id: c.text('id').primaryKey(),
  sku: c.text('sku').notNull().unique(),
  barcode: c.text('barcode').unique(),
  name: c.text('name').notNull(),
  category: c.text('category'),
  taxRateId: c
    .text('tax_rate_id')
    .notNull()
    .references(() => taxRates.columns.id),
  active: c.boolean('active').notNull(),
  createdAt: c.instant('created_at').notNull(),
  updatedAt: c.instant('updated_at').notNull(),
});

export const prices = defineTable(
  'prices',
  {
    id: c.text('id').primaryKey(),
    productId: c
      .text('product_id')
      .notNull()
      .references(() => products.columns.id),
    /** null: the default price for every branch. */
    branchId: c.text('branch_id').references(() => branches.columns.id),
    priceMinor: c.bigint('price_minor').notNull(),
    effectiveFrom: c.instant('effective_from').notNull(),
    createdAt: c.instant('created_at').notNull(),
  },
  (t, k) => [
    k
      .uniqueIndex('prices_branch_from')
      .on(t.productId, t.branchId, t.effectiveFrom)
      .where(sql`${t.branchId} IS NOT NULL`),
    k.uniqueIndex('prices_default_from').on(t.productId, t.effectiveFrom).where(sql`${t.branchId} IS NULL`),
  ],
);

export const customers = defineTable('customers', {
  id: c.text('id').primaryKey(),
  name: c.text('name').notNull(),
  email: c.text('email'),
  phone: c.text('phone'),
  createdAt: c.instant('created_at').notNull(),
  updatedAt: c.instant('updated_at').notNull(),
});
