// The checks a restore makes before it writes anything: the intent (`--replace` over a tenant, `--as`
// a free id), an interrupted `--as` restore to finish, and the backup's tables against the schema's.
import type { SqlQueryable } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import type { Organization } from '../../control/organizations.ts';
import { type TenantContext, withTemplateLock } from '../context.ts';
import { listTables } from '../export.ts';
import type { ExportManifestOnDisk } from '../restore.ts';
import type { RestoreInput } from '../restore-tenant.ts';

/**
 * A restore `--as` this org that created it and was interrupted before its contents were loaded:
 * running the command again finishes it rather than refusing the org as taken.
 */
export async function unfinishedRestoreAs(
  ctx: TenantContext,
  orgId: string,
  source: string,
): Promise<boolean> {
  const [last] = await ctx.control.query<{ action: string; backup_of: string | null }>(
    `SELECT action, details->>'backupOf' AS backup_of FROM audit_logs
      WHERE org_id = $1 AND action IN ('tenant.restore.created', 'tenant.restored')
      ORDER BY id DESC LIMIT 1`,
    [orgId],
  );
  return last?.action === 'tenant.restore.created' && last.backup_of === source;
}

/** Restoring over a tenant needs `--replace`; restoring as a new one needs the id to be free. */
export function checkIntent(
  existing: Organization | undefined,
  target: string,
  cluster: string | undefined,
  input: RestoreInput,
): 'replaced' | 'created' {
  if (!existing) {
    if (input.replace)
      throw new AppError('not_found', `organization ${target} not found: nothing to replace`);
    return 'created';
  }
  if (input.as !== undefined) {
    throw new AppError(
      'conflict',
      `organization ${target} already exists (status ${existing.status}); --as needs an org id that is not taken`,
    );
  }
  if (existing.status !== 'active' && existing.status !== 'suspended') {
    throw new AppError(
      'conflict',
      `organization ${target} is ${existing.status}; restore its backup as a new tenant with --as NEW_ORG`,
    );
  }
  if (!input.replace) {
    throw new AppError(
      'conflict',
      `organization ${target} exists: restoring replaces everything its database holds with the backup; confirm with --replace, or restore it as a new tenant with --as NEW_ORG`,
      { orgId: target, status: existing.status },
    );
  }
  if (cluster !== undefined && cluster !== existing.cluster) {
    throw new AppError(
      'conflict',
      `organization ${target} is on cluster ${existing.cluster}; a restore over it stays there (restore, then move it with modernpos tenant move)`,
    );
  }
  return 'replaced';
}

/**
 * Before a new tenant is made for a backup at the latest schema, its tables are checked against the
 * template (kept at the latest schema), so a bad file never leaves a tenant behind. Under the template
 * lock: a template copy fails while anyone is connected to it.
 */
export async function checkAgainstTemplate(
  ctx: TenantContext,
  manifest: ExportManifestOnDisk,
): Promise<void> {
  const { engine, templateDatabase } = ctx;
  await withTemplateLock(ctx, engine.cluster, async () => {
    if (!(await engine.databaseExists(templateDatabase))) return;
    const db = engine.openDatabase(templateDatabase, 1);
    try {
      await requireSameTables(db, manifest);
    } finally {
      await db.close();
    }
  });
}

/** The backup's tables are the database's, one for one (a file from another schema is refused). */
export async function requireSameTables(tx: SqlQueryable, manifest: ExportManifestOnDisk): Promise<void> {
  const have = new Set(await listTables(tx));
  const named = new Set(manifest.tables.map((t) => t.name));
  const missing = [...have].filter((t) => !named.has(t) && t !== 'schema_migrations');
  const unknown = [...named].filter((t) => !have.has(t));
  if (missing.length > 0 || unknown.length > 0) {
    throw new AppError(
      'invalid_input',
      `the backup does not match tenant schema ${manifest.schemaVersion}: ${[
        missing.length > 0 ? `missing ${missing.join(', ')}` : '',
        unknown.length > 0 ? `unknown ${unknown.join(', ')}` : '',
      ]
        .filter(Boolean)
        .join('; ')}`,
    );
  }
}
