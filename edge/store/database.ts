// Opens the edge's SQLite file: WAL, synchronous=FULL by default (a sale answered 201 must survive a
// power cut, not only a killed process), temporary storage in memory, a busy timeout for a second
// process on the same file, and the tenant migrations followed by the edge-only ones.
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { sqliteMigrationTarget } from '../../src/migrate/targets.ts';

/** `full` syncs the WAL on every commit; `normal` may lose the last commits on a power cut (never on a crash). */
export type Synchronous = 'full' | 'normal';

export interface EdgeDatabase {
  sqlite: Database.Database;
  db: BetterSQLite3Database;
  /** The tenant schema version of this store (what the edge tells the cloud). */
  tenantSchemaVersion: number;
  close(): void;
}

export interface OpenEdgeDatabaseOptions {
  synchronous?: Synchronous;
  migrationsDir?: string;
}

export async function openEdgeDatabase(
  file: string,
  options: OpenEdgeDatabaseOptions = {},
): Promise<EdgeDatabase> {
  if (file !== ':memory:') {
    // The store holds sales and (once pulled) cashier PIN hashes: readable by its owner only.
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    closeSync(openSync(file, 'a', 0o600));
  }
  const sqlite = new Database(file);
  try {
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma(`synchronous = ${options.synchronous === 'normal' ? 'NORMAL' : 'FULL'}`);
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    // Savepoint journals (one per write of a group commit) and temporary sorts in memory, not in
    // temporary files: a group's savepoints cost no file writes (docs/edge.md#how-a-sale-is-committed).
    sqlite.pragma('temp_store = MEMORY');
    const dir = options.migrationsDir ?? MIGRATIONS_DIR;
    const target = sqliteMigrationTarget(sqlite);
    const tenant = await migrate(target, loadMigrationSet('tenant', join(dir, 'tenant'), 'sqlite'));
    await migrate(target, loadMigrationSet('edge', join(dir, 'edge'), 'sqlite'));
    return {
      sqlite,
      db: drizzle(sqlite),
      tenantSchemaVersion: tenant.current,
      close: () => sqlite.close(),
    };
  } catch (err) {
    sqlite.close();
    throw err;
  }
}
