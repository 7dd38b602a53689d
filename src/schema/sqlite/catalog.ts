// SQLite (edge) tenant tables, reference data synced down to the edge:
// settings, roles, branches, users, tax rates, products, prices and customers.
import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';
import { boolean, instant, int64 } from './columns.ts';

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const roles = sqliteTable('roles', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** JSON array of permission strings. */
  permissions: text('permissions').notNull(),
});

export const branches = sqliteTable('branches', {
  id: text('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** IANA time zone; reports group by the branch's local business date. */
  timeZone: text('time_zone').notNull(),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const users = sqliteTable(
  'users',
  {
    id: text('id').primaryKey(),
    email: text('email').unique(),
    name: text('name').notNull(),
    roleId: text('role_id')
      .notNull()
      .references(() => roles.id),
    passwordHash: text('password_hash'),
    pinHash: text('pin_hash'),
    active: boolean('active').notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
    /** What the user types at a till with the PIN (tenant migration 0009). */
    code: text('code'),
  },
  (t) => [uniqueIndex('users_code').on(t.code)],
);

export const taxRates = sqliteTable(
  'tax_rates',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    rateBp: integer('rate_bp').notNull(),
    inclusive: boolean('inclusive').notNull(),
    isDefault: boolean('is_default').notNull(),
    createdAt: instant('created_at').notNull(),
    updatedAt: instant('updated_at').notNull(),
  },
  (t) => [uniqueIndex('tax_rates_one_default').on(t.isDefault).where(sql`${t.isDefault}`)],
);

export const products = sqliteTable('products', {
  id: text('id').primaryKey(),
  sku: text('sku').notNull().unique(),
  barcode: text('barcode').unique(),
  name: text('name').notNull(),
  category: text('category'),
  taxRateId: text('tax_rate_id')
    .notNull()
    .references(() => taxRates.id),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const prices = sqliteTable(
  'prices',
  {
    id: text('id').primaryKey(),
    productId: text('product_id')
      .notNull()
      .references(() => products.id),
    /** null: the default price for every branch. */
    branchId: text('branch_id').references(() => branches.id),
    priceMinor: int64('price_minor').notNull(),
    effectiveFrom: instant('effective_from').notNull(),
    createdAt: instant('created_at').notNull(),
  },
  (t) => [
    uniqueIndex('prices_branch_from')
      .on(t.productId, t.branchId, t.effectiveFrom)
      .where(sql`${t.branchId} IS NOT NULL`),
    uniqueIndex('prices_default_from').on(t.productId, t.effectiveFrom).where(sql`${t.branchId} IS NULL`),
  ],
);

export const customers = sqliteTable('customers', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  email: text('email'),
  phone: text('phone'),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});
