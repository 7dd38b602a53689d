// Opens the pieces every cloud entry point needs: the engine, the migrated control plane and the
// tenant context. Takes its configuration as arguments; only the CLI reads the environment.
import { join } from 'node:path';
import { driverErrorCode, isAuthenticationFailure, isConnectionFailure } from '../src/db/driver-errors.ts';
import type { SqlDatabase } from '../src/db/sql.ts';
import { AppError, isAppError } from '../src/errors.ts';
import { loadMigrationSet, MIGRATIONS_DIR } from '../src/migrate/files.ts';
import { migrate } from '../src/migrate/runner.ts';
import { postgresMigrationTarget } from '../src/migrate/targets.ts';
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
}

export interface Platform {
  engine: Engine;
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
      ? createPostgresEngine({ adminUrl: config.engine.adminUrl, templateDatabase })
      : createEmbeddedEngine({
          dataDir: config.engine.dataDir,
          ...(config.engine.maxOpenInstances ? { maxOpenInstances: config.engine.maxOpenInstances } : {}),
          ...(config.engine.pristineDir ? { pristineDir: config.engine.pristineDir } : {}),
        });
  try {
    if (!(await engine.databaseExists(controlDatabase))) {
      try {
        await engine.createDatabase(controlDatabase);
      } catch (err) {
        if (!(await engine.databaseExists(controlDatabase))) throw err; // lost a race with another node
      }
      // Tenant roles can log in to the cluster; the control plane is none of their business.
      await engine.revokePublicConnect(controlDatabase);
    }
    const control = engine.database(controlDatabase);
    await migrate(
      postgresMigrationTarget(control),
      loadMigrationSet('control', join(migrationsDir, 'control'), 'postgres'),
    );
    const lockSessions = engine.kind === 'postgres' ? engine.openDatabase(controlDatabase, 16) : undefined;
    const tenants: TenantContext = {
      engine,
      control,
      keyring: config.keyring,
      tenantMigrations: loadMigrationSet('tenant', join(migrationsDir, 'tenant'), 'postgres'),
      templateDatabase,
      backupDir: config.backupDir,
      actor: config.actor,
      templateMemo: new Set(),
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
      control,
      notifications,
      tenants,
      close: async () => {
        await lockSessions?.close();
        await engine.close();
      },
    };
  } catch (err) {
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
