// Preparing the new tenant database at the legacy schema's version: migrated one version at a time
// until its tables and columns match the legacy schema exactly, or refused with the differences.
import type { SqlDatabase } from '../../../src/db/sql.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import type { Engine } from '../../engines/engine.ts';
import { type TenantContext, tenantMigrationTarget } from '../context.ts';
import { readLedger, readStructure, type Structure } from './legacy-source.ts';
import type { Checked } from './request.ts';
import { describeDiff, diffSize, diffStructure, type StructureDiff } from './structure.ts';

/**
 * Migrates the empty new database one version at a time until its tables and columns are exactly the
 * legacy schema's (at the version its ledger names, when it has one). Nothing matching is refused,
 * with the differences from the closest version.
 */
export async function prepareAtLegacyVersion(
  ctx: TenantContext,
  legacy: SqlDatabase,
  engine: Engine,
  db: SqlDatabase,
  c: Checked,
  structure: Structure,
): Promise<number> {
  const set = ctx.tenantMigrations;
  const target = tenantMigrationTarget({ engine }, tenantDatabaseName(c.orgId), db);
  const ledger = await readLedger(legacy, c.schema);
  if (ledger) {
    for (const [version, checksum] of ledger) {
      const m = set.migrations.find((x) => x.version === version);
      if (!m) {
        throw new AppError(
          'migration_mismatch',
          `schema ${c.schema} records tenant migration ${version}, which this build does not have; import it with a build at least that new`,
        );
      }
      if (m.checksum !== checksum) {
        throw new AppError(
          'migration_mismatch',
          `schema ${c.schema} records tenant migration ${m.file} with another checksum: its tables are not this build's at that version`,
        );
      }
    }
    const version = Math.max(...ledger.keys());
    await migrate(target, set, { toVersion: version });
    const diff = diffStructure(structure, await readStructure(db, 'public'));
    if (diffSize(diff) > 0) throw layoutRefused(c, version, diff, true);
    return version;
  }
  let best: { version: number; diff: StructureDiff } | undefined;
  for (const m of set.migrations) {
    await migrate(target, set, { toVersion: m.version });
    const diff = diffStructure(structure, await readStructure(db, 'public'));
    if (diffSize(diff) === 0) return m.version;
    if (!best || diffSize(diff) <= diffSize(best.diff)) best = { version: m.version, diff };
  }
  throw layoutRefused(c, best?.version ?? 0, best?.diff, false);
}

export function layoutRefused(
  c: Checked,
  version: number,
  diff: StructureDiff | undefined,
  fromLedger: boolean,
): AppError {
  const why = diff ? describeDiff(diff) : 'no tenant migrations';
  return new AppError(
    'invalid_input',
    fromLedger
      ? `schema ${c.schema} does not hold the tenant tables of schema version ${version} its ledger records: ${why}; nothing was imported`
      : `schema ${c.schema} does not hold the tenant tables of any schema version (closest: ${version}): ${why}; nothing was imported`,
    { schema: c.schema, closestVersion: version, ...diff },
  );
}
