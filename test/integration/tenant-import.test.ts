// `modernpos tenant import` from a real schema-per-tenant database on the main cluster into tenant
// databases on the main cluster and on mp_b: the schema version found (from its ledger, or from its
// tables), the copy checked table by table, the legacy tables frozen (and dropped with
// --decommission); every refusal (bad layout, rows the schema refuses, an existing org, an unknown
// cluster, an unreachable or missing source, writers that keep the tables) has its exit code, leaves
// nothing behind and is audited; an import killed part-way finishes when run again.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { openPlatform } from '../../cloud/platform.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { importTenant } from '../../cloud/tenants/import/import.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { AppError } from '../../src/errors.ts';
import { latestVersion, loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import {
  databaseExistsOn,
  dropClusterLeftovers,
  NO_CLUSTERS,
  onCluster,
  PG_URL_B,
  roleExistsOn,
} from '../helpers/clusters.ts';
import { dropPostgresLeftovers, PG_URL, uniqueId } from '../helpers/engines.ts';
import { addLegacyTenant, buildLegacyDatabase } from '../helpers/legacy-schemas.ts';

const LATEST = latestVersion(loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'postgres'));

describe.skipIf(NO_CLUSTERS)(
  `modernpos tenant import from a schema-per-tenant database ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    const suffix = randomBytes(4).toString('hex');
    const masterKey = randomBytes(32);
    const env = {
      MODERNPOS_PG_URL: PG_URL!,
      MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
      MODERNPOS_CONTROL_DB: `modernpos_test_control_${suffix}`,
      MODERNPOS_TEMPLATE_DB: `modernpos_test_template_${suffix}`,
      MODERNPOS_BACKUP_DIR: '',
    };
    const legacyDb = `modernpos_test_legacy_${suffix}`;
    const legacyApp = `modernpos_test_legacy_app_${suffix}`;
    let legacyUrl: string;
    let root: string;
    const attempted: string[] = [];
    const cli = (argv: string[], extra: Record<string, string> = {}) => runCli(argv, { ...env, ...extra });
    const control = <T>(sql: string, params: unknown[] = []) =>
      onCluster(
        withDatabase(PG_URL!, env.MODERNPOS_CONTROL_DB),
        async (c) => (await c.query(sql, params)).rows as T[],
      );
    const legacy = <T>(sql: string, params: unknown[] = []) =>
      onCluster(legacyUrl, async (c) => (await c.query(sql, params)).rows as T[]);
    const importCli = (orgId: string, schema: string, extra: string[] = []) => {
      attempted.push(orgId);
      return cli(['tenant', 'import', orgId, '--from-url', legacyUrl, '--schema', schema, ...extra]);
    };
    /** Row counts of the tenant tables of one side (a legacy schema, or a tenant database's public). */
    const counts = (url: string, schema: string) =>
      onCluster(url, async (c) => {
        const out: Record<string, number> = {};
        for (const t of [
          'sales',
          'sale_lines',
          'payments',
          'stock_movements',
          'products',
          'users',
          'settings',
        ]) {
          const { rows } = await c.query(`SELECT count(*)::int AS n FROM ${quoteIdent(schema)}.${t}`);
          out[t] = rows[0].n;
        }
        return out;
      });
    const refusals = async (orgId: string) =>
      (
        await control<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_logs WHERE action = 'tenant.import.refused' AND (org_id = $1 OR details->>'orgId' = $1)",
          [orgId],
        )
      )[0]!.n;
    const canWrite = async (schema: string) =>
      (
        await legacy<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [
          legacyApp,
          `${schema}.sales`,
          'INSERT',
        ])
      )[0]!.ok;
    /** A refusal leaves no org row, no database or role on either cluster, and is audited. */
    const expectNothingLeft = async (orgId: string) => {
      expect(await control('SELECT id FROM organizations WHERE id = $1', [orgId])).toEqual([]);
      for (const url of [PG_URL!, PG_URL_B!]) {
        expect(await databaseExistsOn(url, `modernpos_org_${orgId}`)).toBe(false);
        expect(await roleExistsOn(url, `modernpos_org_${orgId}`)).toBe(false);
      }
      expect(await refusals(orgId)).toBeGreaterThan(0);
    };

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'modernpos-import-'));
      env.MODERNPOS_BACKUP_DIR = join(root, 'backups');
      legacyUrl = await buildLegacyDatabase(PG_URL!, legacyDb, [
        { schema: 'org_current', version: LATEST, sales: 50, ledger: true, name: 'Current Shop' },
        { schema: 'org_old', version: 5, sales: 40 },
        { schema: 'org_v2', version: 2, sales: 10, linesPerSale: 2 },
        { schema: 'org_missing', version: LATEST, sales: 5 },
        { schema: 'org_extra', version: LATEST, sales: 5 },
        { schema: 'org_orphan', version: LATEST, sales: 5 },
        { schema: 'org_check', version: LATEST, sales: 5 },
        { schema: 'org_dup', version: LATEST, sales: 5 },
        { schema: 'org_busy', version: LATEST, sales: 5 },
        { schema: 'org_kill1', version: 7, sales: 30 },
        { schema: 'org_kill2', version: LATEST, sales: 30 },
      ]);
      await legacy('DROP TABLE org_missing.payments');
      await legacy('ALTER TABLE org_extra.sales ADD COLUMN loyalty_points INTEGER');
      await legacy('ALTER TABLE org_orphan.sale_lines DROP CONSTRAINT sale_lines_sale_id_fkey');
      await legacy(
        "INSERT INTO org_orphan.sale_lines SELECT 'no-such-sale', line_no, product_id, name, qty_milli, unit_price_minor, amount_minor, discount_minor, tax_rate_bp, tax_inclusive, tax_minor, total_minor, original_line_no, flags, business_date, kind, branch_code FROM org_orphan.sale_lines LIMIT 1",
      );
      await legacy('ALTER TABLE org_check.payments DROP CONSTRAINT payments_method_check');
      await legacy("UPDATE org_check.payments SET method = 'bitcoin' WHERE sale_id = 's3'");
      await legacy('ALTER TABLE org_dup.sales DROP CONSTRAINT sales_pkey CASCADE');
      await legacy(
        "CREATE TEMP TABLE d AS SELECT * FROM org_dup.sales WHERE id = 's2'; UPDATE d SET receipt_no = 'MAIN-T1-dup'; INSERT INTO org_dup.sales SELECT * FROM d",
      );
      // The legacy application's own role, allowed to write every tenant schema.
      await legacy(`CREATE ROLE ${quoteIdent(legacyApp)} LOGIN`);
      for (const s of [
        'org_current',
        'org_old',
        'org_v2',
        'org_missing',
        'org_extra',
        'org_orphan',
        'org_check',
        'org_dup',
        'org_busy',
        'org_kill1',
        'org_kill2',
      ]) {
        await legacy(`GRANT USAGE ON SCHEMA ${s} TO ${quoteIdent(legacyApp)}`);
        await legacy(
          `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${s} TO ${quoteIdent(legacyApp)}`,
        );
      }
      const added = await cli(['cluster', 'add', 'b', '--url', PG_URL_B!]);
      expect(added.code, added.err).toBe(0);
    });
    afterAll(async () => {
      let orgIds: string[] = [];
      try {
        orgIds = (await control<{ id: string }>('SELECT id FROM organizations')).map((r) => r.id);
      } catch {}
      const all = [...new Set([...orgIds, ...attempted])];
      await dropClusterLeftovers(PG_URL_B!, env.MODERNPOS_TEMPLATE_DB, all);
      await dropPostgresLeftovers(
        { controlDatabase: env.MODERNPOS_CONTROL_DB, templateDatabase: env.MODERNPOS_TEMPLATE_DB },
        all,
      );
      await onCluster(PG_URL!, async (c) => {
        await c.query(`DROP DATABASE IF EXISTS ${quoteIdent(legacyDb)} WITH (FORCE)`);
        await c.query(`DROP ROLE IF EXISTS ${quoteIdent(legacyApp)}`);
      });
      rmSync(root, { recursive: true, force: true });
    });

    it('imports a schema at the latest version (its ledger names it), verifies it and freezes the legacy tables', async () => {
      const orgId = uniqueId('imc');
      const before = await counts(legacyUrl, 'org_current');
      const run = await importCli(orgId, 'org_current', ['--cluster', 'default', '--json']);
      expect(run.code, run.err).toBe(0);
      const result = JSON.parse(run.out);
      expect(result).toMatchObject({
        orgId,
        cluster: 'default',
        schema: 'org_current',
        legacyVersion: LATEST,
        schemaVersion: LATEST,
        decommissioned: false,
        alreadyImported: false,
      });
      expect(result.tables.find((t: { table: string }) => t.table === 'sale_lines').rows).toBe(150);
      const tenantUrl = withDatabase(PG_URL!, `modernpos_org_${orgId}`);
      expect(await counts(tenantUrl, 'public')).toEqual(before);
      const shown = JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out);
      expect(shown).toMatchObject({ status: 'active', name: 'Current Shop', schemaVersion: LATEST });
      // The sealed DSN opens the tenant's database as its own role.
      const migrated = await cli(['tenant', 'migrate', orgId]);
      expect(migrated.code, migrated.err).toBe(0);
      // The legacy schema stays, readable and no longer writable by the legacy application.
      expect(await canWrite('org_current')).toBe(false);
      expect(
        (
          await legacy<{ ok: boolean }>('SELECT has_table_privilege($1, $2, $3) AS ok', [
            legacyApp,
            'org_current.sales',
            'SELECT',
          ])
        )[0]!.ok,
      ).toBe(true);
      const actions = (
        await control<{ action: string }>('SELECT action FROM audit_logs WHERE org_id = $1 ORDER BY id', [
          orgId,
        ])
      ).map((r) => r.action);
      expect(actions).toEqual(
        [
          'registered',
          'database_created',
          'access_granted',
          'prepared',
          'frozen',
          'copied',
          'verified',
          'migrated',
          'switched',
          'legacy_frozen',
          'completed',
        ].map((s) => `tenant.import.${s}`),
      );
    });

    it('finds the version of a schema without a ledger, migrates it to the latest on mp_b and drops it with --decommission', async () => {
      const orgId = uniqueId('imo');
      const before = await counts(legacyUrl, 'org_old');
      const run = await importCli(orgId, 'org_old', ['--cluster', 'b', '--decommission']);
      expect(run.code, run.err).toBe(0);
      expect(run.out).toMatch(/schema version 5 → \d+/);
      expect(run.out).toMatch(/on cluster b/);
      expect(run.out).toMatch(/Legacy schema org_old dropped/);
      const tenantUrl = withDatabase(PG_URL_B!, `modernpos_org_${orgId}`);
      expect(await counts(tenantUrl, 'public')).toEqual(before);
      // Migrations after 5 ran on the copied rows: every line carries its sale's business date.
      const [lines] = await onCluster(
        tenantUrl,
        async (c) =>
          (
            await c.query(
              "SELECT count(*)::int AS n FROM sale_lines WHERE business_date IS NOT NULL AND kind = 'sale'",
            )
          ).rows,
      );
      expect(lines.n).toBe(120);
      expect(await databaseExistsOn(PG_URL!, `modernpos_org_${orgId}`)).toBe(false);
      expect(await legacy("SELECT 1 FROM pg_namespace WHERE nspname = 'org_old'")).toEqual([]);
      expect(JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out)).toMatchObject({
        status: 'active',
        cluster: 'b',
      });
    });

    it('imports a version-2 schema: stock on hand is built from its movements by the later migrations', async () => {
      const orgId = uniqueId('im2');
      const run = await importCli(orgId, 'org_v2', ['--cluster', 'default', '--json']);
      expect(run.code, run.err).toBe(0);
      expect(JSON.parse(run.out).legacyVersion).toBe(2);
      const rows = await onCluster(
        withDatabase(PG_URL!, `modernpos_org_${orgId}`),
        async (c) =>
          (
            await c.query(
              `SELECT (SELECT sum(qty_milli) FROM stock_on_hand)::bigint::text AS on_hand,
                    (SELECT sum(delta_qty_milli) FROM stock_movements)::bigint::text AS ledger`,
            )
          ).rows,
      );
      expect(rows[0].on_hand).toBe('-20000');
      expect(rows[0].ledger).toBe('-20000');
    });

    it.each([
      ['org_missing', /missing tables: payments/],
      ['org_extra', /extra columns: sales\.loyalty_points/],
    ])('refuses %s (bad layout) with exit 2, writing nothing', async (schema, message) => {
      const orgId = uniqueId('imx');
      const run = await importCli(orgId, schema);
      expect(run.code).toBe(2);
      expect(run.err).toMatch(message);
      expect(run.err).toMatch(/nothing was imported/);
      await expectNothingLeft(orgId);
      expect(await canWrite(schema)).toBe(true);
    });

    it.each([
      ['org_orphan', /legacy table sale_lines: a row breaks constraint sale_lines_sale_id_fkey/],
      ['org_check', /legacy table payments: a row breaks constraint payments_method_check/],
      ['org_dup', /legacy table sales: a row .*sales_pkey.*Key \(id\)=\(s2\) is duplicated/],
    ])(
      'refuses %s, whose rows break a constraint of the tenant schema, with exit 2 naming the table and constraint',
      async (schema, message) => {
        const orgId = uniqueId('imr');
        const run = await importCli(orgId, schema);
        expect(run.code).toBe(2);
        expect(run.err).toMatch(message);
        await expectNothingLeft(orgId);
        expect(await canWrite(schema)).toBe(true);
        const [rolled] = await control<{ n: number }>(
          "SELECT count(*)::int AS n FROM audit_logs WHERE org_id = $1 AND action = 'tenant.import.rolled_back'",
          [orgId],
        );
        expect(rolled!.n).toBe(1);
      },
    );

    it('refuses an org id that exists, a schema imported already, an unknown cluster, a missing schema, an unreachable source and bad input, each audited', async () => {
      const taken = uniqueId('imt');
      attempted.push(taken);
      expect((await cli(['tenant', 'create', taken, '--name', 'Taken'])).code).toBe(0);
      const exists = await importCli(taken, 'org_busy');
      expect(exists.code).toBe(1);
      expect(exists.err).toMatch(/already exists/);
      expect(await refusals(taken)).toBe(1);
      expect(JSON.parse((await cli(['tenant', 'show', taken, '--json'])).out).status).toBe('active');

      const twice = uniqueId('imt');
      const again = await importCli(twice, 'org_current');
      expect(again.code).toBe(1);
      expect(again.err).toMatch(/schema org_current of .* is already imported as organization imc/);
      await expectNothingLeft(twice);

      const unknown = uniqueId('imu');
      const noCluster = await importCli(unknown, 'org_busy', ['--cluster', 'nowhere']);
      expect(noCluster.code).toBe(1);
      expect(noCluster.err).toMatch(/cluster nowhere not found/);
      await expectNothingLeft(unknown);

      const missing = uniqueId('imn');
      const noSchema = await importCli(missing, 'org_nonesuch');
      expect(noSchema.code).toBe(1);
      expect(noSchema.err).toMatch(/schema org_nonesuch not found/);
      await expectNothingLeft(missing);

      const down = uniqueId('imd');
      attempted.push(down);
      const unreachable = await cli([
        'tenant',
        'import',
        down,
        '--from-url',
        'postgres://postgres@127.0.0.1:1/legacy',
        '--schema',
        'org_busy',
      ]);
      expect(unreachable.code).toBe(1);
      expect(unreachable.err).toMatch(/legacy database 127\.0\.0\.1:1\/legacy does not answer/);
      await expectNothingLeft(down);

      const bad = await cli([
        'tenant',
        'import',
        uniqueId('imb'),
        '--from-url',
        legacyUrl,
        '--schema',
        'pg_catalog',
      ]);
      expect(bad.code).toBe(2);
      expect(bad.err).toMatch(/system schema/);
      const noUrl = await cli(['tenant', 'import', uniqueId('imb'), '--schema', 'org_busy']);
      expect(noUrl.code).toBe(2);
    });

    it('refuses, after its lock timeout, legacy tables a writer keeps, and leaves them writable', async () => {
      const orgId = uniqueId('imw');
      attempted.push(orgId);
      const writer = new pg.Client({ connectionString: legacyUrl });
      await writer.connect();
      const platform = await openPlatform({
        engine: { kind: 'postgres', adminUrl: PG_URL! },
        keyring: createKeyring(masterKey),
        backupDir: env.MODERNPOS_BACKUP_DIR,
        actor: 'test',
        controlDatabase: env.MODERNPOS_CONTROL_DB,
        templateDatabase: env.MODERNPOS_TEMPLATE_DB,
      });
      try {
        await writer.query('BEGIN');
        await writer.query("UPDATE org_busy.settings SET value = 'Busy' WHERE key = 'organization_name'");
        const err = await importTenant(platform.tenants, {
          orgId,
          fromUrl: legacyUrl,
          schema: 'org_busy',
          lockTimeoutMs: 200,
        }).catch((e: unknown) => e);
        expect(err).toBeInstanceOf(AppError);
        expect((err as AppError).code).toBe('conflict');
        expect((err as AppError).message).toMatch(/stop the legacy application's writers/);
      } finally {
        await writer.query('ROLLBACK').catch(() => {});
        await writer.end();
        await platform.close();
      }
      await expectNothingLeft(orgId);
      expect(await canWrite('org_busy')).toBe(true);
    });

    it('finishes an import killed after the copy: the rerun starts the copy over', async () => {
      const orgId = uniqueId('imk');
      attempted.push(orgId);
      const before = await counts(legacyUrl, 'org_kill1');
      const argv = [
        'tenant',
        'import',
        orgId,
        '--from-url',
        legacyUrl,
        '--schema',
        'org_kill1',
        '--cluster',
        'b',
      ];
      const killed = await spawnCli(argv, { ...env, MODERNPOS_TEST_CRASH_AFTER: 'copied', NODE_ENV: 'test' });
      expect(killed.signal).toBe('SIGKILL');
      expect(JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out).status).toBe('provisioning');
      // The killed run's locks went with its session: the legacy application was never switched away.
      expect(await canWrite('org_kill1')).toBe(true);
      // `tenant create` does not finish it as an empty tenant: only the import does.
      const create = await cli(['tenant', 'create', orgId, '--name', 'Not this way']);
      expect(create.code).toBe(1);
      expect(create.err).toMatch(/already exists \(status provisioning\)/);
      // Asked for another cluster now, it finishes where the first run placed it.
      const again = await spawnCli([...argv.slice(0, -2)], env);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/on cluster b/);
      expect(again.out).toMatch(/started over and finished/);
      expect(await counts(withDatabase(PG_URL_B!, `modernpos_org_${orgId}`), 'public')).toEqual(before);
      expect(await canWrite('org_kill1')).toBe(false);
    });

    it('finishes an import killed after the switch: the rerun freezes and decommissions the legacy schema', async () => {
      const orgId = uniqueId('imj');
      attempted.push(orgId);
      const argv = ['tenant', 'import', orgId, '--from-url', legacyUrl, '--schema', 'org_kill2'];
      const killed = await spawnCli(argv, {
        ...env,
        MODERNPOS_TEST_CRASH_AFTER: 'switched',
        NODE_ENV: 'test',
      });
      expect(killed.signal).toBe('SIGKILL');
      expect(JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out).status).toBe('active');
      expect(await canWrite('org_kill2')).toBe(true);
      const again = await spawnCli([...argv, '--decommission'], env);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/already imported/);
      expect(await legacy("SELECT 1 FROM pg_namespace WHERE nspname = 'org_kill2'")).toEqual([]);
      // A third run has nothing left to do and says so.
      const third = await spawnCli(argv, env);
      expect(third.code, third.err).toBe(0);
      expect(third.out).toMatch(/already imported/);
    });

    it('the fixture generator adds a tenant to an existing legacy database', async () => {
      await addLegacyTenant(legacyUrl, { schema: 'org_late', version: 3, sales: 2 });
      expect((await counts(legacyUrl, 'org_late')).sale_lines).toBe(6);
    });
  },
);
