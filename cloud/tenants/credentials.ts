// Credential rotation: a new password for one tenant's role, and re-encrypting every DSN under a
// new master key. Neither drops in-flight work: open sessions stay authenticated, and pools are
// replaced once their current users are done.
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { audit } from '../control/audit.ts';
import {
  clusterSealContext,
  clustersSealedWithOtherKeys,
  getCluster,
  storeClusterUrl,
} from '../control/clusters.ts';
import {
  loadConnectionString,
  orgsSealedWithOtherKeys,
  storeConnectionString,
} from '../control/connection-strings.ts';
import { randomSecret } from '../secrets/passwords.ts';
import { CONTROL_LOCKS, engineOf, type TenantContext, withControlLock, withOrgLock } from './context.ts';
import { requireLiveOrg } from './queries.ts';
import { requireOrgId } from './validate.ts';

export async function rotateTenantCredentials(
  ctx: TenantContext,
  orgIdInput: string,
): Promise<{ orgId: string; keyId: string }> {
  const orgId = requireOrgId(orgIdInput);
  return withOrgLock(ctx, orgId, async () => {
    const org = await requireLiveOrg(ctx, orgId, 'given new credentials');
    // The new DSN is stored right after the role changes; a crash between the two leaves the old DSN
    // failing authentication until this command is run again (it is safe to repeat).
    const engine = await engineOf(ctx, org);
    const dsn = await engine.roles.rotateTenantPassword(tenantDatabaseName(orgId), randomSecret(24));
    const sealed = ctx.keyring.seal(dsn, orgId);
    await storeConnectionString(ctx.control, orgId, sealed);
    await audit(ctx.control, {
      actor: ctx.actor,
      action: 'tenant.credentials_rotated',
      orgId,
      details: { keyId: sealed.keyId, cluster: org.cluster },
    });
    await ctx.onTenantChanged?.(orgId);
    return { orgId, keyId: sealed.keyId };
  });
}

/**
 * Re-seals every DSN and every cluster admin URL not under the current master key. Safe to re-run;
 * the old key must stay configured until it reports 0 remaining.
 */
export async function reencryptConnectionStrings(
  ctx: TenantContext,
): Promise<{ keyId: string; reencrypted: number; clusterUrls: number }> {
  return withControlLock(ctx, CONTROL_LOCKS.keys, async (tx) => {
    const { keyring } = ctx;
    const orgIds = await orgsSealedWithOtherKeys(tx, keyring.currentKeyId);
    for (const orgId of orgIds) {
      const sealed = await loadConnectionString(tx, orgId, true);
      if (sealed) await storeConnectionString(tx, orgId, keyring.seal(keyring.open(sealed, orgId), orgId));
    }
    const clusters = await clustersSealedWithOtherKeys(tx, keyring.currentKeyId);
    for (const name of clusters) {
      const sealed = (await getCluster(tx, name, 'update'))?.sealedUrl;
      const context = clusterSealContext(name);
      if (sealed) await storeClusterUrl(tx, name, keyring.seal(keyring.open(sealed, context), context));
    }
    await audit(tx, {
      actor: ctx.actor,
      action: 'keys.rotated',
      details: { keyId: keyring.currentKeyId, reencrypted: orgIds.length, clusterUrls: clusters.length },
    });
    return { keyId: keyring.currentKeyId, reencrypted: orgIds.length, clusterUrls: clusters.length };
  });
}
