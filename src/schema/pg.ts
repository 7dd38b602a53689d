// drizzle tables of a tenant database on Postgres/PGlite. Kept beside src/schema/sqlite.ts, column
// for column: drizzle has no dialect-neutral table, and the parity test proves both match each
// other and the migrations. Instants are read as ISO strings, like on the edge.
import { sql } from 'drizzle-orm';
import { boolean, integer, pgTable, text, timestamp, uniqueIndex } from 'drizzle-orm/pg-core';

const instant = (name: string) => timestamp(name, { withTimezone: true, mode: 'string' });

export const settings = pgTable('settings', {
  key: text('key').primaryKey(),
  value: text('value').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const roles = pgTable('roles', {
  id: text('id').primaryKey(),
  name: text('name').notNull().unique(),
  /** JSON array of permission strings. */
  permissions: text('permissions').notNull(),
});

export const branches = pgTable('branches', {
  id: text('id').primaryKey(),
  code: text('code').notNull().unique(),
  name: text('name').notNull(),
  /** IANA time zone; reports group by the branch's local business date. */
  timeZone: text('time_zone').notNull(),
  active: boolean('active').notNull(),
  createdAt: instant('created_at').notNull(),
  updatedAt: instant('updated_at').notNull(),
});

export const users = pgTable('users', {
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

export const taxRates = pgTable(
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
