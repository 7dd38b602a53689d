// A control plane as the release before clusters left it: control migration 0001 only, and tenants
// onboarded the way that release did (database, own role, tenant migrations, seed, sealed DSN) whose
// `organizations.cluster` is only a label: the admin URL's host:port, or `embedded`.
import { join } from 'node:path';
import { storeConnectionString } from '../../cloud/control/connection-strings.ts';
import { createEmbeddedEngine } from '../../cloud/engines/embedded.ts';
import { createPostgresEngine } from '../../cloud/engines/postgres.ts';
import type { EngineConfig } from '../../cloud/platform.ts';
import type { Keyring } from '../../cloud/secrets/keyring.ts';
import { hashSecret, randomSecret } from '../../cloud/secrets/passwords.ts';
import { tenantMigrationTarget } from '../../cloud/tenants/context.ts';
import { seedTenant } from '../../cloud/tenants/seed.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { latestVersion, loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { migrate } from '../../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../../src/migrate/targets.ts';

/** The label the previous release stored on each organization. */
export function releaseOneLabel(engine: EngineConfig): string {
  if (engine.kind === 'embedded') return 'embedded';
  const u = new URL(engine.adminUrl);
  return `${u.hostname}:${u.port || '5432'}`;
}

export async function createReleaseOneControlPlane(options: {
  engine: EngineConfig;
  keyring: Keyring;
  controlDatabase: string;
  templateDatabase: string;
  orgIds: readonly string[];
}): Promise<void> {
  const { engine: config } = options;
  const engine =
    config.kind === 'postgres'
      ? createPostgresEngine({ adminUrl: config.adminUrl, templateDatabase: options.templateDatabase })
      : createEmbeddedEngine({
          dataDir: config.dataDir,
          ...(config.pristineDir ? { pristineDir: config.pristineDir } : {}),
        });
  try {
    await engine.createDatabase(options.controlDatabase);
    const control = engine.database(options.controlDatabase);
    const controlSet = loadMigrationSet('control', join(MIGRATIONS_DIR, 'control'), 'postgres');
    await migrate(postgresMigrationTarget(control), {
      ...controlSet,
      migrations: controlSet.migrations.filter((m) => m.version === 1),
    });
    const tenantSet = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'postgres');
    for (const orgId of options.orgIds) {
      const database = tenantDatabaseName(orgId);
      const onboarding = { ownerEmail: `owner@${orgId}.test`, timezone: 'UTC', currency: 'EUR' };
      await engine.createDatabase(database);
      const db = engine.openDatabase(database);
      try {
        const dsn = await engine.roles.grantTenantAccess(database, randomSecret(24), db);
        await migrate(tenantMigrationTarget({ engine }, database, db), tenantSet);
        await seedTenant(
          db,
          { name: `Legacy ${orgId}`, onboarding },
          await hashSecret('legacy-owner-password'),
        );
        await control.query(
          `INSERT INTO organizations (id, name, status, cluster, database_name, schema_version, onboarding)
           VALUES ($1, $2, 'active', $3, $4, $5, $6::jsonb)`,
          [
            orgId,
            `Legacy ${orgId}`,
            releaseOneLabel(config),
            database,
            latestVersion(tenantSet),
            JSON.stringify(onboarding),
          ],
        );
        await storeConnectionString(control, orgId, options.keyring.seal(dsn, orgId));
      } finally {
        await db.close();
      }
    }
  } finally {
    await engine.close();
  }
}
