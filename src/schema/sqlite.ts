// drizzle tables of the edge's SQLite copy of the tenant schema: column for column the same as
// src/schema/pg.ts, with the types of src/schema/type-mapping.ts (instants as ISO text, booleans 0/1).
import { sql } from 'drizzle-orm';
import { integer, sqliteTable, text, uniqueIndex } from 'drizzle-orm/sqlite-core';

const instant = (name: string) => text(name);
const boolean = (name: string) => integer(name, { mode: 'boolean' });

export const settings = sqliteTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const roles = sqliteTable('roles', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  permissions: text('permissions').notNull(),
});

export const branches = sqliteTable('branches', {
  id: text('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  timeZone: text('time_zone').notNull(),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const users = sqliteTable('users', {
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
});

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

/** Every shared tenant table, by SQL name. */
export const tenantTables = { settings, roles, branches, users, tax_rates: taxRates } as const;
