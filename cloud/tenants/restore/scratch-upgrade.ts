// A backup of an older tenant schema, made current before the restore: loaded at its own version into
// a scratch database, migrated there and dumped again, so the tenant itself is only touched once.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { latestVersion } from '../../../src/migrate/files.ts';
import { migrate } from '../../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../../src/migrate/targets.ts';
import type { TenantContext } from '../context.ts';
import { dumpTable, listTables } from '../export.ts';
import { type ExportManifestOnDisk, loadTables } from '../restore.ts';
import { requireSameTables } from './checks.ts';

/** Loads an older-schema backup at its own version into a scratch database, migrates it and snapshots it again. */
export async function upgradeInScratch(
  ctx: TenantContext,
  cluster: string | undefined,
  orgId: string,
  manifest: ExportManifestOnDisk,
  backupDir: string,
  work: string,
): Promise<{ dir: string; manifest: ExportManifestOnDisk }> {
  const engine = cluster === undefined ? ctx.engine : await ctx.clusters.engine(cluster);
  const scratch = `modernpos_restore_${orgId}`;
  await engine.dropDatabase(scratch);
  await engine.createDatabase(scratch);
  try {
    const db = engine.openDatabase(scratch);
    try {
      const target = postgresMigrationTarget(db, {});
      await migrate(target, ctx.tenantMigrations, { toVersion: manifest.schemaVersion });
      await db.transaction(async (tx) => {
        await requireSameTables(tx, manifest);
        await loadTables(tx, backupDir, manifest);
      });
      await migrate(target, ctx.tenantMigrations);
      const dir = join(work, 'upgraded');
      mkdirSync(dir);
      const tables = await db.transaction(async (tx) => {
        await tx.exec('SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY');
        const dumped = [];
        for (const table of await listTables(tx)) dumped.push(await dumpTable(tx, table, dir));
        return dumped;
      });
      return {
        dir,
        manifest: {
          ...manifest,
          schemaVersion: latestVersion(ctx.tenantMigrations),
          tables: tables.map((t) => ({ name: t.name, file: t.file, rows: t.rows })),
        },
      };
    } finally {
      await db.close();
    }
  } finally {
    await engine.dropDatabase(scratch).catch(() => {});
  }
}
