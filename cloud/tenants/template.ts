// The template database every tenant is copied from (CREATE DATABASE … TEMPLATE on Postgres, a
// directory copy on PGlite). Kept migrated to the latest tenant schema so new tenants start current.
import { latestVersion } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import type { Engine } from '../engines/engine.ts';
import { type TenantContext, tenantMigrationTarget, withTemplateLock } from './context.ts';

/**
 * Creates a tenant database on `engine`'s cluster from that cluster's template, first creating or migrating the template. Holds the
 * template lock throughout, so no process migrates the template while it is copied.
 * Once this process has seen the template at the latest version it skips that check (~20 ms of
 * connecting and locking per onboarding); if the copy then fails, it checks again and retries once.
 */
export async function createFromTemplate(
  ctx: TenantContext,
  engine: Engine,
  database: string,
): Promise<void> {
  const { templateDatabase: template, tenantMigrations } = ctx;
  const memoKey = `${engine.cluster}/${template}@${tenantMigrations.migrations.at(-1)?.checksum ?? 'empty'}`;
  await withTemplateLock(ctx, engine.cluster, async () => {
    for (let attempt = 0; ; attempt++) {
      if (!ctx.templateMemo?.has(memoKey)) {
        if (!(await engine.databaseExists(template))) await engine.createDatabase(template);
        await engine.roles.prepareTemplate(template);
        const result = await migrate(
          tenantMigrationTarget({ engine }, template, engine.database(template)),
          tenantMigrations,
        );
        if (result.current !== latestVersion(tenantMigrations)) {
          throw new Error(`template ${template} stopped at version ${result.current}`);
        }
        await engine.closeDatabase(template);
        ctx.templateMemo?.add(memoKey);
      }
      try {
        await engine.createDatabase(database, { template });
        return;
      } catch (err) {
        if (attempt > 0 || !ctx.templateMemo?.delete(memoKey) || (await engine.databaseExists(database)))
          throw err;
      }
    }
  });
}
