// The template database every tenant is copied from (CREATE DATABASE … TEMPLATE on Postgres, a
// directory copy on PGlite). Kept migrated to the latest tenant schema so new tenants start current.
import { latestVersion } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { CONTROL_LOCKS, type TenantContext, tenantMigrationTarget, withControlLock } from './context.ts';

/**
 * Creates a tenant database from the template, first creating or migrating the template. Holds the
 * control-plane template lock throughout, so no process migrates the template while it is copied.
 */
export async function createFromTemplate(ctx: TenantContext, database: string): Promise<void> {
  await withControlLock(ctx, CONTROL_LOCKS.template, async () => {
    const { engine, templateDatabase: template } = ctx;
    if (!(await engine.databaseExists(template))) await engine.createDatabase(template);
    await engine.prepareTemplate(template);
    const result = await migrate(tenantMigrationTarget(ctx, template), ctx.tenantMigrations);
    if (result.current !== latestVersion(ctx.tenantMigrations)) {
      throw new Error(`template ${template} stopped at version ${result.current}`);
    }
    await engine.closeDatabase(template);
    await engine.createDatabase(database, { template });
  });
}
