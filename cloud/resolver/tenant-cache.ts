// What the control plane says of a tenant (status, schema version, decrypted DSN), cached for a TTL
// and forgotten on invalidation: kept apart from the pools so the resolver decides what to refuse.

import type { SqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError } from '../../src/errors.ts';
import { loadConnectionString } from '../control/connection-strings.ts';
import { getOrganization, type OrgStatus } from '../control/organizations.ts';
import { isWriteFrozen } from '../control/tenant-moves.ts';
import type { Keyring } from '../secrets/keyring.ts';

export interface CachedTenant {
  status: OrgStatus | 'missing';
  schemaVersion: number;
  dsn?: string;
  /** A move has frozen the tenant's writes: no lease until it switches or thaws. */
  frozen?: boolean;
  expires: number;
}

/** How long a frozen tenant is trusted to stay frozen before the control plane is asked again. */
const FROZEN_TTL_MS = 100;

export interface TenantCacheOptions {
  control: SqlDatabase;
  keyring: Keyring;
  now: () => number;
  dsnTtlMs: number;
  /** TTL of a tenant seen behind `latestSchemaVersion`. */
  migratingTtlMs: number;
  latestSchemaVersion: number | undefined;
  /** The database a stored DSN leads to (the engine's `databaseOf`): the cache never parses DSNs itself. */
  databaseOf: (dsn: string) => string | undefined;
}

export interface TenantCache {
  /**
   * The tenant's entry and the invalidation generation it was read under. An invalidate() while the
   * read is in flight bumps the generation: the result is then not cached, and a caller holding it
   * knows it may be stale.
   */
  read(orgId: string): Promise<{ entry: CachedTenant; generation: number }>;
  isCurrent(orgId: string, generation: number): boolean;
  /** Drops the entry and bumps the generation. */
  forget(orgId: string): void;
  /** The cached DSN, if any. */
  cachedDsn(orgId: string): string | undefined;
  size(): number;
  clear(): void;
}

/** A DSN must lead to the org's own database: a misfiled ciphertext must never route one tenant to another. */
function checkDsn(orgId: string, dsn: string, databaseOf: (dsn: string) => string | undefined): string {
  const expected = tenantDatabaseName(orgId);
  if (databaseOf(dsn) !== expected) {
    throw new AppError(
      'tenant_unavailable',
      `the stored connection string of ${orgId} does not lead to ${expected}`,
    );
  }
  return dsn;
}

export function createTenantCache(options: TenantCacheOptions): TenantCache {
  const { now, dsnTtlMs, migratingTtlMs } = options;
  const latest = options.latestSchemaVersion;
  const cache = new Map<string, CachedTenant>();
  /** Bumped by forget(): a lookup that started before it must not cache what it read. */
  const generations = new Map<string, number>();

  const isCurrent = (orgId: string, generation: number) => (generations.get(orgId) ?? 0) === generation;

  return {
    async read(orgId) {
      const generation = generations.get(orgId) ?? 0;
      let entry = cache.get(orgId);
      if (!entry || entry.expires <= now()) {
        const org = await getOrganization(options.control, orgId);
        const sealed =
          org?.status === 'active' || org?.status === 'suspended'
            ? await loadConnectionString(options.control, orgId)
            : undefined;
        const schemaVersion = org?.schemaVersion ?? 0;
        const behind = latest !== undefined && schemaVersion < latest;
        const frozen = org?.status === 'active' && (await isWriteFrozen(options.control, orgId));
        entry = {
          status: org?.status ?? 'missing',
          schemaVersion,
          expires: now() + (frozen ? Math.min(FROZEN_TTL_MS, dsnTtlMs) : behind ? migratingTtlMs : dsnTtlMs),
        };
        if (frozen) entry.frozen = true;
        if (sealed) entry.dsn = checkDsn(orgId, options.keyring.open(sealed, orgId), options.databaseOf);
        if (isCurrent(orgId, generation)) cache.set(orgId, entry);
      }
      return { entry, generation };
    },
    isCurrent,
    forget(orgId) {
      cache.delete(orgId);
      generations.set(orgId, (generations.get(orgId) ?? 0) + 1);
    },
    cachedDsn: (orgId) => cache.get(orgId)?.dsn,
    size: () => cache.size,
    clear: () => cache.clear(),
  };
}
