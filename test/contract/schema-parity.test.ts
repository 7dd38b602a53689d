// SPEC §2: one list of tenant migrations serves SQLite (edge) and Postgres/PGlite (cloud); every
// engine must end up with the same tables, columns, nullability and primary keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_DIR } from '../../cloud/platform.ts';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { loadMigrationSet } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget, sqliteMigrationTarget } from '../../src/migrate/targets.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

interface Column {
  table: string;
  column: string;
  type: string;
  notNull: boolean;
  primaryKey: boolean;
}

/** The one place the type mapping is written down: Postgres type → SQLite declared type. */
const sqliteTypeOf: Record<string, string> = {
  text: 'TEXT',
  integer: 'INTEGER',
  bigint: 'INTEGER',
  boolean: 'INTEGER',
  'timestamp with time zone': 'TEXT',
};

function sqliteColumns(db: Database.Database): Column[] {
  const tables = db
    .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    .all() as { name: string }[];
  return tables.flatMap(({ name }) =>
    (
      db.prepare(`SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)`).all(name) as {
        name: string;
        type: string;
        nn: number;
        pk: number;
      }[]
    ).map((c) => ({
      table: name,
      column: c.name,
      type: c.type.toUpperCase(),
      // SQLite lets a non-INTEGER primary key hold NULL unless declared NOT NULL; Postgres never does.
      notNull: c.nn === 1 || c.pk > 0,
      primaryKey: c.pk > 0,
    })),
  );
}

async function postgresColumns(db: SqlQueryable): Promise<Column[]> {
  const rows = await db.query<{ table: string; column: string; type: string; nullable: string; pk: boolean }>(
    `SELECT c.table_name AS table, c.column_name AS column, c.data_type AS type, c.is_nullable AS nullable,
            EXISTS (SELECT 1 FROM information_schema.key_column_usage k
                    JOIN information_schema.table_constraints t USING (constraint_schema, constraint_name)
                    WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name
                      AND k.column_name = c.column_name AND k.table_schema = 'public') AS pk
     FROM information_schema.columns c WHERE c.table_schema = 'public'`,
  );
  return rows.map((r) => ({
    table: r.table,
    column: r.column,
    type: sqliteTypeOf[r.type] ?? `unmapped:${r.type}`,
    notNull: r.nullable === 'NO',
    primaryKey: r.pk,
  }));
}

const sorted = (cols: Column[]) =>
  [...cols].sort((a, b) => a.table.localeCompare(b.table) || a.column.localeCompare(b.column));

describe('tenant schema parity: SQLite and every cloud engine', () => {
  let dir: string;
  let sqlite: Column[];
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modernpos-parity-'));
    const db = new Database(join(dir, 'edge.db'));
    await migrate(
      sqliteMigrationTarget(db),
      loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite'),
    );
    sqlite = sorted(sqliteColumns(db));
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe.each(engineNames)('%s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('has the same tables, columns, nullability and primary keys as SQLite', async () => {
      const name = `modernpos_test_parity_${uniqueId()}`;
      await p.engine.createDatabase(name);
      try {
        const db = p.engine.openDatabase(name);
        await migrate(postgresMigrationTarget(db), p.tenants.tenantMigrations);
        const cloud = sorted(await postgresColumns(db));
        await db.close();
        expect(cloud.length).toBeGreaterThan(10);
        expect(cloud).toEqual(sqlite);
      } finally {
        await p.engine.dropDatabase(name);
      }
    });
  });
});
