// An import that did not finish: before the switch what it made is rolled back (the copy starts over
// on a rerun); after the switch a rerun only finishes the freeze and the decommission.
import type { SqlDatabase } from '../../../src/db/sql.ts';
import { AppError } from '../../../src/errors.ts';
import { audit } from '../../control/audit.ts';
import type { Organization } from '../../control/organizations.ts';
import type { Engine } from '../../engines/engine.ts';
import type { TenantContext } from '../context.ts';
import { deleteProvisioning } from '../unregistered-database.ts';
import { decommission, revokeLegacyWrites } from './legacy-freeze.ts';
import { schemaExists } from './legacy-source.ts';
import type { Checked, ImportInput, ImportResult, Step } from './request.ts';

/** Drops what an import that did not switch made: the database, its role, the DSN and the org row. */
export async function rollBack(
  ctx: TenantContext,
  engine: Engine,
  org: Organization,
  reason: string,
): Promise<void> {
  await engine.dropDatabase(org.databaseName);
  await engine.roles.dropTenantRole(org.databaseName);
  await ctx.control.query('DELETE FROM tenant_connection_strings WHERE org_id = $1', [org.id]);
  await deleteProvisioning(ctx, org.id);
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.import.rolled_back',
    orgId: org.id,
    details: { reason, cluster: org.cluster },
  });
}

/** The import switched in an earlier run: finish the freeze and, if asked, the decommission. */
export async function finishSwitched(
  ctx: TenantContext,
  legacy: SqlDatabase,
  c: Checked,
  org: Organization,
  input: ImportInput,
  step: Step,
): Promise<ImportResult> {
  const [switched] = await ctx.control.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM audit_logs WHERE org_id = $1 AND action = 'tenant.import.switched'",
    [org.id],
  );
  if (Number(switched?.n ?? 0) === 0) {
    throw new AppError(
      'conflict',
      `organization ${org.id} is ${org.status} but its import from schema ${c.schema} never switched to it; the legacy schema is left as it is`,
    );
  }
  await audit(ctx.control, {
    actor: ctx.actor,
    action: 'tenant.import.resumed',
    orgId: org.id,
    details: { cluster: org.cluster, schema: c.schema, source: c.source, status: org.status },
  });
  if (await schemaExists(legacy, c.schema)) {
    await revokeLegacyWrites(legacy, c.schema);
    await step('legacy_frozen', { schema: c.schema });
  }
  const decommissioned =
    input.decommission === true && (await schemaExists(legacy, c.schema))
      ? await decommission(legacy, c.schema, step)
      : false;
  await step('completed', { decommissioned, alreadyImported: true });
  return {
    orgId: org.id,
    database: org.databaseName,
    cluster: org.cluster,
    source: c.source,
    schema: c.schema,
    legacyVersion: 0,
    schemaVersion: org.schemaVersion,
    tables: [],
    rows: 0,
    frozenMs: 0,
    decommissioned,
    resumed: true,
    alreadyImported: true,
  };
}
