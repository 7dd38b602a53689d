// The operator's view across tenants (SPEC §6, `GET /admin/reports/tenants`): per tenant its status,
// schema version, database size, sales today and last sync, gathered from every tenant database with
// bounded concurrency. A tenant that fails (database down, dropped, locked) is reported with its
// error and the rest carry on. Tenant databases are opened directly with one connection each, not
// through the resolver, so a fan-out never evicts the pools HQ users and devices are working on.
import { mapBounded } from '../../src/concurrency.ts';
import type { ClosableSqlDatabase, SqlQueryable } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { AppError, isAppError } from '../../src/errors.ts';
import { latestVersion } from '../../src/migrate/files.ts';
import { listOrganizations, type Organization } from '../control/organizations.ts';
import { engineOf, type TenantContext } from './context.ts';

export const FLEET_REPORT_CONCURRENCY = 8;
/** One slow tenant must not hold up the whole report: its figures give up after this long. */
export const TENANT_TIMEOUT_MS = 5_000;

/** `work`, or a `tenant_unavailable` error once `ms` have passed (the work is abandoned, not cancelled). */
function withinTime<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new AppError('tenant_unavailable', `no answer within ${ms / 1000} s`)),
      ms,
    );
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export interface TenantFigures {
  orgId: string;
  name: string;
  status: Organization['status'];
  /** The cluster its database is on: a cluster that is down fails only its own tenants' figures. */
  cluster: string;
  schemaVersion: number;
  latestSchemaVersion: number;
  sizeBytes: number | null;
  currency: string | null;
  /** Sales and net takings (sales less refunds) on each branch's own business date of today. */
  salesToday: { count: number; netMinor: number } | null;
  devices: number | null;
  /** The latest sync of any (not revoked) device: the cloud acknowledging it (docs/freshness.md). */
  lastSyncAt: string | null;
  /** The latest contact (hello, ping or push) of any (not revoked) device, acknowledged or not. */
  lastSeenAt: string | null;
  /** Why this tenant's figures are missing; the others are unaffected. */
  error?: { code: string; message: string };
}

export interface FleetReport {
  generatedAt: string;
  tenants: TenantFigures[];
  /** The org ids whose figures could not be gathered. */
  failed: string[];
}

async function figuresOf(db: SqlQueryable, now: Date) {
  const [today] = await db.query<{ n: number; net: number }>(
    `SELECT count(*) FILTER (WHERE s.kind = 'sale')::int AS n,
       coalesce(sum(CASE WHEN s.kind = 'sale' THEN s.total_minor ELSE -s.total_minor END), 0)::bigint AS net
     FROM branches b
     JOIN sales s ON s.branch_code = b.code AND s.business_date = ($1::timestamptz AT TIME ZONE b.time_zone)::date`,
    [now.toISOString()],
  );
  const [devices] = await db.query<{ n: number; last: string | null; seen: string | null }>(
    'SELECT count(*)::int AS n, max(last_sync_at) AS last, max(last_seen_at) AS seen FROM devices WHERE revoked_at IS NULL',
  );
  const [currency] = await db.query<{ value: string }>("SELECT value FROM settings WHERE key = 'currency'");
  return {
    currency: currency?.value ?? null,
    salesToday: { count: today?.n ?? 0, netMinor: today?.net ?? 0 },
    devices: devices?.n ?? 0,
    lastSyncAt: devices?.last ?? null,
    lastSeenAt: devices?.seen ?? null,
  };
}

/** Every tenant's figures; tenants without a live database (provisioning, offboarded) show status only. */
export async function fleetReport(
  ctx: TenantContext,
  options: { concurrency?: number; now?: Date } = {},
): Promise<FleetReport> {
  const now = options.now ?? new Date();
  const latest = latestVersion(ctx.tenantMigrations);
  const orgs = await listOrganizations(ctx.control);
  const tenants = await mapBounded(orgs, options.concurrency ?? FLEET_REPORT_CONCURRENCY, async (org) => {
    const base: TenantFigures = {
      orgId: org.id,
      name: org.name,
      status: org.status,
      cluster: org.cluster,
      schemaVersion: org.schemaVersion,
      latestSchemaVersion: latest,
      sizeBytes: null,
      currency: null,
      salesToday: null,
      devices: null,
      lastSyncAt: null,
      lastSeenAt: null,
    };
    if (org.status !== 'active' && org.status !== 'suspended') return base;
    let db: ClosableSqlDatabase | undefined;
    try {
      const database = tenantDatabaseName(org.id);
      const engine = await withinTime(engineOf(ctx, org), TENANT_TIMEOUT_MS);
      db = engine.openDatabase(database, 1);
      const figures = await withinTime(figuresOf(db, now), TENANT_TIMEOUT_MS);
      return {
        ...base,
        ...figures,
        sizeBytes: await withinTime(engine.databaseSizeBytes(database), TENANT_TIMEOUT_MS),
      };
    } catch (err) {
      return { ...base, error: describe(err) };
    } finally {
      // Not awaited: after a timeout, closing waits for the abandoned query, which the report must not.
      void db?.close().catch(() => {});
    }
  });
  return {
    generatedAt: now.toISOString(),
    tenants,
    failed: tenants.filter((t) => t.error).map((t) => t.orgId),
  };
}

/** A failure as an operator reads it: the app's code when there is one, the database's message otherwise. */
function describe(err: unknown): { code: string; message: string } {
  if (isAppError(err)) return { code: err.code, message: err.message };
  const message = err instanceof Error ? err.message : String(err);
  return { code: 'tenant_unavailable', message };
}
