// SPEC §2: one list of tenant migrations serves SQLite (edge) and Postgres/PGlite (cloud). Every
// engine must end up with the same tables, columns, nullability, keys, indexes and foreign keys,
// mapped as src/schema/type-mapping.ts says, and the drizzle tables of src/schema must match them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { getTableConfig as pgTableConfig } from 'drizzle-orm/pg-core';
import { getTableConfig as sqliteTableConfig } from 'drizzle-orm/sqlite-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget, sqliteMigrationTarget } from '../../src/migrate/targets.ts';
import { tenantTables as pgTables } from '../../src/schema/pg.ts';
import { tenantTables as sqliteTables } from '../../src/schema/sqlite.ts';
import { sqliteTypeFor } from '../../src/schema/type-mapping.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';

interface Shape {
  columns: string[];
  /** Postgres only: columns with their exact Postgres types (the SQLite mapping is lossy). */
  pgColumns?: string[];
  indexes: string[];
  foreignKeys: string[];
}

/** Tables the migration runner owns rather than the tenant schema. */
const RUNNER_TABLES = ['schema_migrations'];

const col = (table: string, column: string, type: string, notNull: boolean, pk: boolean) =>
  `${table}.${column} ${type}${notNull ? ' NOT NULL' : ''}${pk ? ' PK' : ''}`;

function sqliteShape(db: Database.Database): Shape {
  const tables = (
    db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
      name: string;
    }[]
  ).map((t) => t.name);
  const columns: string[] = [];
  const indexes: string[] = [];
  const foreignKeys: string[] = [];
  for (const table of tables) {
    for (const c of db
      .prepare('SELECT name, type, "notnull" AS nn, pk FROM pragma_table_info(?)')
      .all(table) as {
      name: string;
      type: string;
      nn: number;
      pk: number;
    }[]) {
      // A non-INTEGER primary key in SQLite holds NULL unless declared NOT NULL: the migrations declare it.
      columns.push(col(table, c.name, c.type.toUpperCase(), c.nn === 1, c.pk > 0));
    }
    // An INTEGER PRIMARY KEY is SQLite's rowid: unique and indexed, though pragma_index_list lists no index.
    const keys = db.prepare('SELECT name, type FROM pragma_table_info(?) WHERE pk > 0').all(table) as {
      name: string;
      type: string;
    }[];
    if (keys.length === 1 && keys[0]!.type.toUpperCase() === 'INTEGER')
      indexes.push(`${table}(${keys[0]!.name}) UNIQUE`);
    for (const ix of db
      .prepare('SELECT name, "unique" AS u, partial FROM pragma_index_list(?)')
      .all(table) as {
      name: string;
      u: number;
      partial: number;
    }[]) {
      const cols = (
        db.prepare('SELECT name FROM pragma_index_info(?) ORDER BY seqno').all(ix.name) as { name: string }[]
      )
        .map((c) => c.name)
        .join(',');
      indexes.push(`${table}(${cols})${ix.u ? ' UNIQUE' : ''}${ix.partial ? ' PARTIAL' : ''}`);
    }
    for (const fk of db
      .prepare('SELECT "from" AS f, "table" AS t, "to" AS c FROM pragma_foreign_key_list(?)')
      .all(table) as {
      f: string;
      t: string;
      c: string;
    }[]) {
      foreignKeys.push(`${table}.${fk.f} -> ${fk.t}.${fk.c}`);
    }
  }
  return { columns: columns.sort(), indexes: indexes.sort(), foreignKeys: foreignKeys.sort() };
}

async function postgresShape(db: SqlQueryable): Promise<Shape> {
  const cols = await db.query<{ table: string; column: string; type: string; nullable: string; pk: boolean }>(
    `SELECT c.table_name AS table, c.column_name AS column, c.data_type AS type, c.is_nullable AS nullable,
            EXISTS (SELECT 1 FROM information_schema.key_column_usage k
                    JOIN information_schema.table_constraints t USING (constraint_schema, constraint_name)
                    WHERE t.constraint_type = 'PRIMARY KEY' AND k.table_name = c.table_name
                      AND k.column_name = c.column_name AND k.table_schema = 'public') AS pk
     FROM information_schema.columns c WHERE c.table_schema = 'public'`,
  );
  const ixs = await db.query<{ table: string; cols: string; unique: boolean; partial: boolean }>(
    `SELECT t.relname AS table, i.indisunique AS unique, i.indpred IS NOT NULL AS partial,
            (SELECT string_agg(a.attname, ',' ORDER BY k.ord) FROM unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
             JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS cols
     FROM pg_index i JOIN pg_class t ON t.oid = i.indrelid JOIN pg_namespace n ON n.oid = t.relnamespace
     WHERE n.nspname = 'public'`,
  );
  const fks = await db.query<{ fk: string }>(
    `SELECT c.relname || '.' || a.attname || ' -> ' || p.relname || '.' || pa.attname AS fk
     FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
     JOIN pg_namespace n ON n.oid = c.relnamespace
     JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = k.conkey[1]
     JOIN pg_attribute pa ON pa.attrelid = p.oid AND pa.attnum = k.confkey[1]
     WHERE k.contype = 'f' AND n.nspname = 'public'`,
  );
  return {
    pgColumns: cols.map((c) => col(c.table, c.column, c.type, c.nullable === 'NO', c.pk)).sort(),
    columns: cols
      .map((c) =>
        col(c.table, c.column, sqliteTypeFor(c.type) ?? `unmapped:${c.type}`, c.nullable === 'NO', c.pk),
      )
      .sort(),
    indexes: ixs
      .map((i) => `${i.table}(${i.cols})${i.unique ? ' UNIQUE' : ''}${i.partial ? ' PARTIAL' : ''}`)
      .sort(),
    foreignKeys: fks.map((f) => f.fk).sort(),
  };
}

