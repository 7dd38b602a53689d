// A legacy schema-per-tenant database (docs/import.md): one database holding several tenants, each a
// schema with the tenant tables at a chosen tenant schema version and some sales. For the import
// tests and the import benchmark: `buildLegacyDatabase(adminUrl, 'legacy_db', [{ schema: 'org_a',
// version: 9, sales: 1000 }])`.
import { join } from 'node:path';
import pg from 'pg';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { quoteIdent, quoteLiteral } from '../../src/db/sql.ts';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';

export interface LegacyTenant {
  schema: string;
  /** The tenant schema version its tables are at (1 … latest). */
  version: number;
  /** Sales to insert (each with `linesPerSale` lines, one payment and a stock movement per line). */
  sales: number;
  linesPerSale?: number;
  /** Record the applied migrations in the schema's own `schema_migrations`, as the runner would. */
  ledger?: boolean;
  /** The `organization_name` setting. */
  name?: string;
}

const tenantSet = () => loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'postgres');

/** Drops and recreates `database` on the server of `adminUrl` and fills it with `tenants`. */
export async function buildLegacyDatabase(
  adminUrl: string,
  database: string,
  tenants: readonly LegacyTenant[],
): Promise<string> {
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`);
    await admin.query(`CREATE DATABASE ${quoteIdent(database)}`);
  } finally {
    await admin.end();
  }
  const url = withDatabase(adminUrl, database);
  for (const t of tenants) await addLegacyTenant(url, t);
  return url;
}

/** Adds one tenant schema to the legacy database at `url`. */
export async function addLegacyTenant(url: string, t: LegacyTenant): Promise<void> {
  const set = tenantSet();
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const schema = quoteIdent(t.schema);
    await client.query(`CREATE SCHEMA ${schema}`);
    await client.query(`SET search_path TO ${schema}`);
    for (const m of set.migrations.filter((x) => x.version <= t.version)) await client.query(m.sql);
    if (t.ledger) {
      await client.query(`CREATE TABLE schema_migrations (
        component TEXT NOT NULL, version INTEGER NOT NULL, name TEXT NOT NULL, checksum TEXT NOT NULL,
        applied_at TEXT NOT NULL, PRIMARY KEY (component, version))`);
      for (const m of set.migrations.filter((x) => x.version <= t.version)) {
        await client.query(`INSERT INTO schema_migrations VALUES ('tenant', $1, $2, $3, now()::text)`, [
          m.version,
          m.name,
          m.checksum,
        ]);
      }
    }
    await client.query(fillSql(t));
  } finally {
    await client.end();
  }
}

/** The tenant's rows, in SQL over generate_series (fast enough for a million sale lines). */
function fillSql(t: LegacyTenant): string {
  const lines = t.linesPerSale ?? 3;
  const v6 = t.version >= 6;
  const at = "timestamptz '2026-01-01 12:00:00+00'";
  return `
INSERT INTO settings (key, value, updated_at) VALUES
  ('organization_name', ${quoteLiteral(t.name ?? `Legacy ${t.schema}`)}, ${at}),
  ('time_zone', 'UTC', ${at}), ('currency', 'USD', ${at});
INSERT INTO roles (id, name, permissions) VALUES ('owner', 'Owner', '["*"]'), ('cashier', 'Cashier', '["sales:write"]');
INSERT INTO branches (id, code, name, time_zone, active, created_at, updated_at) VALUES ('b-main', 'MAIN', 'Main', 'UTC', true, ${at}, ${at});
INSERT INTO users (id, email, name, role_id, password_hash, active, created_at, updated_at)
  VALUES ('u-owner', 'owner@${t.schema.toLowerCase()}.example', 'Owner', 'owner', NULL, true, ${at}, ${at});
INSERT INTO tax_rates (id, name, rate_bp, inclusive, is_default, created_at, updated_at)
  VALUES ('tax-std', 'Standard', 2000, false, true, ${at}, ${at});
INSERT INTO products (id, sku, barcode, name, category, tax_rate_id, active, created_at, updated_at)
  SELECT 'p' || g, 'SKU' || g, NULL, 'Product ' || g, NULL, 'tax-std', true, ${at}, ${at} FROM generate_series(1, 20) g;
INSERT INTO sales (id, receipt_no, kind, branch_code, terminal, cashier, cashier_user_id, currency, subtotal_minor,
    discount_minor, tax_minor, total_minor, change_minor, occurred_at, business_date, flags, received_at)
  SELECT 's' || g, 'MAIN-T1-' || g, 'sale', 'MAIN', 'T1', 'Owner', 'u-owner', 'USD', ${1000 * lines}, 0, ${200 * lines},
    ${1200 * lines}, 0, ${at} - g * interval '1 minute', (${at} - g * interval '1 minute')::date, '[]', ${at}
  FROM generate_series(1, ${t.sales}) g;
INSERT INTO sale_lines (sale_id, line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor,
    tax_rate_bp, tax_inclusive, tax_minor, total_minor, flags${v6 ? ', business_date, kind, branch_code' : ''})
  SELECT 's' || g, l, 'p' || ((g + l) % 20 + 1), 'Product ' || ((g + l) % 20 + 1), 1000, 1000, 1000, 0, 2000, false, 200, 1200, '[]'
    ${v6 ? `, (${at} - g * interval '1 minute')::date, 'sale', 'MAIN'` : ''}
  FROM generate_series(1, ${t.sales}) g, generate_series(1, ${lines}) l;
INSERT INTO payments (sale_id, payment_no, method, amount_minor, tendered_minor, change_minor${v6 ? ', business_date, kind, branch_code' : ''})
  SELECT 's' || g, 1, 'cash', ${1200 * lines}, ${1200 * lines}, 0${v6 ? `, (${at} - g * interval '1 minute')::date, 'sale', 'MAIN'` : ''}
  FROM generate_series(1, ${t.sales}) g;
INSERT INTO stock_movements (id, branch_code, product_id, delta_qty_milli, reason, occurred_at, source_id)
  SELECT 'm' || g || '-' || l, 'MAIN', 'p' || ((g + l) % 20 + 1), -1000, 'sale', ${at} - g * interval '1 minute', 's' || g
  FROM generate_series(1, ${t.sales}) g, generate_series(1, ${lines}) l;
ANALYZE;`;
}
