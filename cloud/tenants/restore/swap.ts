// The swap of a restore, in one transaction on the tenant's database: every table locked (the write
// freeze), emptied and loaded from the backup, the catalog announced again and the devices compared.
import { quoteIdent, type SqlDatabase } from '../../../src/db/sql.ts';
import { tenantDatabaseName } from '../../../src/domain/org-id.ts';
import { AppError } from '../../../src/errors.ts';
import type { Engine } from '../../engines/engine.ts';
import { listTables, tenantSchemaVersion } from '../export.ts';
import { type ExportManifestOnDisk, loadTables } from '../restore.ts';
import type { RestoreResult } from '../restore-tenant.ts';
import { reannounceCatalog } from './catalog.ts';
import { requireSameTables } from './checks.ts';
import { compareDevices, type DeviceRow } from './devices.ts';

/** Longest a restore waits for in-flight transactions on the tenant before giving up (retryable). */
const LOCK_TIMEOUT = '30s';

/**
 * The swap, in one transaction on the tenant's database: every table locked (the write freeze), the
 * devices' positions read, every table emptied and loaded from the backup, the positions compared.
 */
export async function swapContents(
  engine: Engine,
  orgId: string,
  dir: string,
  manifest: ExportManifestOnDisk,
  latest: number,
): Promise<
  Pick<RestoreResult, 'tables' | 'rows' | 'freezeMs' | 'catalogReannounced' | 'devices' | 'devicesLost'>
> {
  const db = engine.openDatabase(tenantDatabaseName(orgId));
  try {
    // A deadlock against a transaction that locked our tables in another order rolls the whole swap
    // back: it is simply taken again, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        return await swapOnce(db, orgId, dir, manifest, latest);
      } catch (err) {
        if ((err as { code?: unknown }).code !== '40P01' || attempt >= DEADLOCK_ATTEMPTS) throw err;
      }
    }
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    if (code === '55P03' || code === '40P01') {
      throw new AppError(
        'database_unavailable',
        `the tables of ${orgId} stayed busy (${code === '55P03' ? `waited ${LOCK_TIMEOUT}` : 'deadlocks with other writers'}); nothing was restored, run the command again`,
      );
    }
    throw err;
  } finally {
    await db.close();
  }
}

const DEADLOCK_ATTEMPTS = 5;

async function swapOnce(
  db: SqlDatabase,
  orgId: string,
  dir: string,
  manifest: ExportManifestOnDisk,
  latest: number,
): Promise<
  Pick<RestoreResult, 'tables' | 'rows' | 'freezeMs' | 'catalogReannounced' | 'devices' | 'devicesLost'>
> {
  return await db.transaction(async (tx) => {
    const version = await tenantSchemaVersion(tx);
    if (version !== latest) {
      throw new AppError(
        'conflict',
        `the database of ${orgId} is at schema ${version}, not ${latest}; run modernpos tenant migrate ${orgId} first`,
      );
    }
    await requireSameTables(tx, manifest);
    // `devices` first: a sync batch locks its device's row before anything else, so it either holds
    // that lock (and this waits for it to commit) or waits behind this, never half-way between.
    const tables = (await listTables(tx))
      .filter((t) => t !== 'schema_migrations')
      .sort((a, b) => (a === 'devices' ? -1 : b === 'devices' ? 1 : a.localeCompare(b)));
    const list = tables.map(quoteIdent).join(', ');
    await tx.exec(`SET LOCAL lock_timeout = '${LOCK_TIMEOUT}'`);
    const frozenAt = performance.now();
    await tx.exec(`LOCK TABLE ${list} IN ACCESS EXCLUSIVE MODE`);
    const before = await tx.query<DeviceRow>('SELECT id, name, last_applied_seq AS last FROM devices');
    await tx.exec(
      'CREATE TEMP TABLE restore_prior_changes ON COMMIT DROP AS SELECT cursor, entity, entity_id FROM change_log',
    );
    await tx.exec(`TRUNCATE ${list}`);
    const loaded = await loadTables(tx, dir, manifest);
    const catalogReannounced = await reannounceCatalog(tx);
    const after = await tx.query<DeviceRow>('SELECT id, name, last_applied_seq AS last FROM devices');
    const { devices, devicesLost } = compareDevices(before, after);
    return {
      ...loaded,
      freezeMs: Math.round(performance.now() - frozenAt),
      catalogReannounced,
      devices,
      devicesLost,
    };
  });
}
