// Opens the pieces every cloud entry point needs: the engine, the migrated control plane and the
// tenant context. Takes its configuration as arguments; only the CLI reads the environment.
import { join } from 'node:path';
import { driverErrorCode, isAuthenticationFailure, isConnectionFailure } from '../src/db/driver-errors.ts';
import type { SqlDatabase } from '../src/db/sql.ts';
import { AppError, isAppError } from '../src/errors.ts';
import { loadMigrationSet, MIGRATIONS_DIR } from '../src/migrate/files.ts';
import { migrate } from '../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../src/migrate/targets.ts';
import { type ClusterEngines, createClusterEngines } from './clusters/engines.ts';
import { type ClusterLoadCacheOptions, createClusterLoadCache } from './clusters/load-cache.ts';
import { whereOf } from './clusters/validate.ts';
import { audit } from './control/audit.ts';
import { ensureImplicitCluster } from './control/clusters.ts';
import {
  createLocalNotifications,
  createPostgresNotifications,
  type Notifications,
} from './control/notifications.ts';
import { createEmbeddedEngine } from './engines/embedded.ts';
import type { Engine } from './engines/engine.ts';
import { createPostgresEngine, withDatabase } from './engines/postgres.ts';
import type { Keyring } from './secrets/keyring.ts';
import { KeyedMutex, type TenantContext } from './tenants/context.ts';

export type EngineConfig =
  | { kind: 'postgres'; adminUrl: string }
  | { kind: 'embedded'; dataDir: string; maxOpenInstances?: number; pristineDir?: string };

export interface PlatformConfig {
  engine: EngineConfig;
  keyring: Keyring;
  backupDir: string;
  actor: string;
  controlDatabase?: string;
  templateDatabase?: string;
  migrationsDir?: string;
  afterStep?: TenantContext['afterStep'];
  /** How long placement uses a cluster's load before reading it again (and, for tests, its clock). */
  clusterLoads?: ClusterLoadCacheOptions;
}

export interface Platform {
  /** The deployment's own engine: the control plane's server, cluster `default` (or `embedded`). */
  engine: Engine;
  /** Every cluster's engine, the deployment's own included. */
  clusters: ClusterEngines;
  control: SqlDatabase;
  /** Messages between cloud processes on the control plane's channel (catalog pokes). */
  notifications: Notifications;
  tenants: TenantContext;
  close(): Promise<void>;
}

export async function openPlatform(config: PlatformConfig): Promise<Platform> {
  const controlDatabase = config.controlDatabase ?? 'modernpos_control';
  const templateDatabase = config.templateDatabase ?? 'modernpos_template';
  const migrationsDir = config.migrationsDir ?? MIGRATIONS_DIR;
  const engine =
    config.engine.kind === 'postgres'
      ? createPostgresEngine({ adminUrl: config.engine.adminUrl, templateDatabase, cluster: 'default' })
      : createEmbeddedEngine({
          dataDir: config.engine.dataDir,
          ...(config.engine.maxOpenInstances ? { maxOpenInstances: config.engine.maxOpenInstances } : {}),
          ...(config.engine.pristineDir ? { pristineDir: config.engine.pristineDir } : {}),
        });
  let clusters: ClusterEngines | undefined;
  try {
    if (!(await engine.databaseExists(controlDatabase))) {
      try {
        await engine.createDatabase(controlDatabase);
      } catch (err) {
        if (!(await engine.databaseExists(controlDatabase))) throw err; // lost a race with another node
      }
      // Tenant roles can log in to the cluster; the control plane is none of their business.
      await engine.roles.revokePublicConnect(controlDatabase);
    }
    const control = engine.database(controlDatabase);
    await migrate(
      postgresMigrationTarget(control),
      loadMigrationSet('control', join(migrationsDir, 'control'), 'postgres'),
    );
    // The deployment's own server is a cluster too (an upgraded control plane got it from its migration).
    if (await ensureImplicitCluster(control, engine.cluster, engine.kind)) {
      await audit(control, {
        actor: config.actor,
        action: 'cluster.registered',
        details: { cluster: engine.cluster, kind: engine.kind, implicit: true },
      });
    }
    clusters = createClusterEngines({
      main: engine,
      control,
      keyring: config.keyring,
      templateDatabase,
      mainHost: config.engine.kind === 'postgres' ? whereOf(config.engine.adminUrl) : undefined,
    });
    const lockSessions = engine.kind === 'postgres' ? engine.openDatabase(controlDatabase, 16) : undefined;
    const tenants: TenantContext = {
      engine,
      clusters,
      control,
      keyring: config.keyring,
      tenantMigrations: loadMigrationSet('tenant', join(migrationsDir, 'tenant'), 'postgres'),
      templateDatabase,
      backupDir: config.backupDir,
      actor: config.actor,
      templateMemo: new Set(),
      clusterLoads: createClusterLoadCache(config.clusterLoads),
      orgMutex: new KeyedMutex(),
      ...(lockSessions ? { lockSessions } : {}),
      ...(config.afterStep ? { afterStep: config.afterStep } : {}),
    };
    const notifications =
      config.engine.kind === 'postgres'
        ? createPostgresNotifications(control, withDatabase(config.engine.adminUrl, controlDatabase))
        : createLocalNotifications();
    return {
      engine,
      clusters,
      control,
      notifications,
      tenants,
      close: async () => {
        await lockSessions?.close();
        await clusters?.close();
        await engine.close();
      },
    };
  } catch (err) {
    await clusters?.close().catch(() => {});
    await engine.close().catch(() => {});
    throw describeConnectionError(err, config.engine);
  }
}

/** Turns driver errors about reaching the server into one clear line that names the host but never credentials. */
export function describeConnectionError(err: unknown, engine: EngineConfig): unknown {
  if (isAppError(err) || engine.kind !== 'postgres') return err;
  const code = driverErrorCode(err);
  const u = new URL(engine.adminUrl);
  const where = `${u.hostname}:${u.port || '5432'}`;
  if (isConnectionFailure(err) || /timeout|terminated|connect/i.test(String((err as Error).message))) {
    return new AppError(
      'database_unavailable',
      `cannot reach PostgreSQL at ${where} (${code || 'connection failed'})`,
    );
  }
  if (isAuthenticationFailure(err)) {
    return new AppError(
      'database_unavailable',
      `PostgreSQL at ${where} refused the admin credentials (${code})`,
    );
  }
  return err;
}
