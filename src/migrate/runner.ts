// The migration runner for control, tenant and edge databases. Each pending migration runs in its
// own transaction under a per-database lock, re-checking what is applied once the lock is held, so
// two runners never race and a crash leaves every migration either applied and recorded or not at all.

import type { SqlQueryable } from '../db/sql.ts';
import { AppError } from '../errors.ts';
import { type Dialect, latestVersion, type MigrationSet } from './files.ts';

/** A database the runner can migrate: a dialect and a way to run a transaction that holds the database's migration lock. */
export interface MigrationTarget {
  readonly dialect: Dialect;
  lockedTransaction<T>(fn: (tx: SqlQueryable) => Promise<T>): Promise<T>;
}

export interface MigrationStatus {
  component: string;
  current: number;
  latest: number;
  pending: number[];
}

export interface MigrationResult extends MigrationStatus {
  applied: number[];
}

interface AppliedRow {
  version: number;
  name: string;
  checksum: string;
}

const ledgerDdl = `CREATE TABLE IF NOT EXISTS schema_migrations (
  component TEXT NOT NULL,
  version INTEGER NOT NULL,
  name TEXT NOT NULL,
  checksum TEXT NOT NULL,
  applied_at TEXT NOT NULL,
  PRIMARY KEY (component, version)
)`;

async function readApplied(tx: SqlQueryable, component: string): Promise<AppliedRow[]> {
  await tx.exec(ledgerDdl);
  const rows = await tx.query<{ version: number | string; name: string; checksum: string }>(
    'SELECT version, name, checksum FROM schema_migrations WHERE component = $1 ORDER BY version',
    [component],
  );
  return rows.map((r) => ({ version: Number(r.version), name: r.name, checksum: r.checksum }));
}

/** Compares what a database has applied with this build's files; throws `migration_mismatch` on any disagreement. */
function plan(set: MigrationSet, applied: readonly AppliedRow[]): number[] {
  const byVersion = new Map(set.migrations.map((m) => [m.version, m]));
  for (const row of applied) {
    const m = byVersion.get(row.version);
    if (!m) {
      throw new AppError(
        'migration_mismatch',
        `${set.component} migration ${row.version} (${row.name}) is applied to this database but unknown to this build; the database is newer than the code`,
      );
    }
    if (m.checksum !== row.checksum) {
      throw new AppError(
        'migration_mismatch',
        `${set.component} migration ${m.file} was edited after it was applied (checksum differs); add a new migration instead`,
      );
    }
  }
  const done = new Set(applied.map((r) => r.version));
  const top = applied.at(-1)?.version ?? 0;
  const pending = set.migrations.filter((m) => !done.has(m.version)).map((m) => m.version);
  const early = pending.find((v) => v < top);
  if (early !== undefined) {
    throw new AppError(
      'migration_mismatch',
      `${set.component} migration ${early} is not applied but ${top} is; migrations must only be appended`,
    );
  }
  return pending;
}

export async function migrationStatus(target: MigrationTarget, set: MigrationSet): Promise<MigrationStatus> {
  return target.lockedTransaction(async (tx) => {
    const applied = await readApplied(tx, set.component);
    const pending = plan(set, applied);
    return {
      component: set.component,
      current: applied.at(-1)?.version ?? 0,
      latest: latestVersion(set),
      pending,
    };
  });
}

export interface MigrateOptions {
  /** Stop at this version instead of the latest (tests and staged rollouts). */
  toVersion?: number;
  /** Called after each migration commits. */
  onApplied?: (version: number, name: string) => void;
}

/** Applies every pending migration of `set`, one transaction each. Idempotent; safe to run concurrently. */
export async function migrate(
  target: MigrationTarget,
  set: MigrationSet,
  options: MigrateOptions = {},
): Promise<MigrationResult> {
  const stop = options.toVersion ?? latestVersion(set);
  const applied: number[] = [];
  let current = 0;
  for (;;) {
    const step = await target.lockedTransaction(async (tx) => {
      const rows = await readApplied(tx, set.component);
      const pending = plan(set, rows).filter((v) => v <= stop);
      const at = rows.at(-1)?.version ?? 0;
      const next = pending[0];
      if (next === undefined) return { at, ran: undefined, more: false };
      const m = set.migrations.find((x) => x.version === next)!;
      await tx.exec(m.sql);
      await tx.query(
        'INSERT INTO schema_migrations (component, version, name, checksum, applied_at) VALUES ($1, $2, $3, $4, $5)',
        [set.component, m.version, m.name, m.checksum, new Date().toISOString()],
      );
      return { at: m.version, ran: m, more: pending.length > 1 };
    });
    current = step.at;
    if (step.ran) {
      applied.push(step.ran.version);
      options.onApplied?.(step.ran.version, step.ran.name);
    }
    if (!step.more) break;
  }
  return {
    component: set.component,
    current,
    latest: latestVersion(set),
    pending: set.migrations.map((m) => m.version).filter((v) => v > current),
    applied,
  };
}
