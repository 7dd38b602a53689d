// The `organizations` registry of the control plane.
import type { SqlQueryable } from '../../src/db/sql.ts';

export const orgStatuses = ['provisioning', 'active', 'suspended', 'offboarding', 'offboarded'] as const;
export type OrgStatus = (typeof orgStatuses)[number];

/** What onboarding was asked for; kept so a resumed onboarding seeds the same tenant. */
export interface OnboardingRequest {
  ownerEmail: string;
  timezone: string;
  currency: string;
}

export interface Organization {
  id: string;
  name: string;
  status: OrgStatus;
  cluster: string;
  /** The region the tenant was created in (`--region`): never placed or moved outside it. */
  region: string | null;
  databaseName: string;
  schemaVersion: number;
  onboarding: OnboardingRequest;
  createdAt: Date;
  updatedAt: Date;
}

interface Row {
  id: string;
  name: string;
  status: OrgStatus;
  cluster: string;
  region: string | null;
  database_name: string;
  schema_version: number;
  onboarding: OnboardingRequest | string;
  created_at: Date;
  updated_at: Date;
}

const columns =
  'id, name, status, cluster, region, database_name, schema_version, onboarding, created_at, updated_at';

function toOrganization(row: Row): Organization {
  return {
    id: row.id,
    name: row.name,
    status: row.status,
    cluster: row.cluster,
    region: row.region ?? null,
    databaseName: row.database_name,
    schemaVersion: Number(row.schema_version),
    onboarding: typeof row.onboarding === 'string' ? JSON.parse(row.onboarding) : row.onboarding,
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

export async function getOrganization(
  db: SqlQueryable,
  id: string,
  forUpdate = false,
): Promise<Organization | undefined> {
  const rows = await db.query<Row>(
    `SELECT ${columns} FROM organizations WHERE id = $1${forUpdate ? ' FOR UPDATE' : ''}`,
    [id],
  );
  return rows[0] && toOrganization(rows[0]);
}

export async function listOrganizations(
  db: SqlQueryable,
  statuses?: readonly OrgStatus[],
): Promise<Organization[]> {
  const rows = statuses
    ? await db.query<Row>(`SELECT ${columns} FROM organizations WHERE status = ANY($1::text[]) ORDER BY id`, [
        statuses,
      ])
    : await db.query<Row>(`SELECT ${columns} FROM organizations ORDER BY id`);
  return rows.map(toOrganization);
}

/** Inserts a new organization in `provisioning`; returns false if the id is taken. */
export async function insertOrganization(
  db: SqlQueryable,
  org: {
    id: string;
    name: string;
    cluster: string;
    region: string | null;
    databaseName: string;
    onboarding: OnboardingRequest;
  },
): Promise<boolean> {
  const rows = await db.query(
    `INSERT INTO organizations (id, name, status, cluster, region, database_name, onboarding)
     VALUES ($1, $2, 'provisioning', $3, $4, $5, $6::jsonb)
     ON CONFLICT (id) DO NOTHING RETURNING id`,
    [org.id, org.name, org.cluster, org.region, org.databaseName, JSON.stringify(org.onboarding)],
  );
  return rows.length === 1;
}

/** Moves an org to `status`, only from one of `from` when given; returns whether it moved. */
export async function setStatus(
  db: SqlQueryable,
  id: string,
  status: OrgStatus,
  from?: readonly OrgStatus[],
): Promise<boolean> {
  const rows = from
    ? await db.query(
        'UPDATE organizations SET status = $2, updated_at = now() WHERE id = $1 AND status = ANY($3::text[]) RETURNING id',
        [id, status, from],
      )
    : await db.query('UPDATE organizations SET status = $2, updated_at = now() WHERE id = $1 RETURNING id', [
        id,
        status,
      ]);
  return rows.length === 1;
}

export async function setSchemaVersion(db: SqlQueryable, id: string, version: number): Promise<void> {
  await db.query('UPDATE organizations SET schema_version = $2, updated_at = now() WHERE id = $1', [
    id,
    version,
  ]);
}
