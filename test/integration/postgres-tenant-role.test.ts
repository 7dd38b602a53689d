// What a tenant's own role can reach on the real Postgres, as docs/security.md says: its own database
// only among the product's (not the control plane, the template or another tenant's). The cluster's
// `postgres` database keeps PUBLIC's default CONNECT, which a per-role REVOKE cannot take away; there
// the role can create nothing (PostgreSQL 15's `public` schema, no CREATE on the database).
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import { createTestPlatform, NO_PG, type TestPlatform, uniqueId } from '../helpers/engines.ts';

async function connectAs(dsn: string) {
  const client = new pg.Client({ connectionString: dsn });
  await client.connect();
  return client;
}

describe.skipIf(NO_PG)("a tenant role's reach on the real Postgres (needs MODERNPOS_TEST_PG_URL)", () => {
  let p: TestPlatform;
  const orgId = uniqueId('role');
  let dsn: string;

  beforeAll(async () => {
    p = await createTestPlatform('postgres');
    await onboardTenant(p.tenants, { orgId, name: 'Role' });
    dsn = p.tenants.keyring.open((await loadConnectionString(p.control, orgId))!, orgId);
  });
  afterAll(async () => {
    await p?.destroy();
  });

  it('cannot connect to the control plane or the template database', async () => {
    for (const database of [p.config.controlDatabase!, p.config.templateDatabase!]) {
      await expect(connectAs(withDatabase(dsn, database))).rejects.toThrow(/permission denied for database/);
    }
  });

  it('connects to `postgres` only through PUBLIC (no grant of its own to revoke), and can create nothing there', async () => {
    const client = await connectAs(withDatabase(dsn, 'postgres'));
    try {
      const [own] = (
        await client.query<{ own: boolean }>(
          `SELECT EXISTS (SELECT 1 FROM pg_database d, aclexplode(coalesce(d.datacl, acldefault('d', d.datdba))) a
            WHERE d.datname = 'postgres' AND a.grantee = current_user::regrole::oid) AS own`,
        )
      ).rows;
      expect(own).toEqual({ own: false });
      await expect(client.query('CREATE TABLE public.tenant_probe (x int)')).rejects.toThrow(
        /permission denied for schema public/,
      );
      await expect(client.query('CREATE SCHEMA tenant_probe')).rejects.toThrow(
        /permission denied for database/,
      );
    } finally {
      await client.end();
    }
  });
});