/** What the drizzle tables declare, in the same notation (Postgres types mapped to SQLite's). */
function drizzleColumns(): { pg: string[]; sqlite: string[] } {
  const pg = Object.values(pgTables).flatMap((table) => {
    const config = pgTableConfig(table);
    const composite = new Set(config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)));
    return config.columns.map((c) =>
      col(
        config.name,
        c.name,
        sqliteTypeFor(c.getSQLType()) ?? c.getSQLType(),
        c.notNull,
        c.primary || composite.has(c.name),
      ),
    );
  });
  const sqlite = Object.values(sqliteTables).flatMap((table) => {
    const config = sqliteTableConfig(table);
    const composite = new Set(config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)));
    return config.columns.map((c) =>
      col(config.name, c.name, c.getSQLType().toUpperCase(), c.notNull, c.primary || composite.has(c.name)),
    );
  });
  return { pg: pg.sort(), sqlite: sqlite.sort() };
}

/** The Postgres drizzle tables' columns with their exact Postgres types. */
function drizzlePgColumns(): string[] {
  return Object.values(pgTables)
    .flatMap((table) => {
      const config = pgTableConfig(table);
      const composite = new Set(config.primaryKeys.flatMap((k) => k.columns.map((c) => c.name)));
      return config.columns.map((c) =>
        col(config.name, c.name, c.getSQLType(), c.notNull, c.primary || composite.has(c.name)),
      );
    })
    .sort();
}

/** The indexes the drizzle tables declare, implicit ones (primary keys, unique columns) included. */
function drizzleIndexes(): { pg: string[]; sqlite: string[] } {
  const indexLines = (
    name: string,
    columns: { name: string; primary: boolean; isUnique: boolean }[],
    primaryKeys: { columns: { name: string }[] }[],
    indexes: { config: { columns: unknown[]; unique: boolean; where?: unknown } }[],
  ) => [
    ...columns.filter((c) => c.primary).map((c) => `${name}(${c.name}) UNIQUE`),
    ...primaryKeys.map((k) => `${name}(${k.columns.map((c) => c.name).join(',')}) UNIQUE`),
    ...columns.filter((c) => c.isUnique).map((c) => `${name}(${c.name}) UNIQUE`),
    ...indexes.map(
      (i) =>
        `${name}(${(i.config.columns as { name: string }[]).map((c) => c.name).join(',')})${i.config.unique ? ' UNIQUE' : ''}${i.config.where ? ' PARTIAL' : ''}`,
    ),
  ];
  const pg = Object.values(pgTables).flatMap((t) => {
    const c = pgTableConfig(t);
    return indexLines(c.name, c.columns, c.primaryKeys, c.indexes);
  });
  const sqlite = Object.values(sqliteTables).flatMap((t) => {
    const c = sqliteTableConfig(t);
    return indexLines(c.name, c.columns, c.primaryKeys, c.indexes);
  });
  return { pg: pg.sort(), sqlite: sqlite.sort() };
}

const withoutRunnerTables = (lines: string[]) =>
  lines.filter((l) => !RUNNER_TABLES.some((t) => l.startsWith(`${t}.`) || l.startsWith(`${t}(`)));

describe('tenant schema parity: SQLite, every cloud engine and the drizzle tables', () => {
  let dir: string;
  let sqlite: Shape;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'modernpos-parity-'));
    const db = new Database(join(dir, 'edge.db'));
    await migrate(
      sqliteMigrationTarget(db),
      loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite'),
    );
    sqlite = sqliteShape(db);
    db.close();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('the drizzle tables match the migrated SQLite schema, and each other', () => {
    const declared = drizzleColumns();
    expect(declared.sqlite).toEqual(withoutRunnerTables(sqlite.columns));
    expect(declared.pg).toEqual(declared.sqlite);
    const declaredIndexes = drizzleIndexes();
    expect(declaredIndexes.sqlite).toEqual(withoutRunnerTables(sqlite.indexes));
    expect(declaredIndexes.pg).toEqual(declaredIndexes.sqlite);
    expect(Object.keys(pgTables).sort()).toEqual(Object.keys(sqliteTables).sort());
  });

  describe.each(engineNames)('%s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('has the same tables, columns, nullability, keys, indexes and foreign keys as SQLite', async () => {
      const name = `modernpos_test_parity_${uniqueId()}`;
      await p.engine.createDatabase(name);
      try {
        const db = p.engine.openDatabase(name);
        await migrate(postgresMigrationTarget(db), p.tenants.tenantMigrations);
        const cloud = await postgresShape(db);
        await db.close();
        expect(cloud.columns.length).toBeGreaterThan(10);
        expect(cloud.indexes.length).toBeGreaterThan(5);
        expect(cloud.foreignKeys).toContain('users.role_id -> roles.id');
        expect(cloud.columns).toEqual(sqlite.columns);
        expect(cloud.indexes).toEqual(sqlite.indexes);
        expect(cloud.foreignKeys).toEqual(sqlite.foreignKeys);
        expect(withoutRunnerTables(cloud.columns)).toEqual(drizzleColumns().pg);
        // Exact types too: money declared as 32-bit integer, or a date as text, would fail here.
        expect(withoutRunnerTables(cloud.pgColumns ?? [])).toEqual(drizzlePgColumns());
      } finally {
        await p.engine.dropDatabase(name);
      }
    });
  });
});
