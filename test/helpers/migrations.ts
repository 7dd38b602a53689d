// Builds migration sets with extra steps, for rollout tests and benchmarks; runs a tenant migration's
// test on a new database of each engine.
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlQueryable } from '../../src/db/sql.ts';
import { loadMigrationSet, MIGRATIONS_DIR, type MigrationSet } from '../../src/migrate/files.ts';
import type { MigrationTarget } from '../../src/migrate/runner.ts';
import {
  postgresMigrationTarget,
  sqliteMigrationTarget,
  sqliteQueryable,
} from '../../src/migrate/targets.ts';
import { type TestPlatform, uniqueId } from './engines.ts';

/** `set` plus one more migration with `sql`, numbered next. */
export function withExtraMigration(set: MigrationSet, sql: string, name = 'test_extra'): MigrationSet {
  const version = set.migrations.length + 1;
  return {
    component: set.component,
    migrations: [
      ...set.migrations,
      {
        version,
        name,
        file: `${String(version).padStart(4, '0')}_${name}.sql`,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      },
    ],
  };
}

/** What a tenant migration's test runs on one engine: the target to migrate, the same database to query, the tenant set. */
export type MigrationCheck = (target: MigrationTarget, db: SqlQueryable, set: MigrationSet) => Promise<void>;

/** Runs `check` on a new edge database file (SQLite, the tenant set's SQLite files), removed after. */
export async function onNewEdgeDatabase(
  check: (...args: [...Parameters<MigrationCheck>, sqlite: Database.Database]) => Promise<void>,
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-migration-'));
  const sqlite = new Database(join(dir, 'edge.db'));
  try {
    const set = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'sqlite');
    await check(sqliteMigrationTarget(sqlite), sqliteQueryable(sqlite), set, sqlite);
  } finally {
    sqlite.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs `check` on a new, empty database of `p`'s engine (the cloud's tenant set), dropped after. */
export async function onNewCloudDatabase(p: TestPlatform, check: MigrationCheck): Promise<void> {
  const name = `modernpos_test_${uniqueId('mig')}`;
  await p.engine.createDatabase(name);
  const db = p.engine.openDatabase(name);
  try {
    await check(postgresMigrationTarget(db), db, p.tenants.tenantMigrations);
  } finally {
    await db.close();
    await p.engine.dropDatabase(name);
  }
}
