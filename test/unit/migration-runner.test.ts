import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { migrate, migrationStatus } from '../../src/migrate/runner.ts';
import { sqliteMigrationTarget } from '../../src/migrate/targets.ts';

let dir: string;
let db: Database.Database;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'modernpos-migrations-'));
  db = new Database(join(dir, 'test.db'));
});
afterEach(() => {
  db.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(name: string, sql: string) {
  writeFileSync(join(dir, name), sql);
}

const load = () => loadMigrationSet('tenant', dir, 'sqlite');

describe('migration runner on SQLite', () => {
  it('applies in order, records version and checksum, and is idempotent', async () => {
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER PRIMARY KEY);');
    write('0002_b.sql', 'CREATE TABLE b (id INTEGER PRIMARY KEY);');
    const target = sqliteMigrationTarget(db);
    const first = await migrate(target, load());
    expect(first).toMatchObject({ current: 2, latest: 2, applied: [1, 2], pending: [] });
    const again = await migrate(target, load());
    expect(again.applied).toEqual([]);
    const rows = db
      .prepare('SELECT component, version, checksum FROM schema_migrations ORDER BY version')
      .all();
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatchObject({ component: 'tenant', version: 1 });
  });

  it('picks the dialect variant over the generic file', async () => {
    write('0001_a.pg.sql', 'CREATE TABLE a (at TIMESTAMPTZ);');
    write('0001_a.sqlite.sql', 'CREATE TABLE a (at TEXT);');
    expect(loadMigrationSet('tenant', dir, 'postgres').migrations[0]!.file).toBe('0001_a.pg.sql');
    await migrate(sqliteMigrationTarget(db), load());
    expect(db.prepare("SELECT type FROM pragma_table_info('a')").get()).toEqual({ type: 'TEXT' });
  });

  it('refuses an applied migration that was edited', async () => {
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER);');
    await migrate(sqliteMigrationTarget(db), load());
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER, x TEXT);');
    await expect(migrate(sqliteMigrationTarget(db), load())).rejects.toThrow(/edited after it was applied/);
  });

  it('refuses a database newer than the code', async () => {
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER);');
    write('0002_b.sql', 'CREATE TABLE b (id INTEGER);');
    await migrate(sqliteMigrationTarget(db), load());
    rmSync(join(dir, '0002_b.sql'));
    await expect(migrationStatus(sqliteMigrationTarget(db), load())).rejects.toThrow(/newer than the code/);
  });

  it('refuses a migration slipped in below the newest applied one (unlike drizzle’s migrator)', async () => {
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER);');
    write('0002_b.sql', 'CREATE TABLE b (id INTEGER);');
    await migrate(sqliteMigrationTarget(db), load());
    db.prepare('DELETE FROM schema_migrations WHERE version = 1').run();
    await expect(migrate(sqliteMigrationTarget(db), load())).rejects.toThrow(/must only be appended/);
  });

  it('rolls back a failing migration whole and keeps the ones before it', async () => {
    write('0001_a.sql', 'CREATE TABLE a (id INTEGER);');
    write('0002_b.sql', 'CREATE TABLE b (id INTEGER); INSERT INTO nope VALUES (1);');
    await expect(migrate(sqliteMigrationTarget(db), load())).rejects.toThrow(/nope/);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'b'").get()).toBeUndefined();
    expect((await migrationStatus(sqliteMigrationTarget(db), load())).current).toBe(1);
  });

  it('refuses badly named, duplicated or gapped migration folders', () => {
    write('0001_a.sql', 'SELECT 1;');
    write('0003_c.sql', 'SELECT 1;');
    expect(load).toThrow(/without gaps/);
    rmSync(join(dir, '0003_c.sql'));
    write('1_bad.sql', 'SELECT 1;');
    expect(load).toThrow(/is not NNNN_name/);
  });

  it('applies the real tenant migrations to SQLite', async () => {
    const set = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite');
    const result = await migrate(sqliteMigrationTarget(db), set);
    expect(result.current).toBe(set.migrations.length);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual(
      expect.arrayContaining(['branches', 'roles', 'settings', 'tax_rates', 'users', 'schema_migrations']),
    );
  });

  it('applies the tenant and then the edge-only migrations to one SQLite store, each versioned on its own', async () => {
    const tenant = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite');
    const edge = loadMigrationSet('edge', join(MIGRATIONS_DIR, 'edge'), 'sqlite');
    await migrate(sqliteMigrationTarget(db), tenant);
    const result = await migrate(sqliteMigrationTarget(db), edge);
    expect(result.current).toBe(edge.migrations.length);
    const versions = db
      .prepare(
        'SELECT component, max(version) AS v FROM schema_migrations GROUP BY component ORDER BY component',
      )
      .all();
    expect(versions).toEqual([
      { component: 'edge', v: edge.migrations.length },
      { component: 'tenant', v: tenant.migrations.length },
    ]);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
      name: string;
    }[];
    expect(tables.map((t) => t.name)).toEqual(
      expect.arrayContaining(['outbox', 'pull_state', 'local_sequences', 'sales']),
    );
  });
});
