// The `clusters` registry of the control plane: the servers tenant databases live on. Only ciphertext
// and a key id of an admin URL ever reach the control database.
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { Sealed } from '../secrets/keyring.ts';

export type ClusterKind = 'postgres' | 'embedded';
export type ClusterStatus = 'active' | 'draining' | 'removed';

export interface ClusterRow {
  name: string;
  kind: ClusterKind;
  region: string | null;
  status: ClusterStatus;
  /** Absent for the deployment's own cluster (reached through MODERNPOS_PG_URL or the data directory). */
  sealedUrl?: Sealed;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  name: string;
  kind: ClusterKind;
  region: string | null;
  status: ClusterStatus;
  admin_url_ciphertext: string | null;
  key_id: string | null;
  created_at: Date;
  updated_at: Date;
}

const columns = 'name, kind, region, status, admin_url_ciphertext, key_id, created_at, updated_at';

function toCluster(row: Row): ClusterRow {
  return {
    name: row.name,
    kind: row.kind,
    region: row.region,
    status: row.status,
    ...(row.admin_url_ciphertext && row.key_id
      ? { sealedUrl: { ciphertext: row.admin_url_ciphertext, keyId: row.key_id } }
      : {}),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** The context an admin URL is sealed under: never an org id (those cannot contain ':'). */
export const clusterSealContext = (name: string) => `cluster:${name}`;

export async function getCluster(
  db: SqlQueryable,
  name: string,
  lock?: 'share' | 'update',
): Promise<ClusterRow | undefined> {
  const suffix = lock === 'share' ? ' FOR SHARE' : lock === 'update' ? ' FOR UPDATE' : '';
  const rows = await db.query<Row>(`SELECT ${columns} FROM clusters WHERE name = $1${suffix}`, [name]);
  return rows[0] && toCluster(rows[0]);
}

/** Every cluster that is not removed, by name. */
export async function listClusters(db: SqlQueryable): Promise<ClusterRow[]> {
  const rows = await db.query<Row>(`SELECT ${columns} FROM clusters WHERE status <> 'removed' ORDER BY name`);
  return rows.map(toCluster);
}

/** Registers the deployment's own cluster if it is not yet; returns whether this call did. */
export async function ensureImplicitCluster(
  db: SqlQueryable,
  name: string,
  kind: ClusterKind,
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO clusters (name, kind) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING RETURNING name`,
    [name, kind],
  );
  return rows.length === 1;
}

/**
 * Adds a cluster, or brings back a removed one of that name with the new URL and region. Returns
 * false if an active or draining cluster has the name.
 */
export async function insertCluster(
  db: SqlQueryable,
  cluster: { name: string; region: string | null; sealedUrl: Sealed },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO clusters (name, kind, region, admin_url_ciphertext, key_id) VALUES ($1, 'postgres', $2, $3, $4)
     ON CONFLICT (name) DO UPDATE SET region = EXCLUDED.region, status = 'active', kind = 'postgres',
       admin_url_ciphertext = EXCLUDED.admin_url_ciphertext, key_id = EXCLUDED.key_id, updated_at = now()
     WHERE clusters.status = 'removed'
     RETURNING name`,
    [cluster.name, cluster.region, cluster.sealedUrl.ciphertext, cluster.sealedUrl.keyId],
  );
  return rows.length === 1;
}

export async function setClusterStatus(db: SqlQueryable, name: string, status: ClusterStatus): Promise<void> {
  await db.query(
    `UPDATE clusters SET status = $2, updated_at = now(),
       admin_url_ciphertext = CASE WHEN $2 = 'removed' THEN NULL ELSE admin_url_ciphertext END,
       key_id = CASE WHEN $2 = 'removed' THEN NULL ELSE key_id END
     WHERE name = $1`,
    [name, status],
  );
}

export async function storeClusterUrl(db: SqlQueryable, name: string, sealed: Sealed): Promise<void> {
  await db.query(
    'UPDATE clusters SET admin_url_ciphertext = $2, key_id = $3, updated_at = now() WHERE name = $1',
    [name, sealed.ciphertext, sealed.keyId],
  );
}

/** Names of clusters whose admin URL is sealed with a key other than `keyId`. */
export async function clustersSealedWithOtherKeys(db: SqlQueryable, keyId: string): Promise<string[]> {
  const rows = await db.query<{ name: string }>(
    'SELECT name FROM clusters WHERE key_id IS NOT NULL AND key_id <> $1 ORDER BY name',
    [keyId],
  );
  return rows.map((r) => r.name);
}

/** Tenants on each cluster that still have (or are getting) a database: every status but offboarded. */
export async function tenantsPerCluster(db: SqlQueryable): Promise<Map<string, string[]>> {
  const rows = await db.query<{ cluster: string; id: string }>(
    "SELECT cluster, id FROM organizations WHERE status <> 'offboarded' ORDER BY cluster, id",
  );
  const byCluster = new Map<string, string[]>();
  for (const r of rows) {
    const ids = byCluster.get(r.cluster);
    if (ids) ids.push(r.id);
    else byCluster.set(r.cluster, [r.id]);
  }
  return byCluster;
}

/** Tenants on `cluster` that still have (or are getting) a database, as `tenantsPerCluster` counts them. */
export async function tenantsOnCluster(db: SqlQueryable, cluster: string): Promise<string[]> {
  const rows = await db.query<{ id: string }>(
    "SELECT id FROM organizations WHERE cluster = $1 AND status <> 'offboarded' ORDER BY id",
    [cluster],
  );
  return rows.map((r) => r.id);
}
