// `modernpos cluster …` and `tenant create --cluster/--region` against real clusters: the main one
// (MODERNPOS_TEST_PG_URL) and mp_b (MODERNPOS_TEST_PG_URL_B). Every refusal has its exit code and a
// clear message, writes nothing and is audited; admin URLs are stored sealed only.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { runCli } from '../helpers/cli.ts';
import {
  databaseExistsOn,
  dropClusterLeftovers,
  NO_CLUSTERS,
  onCluster,
  PG_URL_B,
  roleExistsOn,
} from '../helpers/clusters.ts';
import { dropPostgresLeftovers, PG_URL, uniqueId } from '../helpers/engines.ts';

describe.skipIf(NO_CLUSTERS)(
  `modernpos cluster on real clusters ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    const suffix = randomBytes(4).toString('hex');
    const env = {
      MODERNPOS_PG_URL: PG_URL!,
      MODERNPOS_MASTER_KEY: randomBytes(32).toString('base64'),
      MODERNPOS_CONTROL_DB: `modernpos_test_control_${suffix}`,
      MODERNPOS_TEMPLATE_DB: `modernpos_test_template_${suffix}`,
      MODERNPOS_BACKUP_DIR: '',
    };
    const controlUrl = () => withDatabase(PG_URL!, env.MODERNPOS_CONTROL_DB);
    const control = <T>(sql: string, params: unknown[] = []) =>
      onCluster(controlUrl(), async (c) => (await c.query(sql, params)).rows as T[]);
    const attempted: string[] = [];
    let root: string;
    const cli = (argv: string[], extra: Record<string, string> = {}) => runCli(argv, { ...env, ...extra });
    const json = async (argv: string[]) => {
      const run = await cli([...argv, '--json']);
      expect(run.code, run.err).toBe(0);
      return JSON.parse(run.out);
    };
    /** Everything a refusal must leave alone: the clusters, the tenants, and how many refusals were audited. */
    const snapshot = async () => ({
      clusters: await control(
        'SELECT name, status, region, admin_url_ciphertext FROM clusters ORDER BY name',
      ),
      orgs: await control('SELECT id, status, cluster FROM organizations ORDER BY id'),
    });
    /** Creates a tenant (text output) and answers the cluster it says it was placed on. */
    const createOn = async (orgId: string, extra: string[], more: Record<string, string> = {}) => {
      attempted.push(orgId);
      const run = await cli(['tenant', 'create', orgId, '--name', `Shop ${orgId}`, ...extra], more);
      expect(run.code, run.err).toBe(0);
      return /on cluster (\S+)\)/.exec(run.out)?.[1];
    };
    const refusals = async () =>
      Number(
        (
          await control<{ n: string }>("SELECT count(*) AS n FROM audit_logs WHERE action LIKE '%.refused'")
        )[0]!.n,
      );

    beforeAll(async () => {
      root = mkdtempSync(join(tmpdir(), 'modernpos-clusters-cli-'));
      env.MODERNPOS_BACKUP_DIR = join(root, 'backups');
      expect((await cli(['tenant', 'list'])).code).toBe(0); // creates the control plane
    });
    afterAll(async () => {
      const orgIds = await control<{ id: string }>('SELECT id FROM organizations')
        .then((rows) => rows.map((r) => r.id))
        .catch(() => []);
      const all = [...new Set([...orgIds, ...attempted])];
      await dropClusterLeftovers(PG_URL_B!, env.MODERNPOS_TEMPLATE_DB, all);
      await dropPostgresLeftovers(
        { controlDatabase: env.MODERNPOS_CONTROL_DB, templateDatabase: env.MODERNPOS_TEMPLATE_DB },
        all,
      );
      rmSync(root, { recursive: true, force: true });
    });

    it('lists the deployment’s own server as cluster default, reachable', async () => {
      const [only, ...rest] = await json(['cluster', 'list']);
      expect(rest).toEqual([]);
      expect(only).toMatchObject({
        name: 'default',
        kind: 'postgres',
        status: 'active',
        implicit: true,
        tenants: 0,
        reachable: true,
        host: '127.0.0.1:5432',
      });
      expect(only.backends).toBeGreaterThan(0);
    });

    it('adds a cluster with its URL sealed, and lists it with its region and load', async () => {
      const added = await json(['cluster', 'add', 'b', '--url', PG_URL_B!, '--region', 'eu-central']);
      expect(added).toMatchObject({
        name: 'b',
        region: 'eu-central',
        status: 'active',
        implicit: false,
        reachable: true,
        tenants: 0,
        host: '127.0.0.1:5433',
      });
      const [row] = await control<{ admin_url_ciphertext: string; key_id: string }>(
        "SELECT * FROM clusters WHERE name = 'b'",
      );
      expect(row!.admin_url_ciphertext).not.toContain('5433');
      expect(row!.admin_url_ciphertext).not.toContain('postgres');
      const text = await cli(['cluster', 'list']);
      expect(text.out).toMatch(/^b\s+active\s+eu-central\s+127\.0\.0\.1:5433\s+0\s+/m);
      const audited = await control<{ action: string }>(
        "SELECT action FROM audit_logs WHERE action = 'cluster.added'",
      );
      expect(audited).toHaveLength(1);
    });

    it.each([
      {
        argv: ['cluster', 'add', 'B!', '--url', 'postgres://postgres@127.0.0.1:5433/postgres'],
        code: 2,
        message: /invalid cluster name/,
      },
      {
        argv: ['cluster', 'add', 'x', '--url', 'http://127.0.0.1:5433/postgres'],
        code: 2,
        message: /must start with postgres:\/\//,
      },
      { argv: ['cluster', 'add', 'x', '--url', 'not a url'], code: 2, message: /not a URL/ },
      {
        argv: ['cluster', 'add', 'x', '--url', 'postgres://127.0.0.1:5433/postgres'],
        code: 2,
        message: /names no user/,
      },
      {
        argv: ['cluster', 'add', 'x', '--url', 'postgres://postgres:s3cret@127.0.0.1:1/postgres'],
        code: 1,
        message: /cannot reach PostgreSQL at 127\.0\.0\.1:1 \(ECONNREFUSED\); nothing was added/,
      },
      {
        argv: [
          'cluster',
          'add',
          'x',
          '--url',
          'postgres://postgres@127.0.0.1:5433/postgres',
          '--region',
          'EU West',
        ],
        code: 2,
        message: /invalid region/,
      },
      {
        argv: ['cluster', 'add', 'b', '--url', 'postgres://postgres@127.0.0.1:5433/postgres'],
        code: 1,
        message: /cluster b already exists/,
      },
      { argv: ['cluster', 'drain', 'nope'], code: 1, message: /cluster nope not found/ },
      { argv: ['cluster', 'remove', 'default'], code: 1, message: /deployment's own.*cannot be removed/ },
      { argv: ['cluster', 'remove', 'nope'], code: 1, message: /cluster nope not found/ },
      {
        argv: ['tenant', 'create', 'refused1', '--name', 'R', '--cluster', 'nope'],
        code: 1,
        message: /cluster nope not found/,
      },
      {
        argv: ['tenant', 'create', 'refused2', '--name', 'R', '--region', 'mars'],
        code: 1,
        message: /no cluster in region mars \(regions: eu-central\)/,
      },
      {
        argv: ['tenant', 'create', 'refused3', '--name', 'R', '--cluster', 'b', '--region', 'us-east'],
        code: 2,
        message: /cluster b is in region eu-central, not us-east/,
      },
      {
        argv: ['tenant', 'create', 'refused4', '--name', 'R', '--cluster', 'Bad Name'],
        code: 2,
        message: /invalid cluster name/,
      },
    ])(
      'refuses $argv.0 $argv.1 $argv.2 … with exit $code, writes nothing and audits it',
      async ({ argv, code, message }) => {
        const before = await snapshot();
        const audited = await refusals();
        const run = await cli(argv);
        expect(run.code, run.err).toBe(code);
        expect(run.err).toMatch(message);
        expect(run.err).not.toContain('s3cret');
        expect(await snapshot()).toEqual(before);
        expect(await refusals()).toBe(audited + 1);
      },
    );

    it('places a tenant on the cluster asked for: database and role on that server only', async () => {
      const orgId = uniqueId('clb');
      attempted.push(orgId);
      expect(await createOn(orgId, ['--cluster', 'b'])).toBe('b');
      expect(await databaseExistsOn(PG_URL_B!, `modernpos_org_${orgId}`)).toBe(true);
      expect(await roleExistsOn(PG_URL_B!, `modernpos_org_${orgId}`)).toBe(true);
      expect(await databaseExistsOn(PG_URL!, `modernpos_org_${orgId}`)).toBe(false);
      expect(await json(['tenant', 'show', orgId])).toMatchObject({
        cluster: 'b',
        region: null,
        status: 'active',
      });
      const [b] = (await json(['cluster', 'list'])).filter((c: { name: string }) => c.name === 'b');
      expect(b.tenants).toBe(1);
      expect(b.sizeBytes).toBeGreaterThan(0);

      // A region pins the tenant: it goes to the one cluster there.
      const pinned = uniqueId('clr');
      attempted.push(pinned);
      expect(await createOn(pinned, ['--region', 'eu-central'])).toBe('b');
      expect(await json(['tenant', 'show', pinned])).toMatchObject({ cluster: 'b', region: 'eu-central' });

      // Removing a cluster with tenants is refused, and changes nothing.
      const before = await snapshot();
      const removed = await cli(['cluster', 'remove', 'b']);
      expect(removed.code).toBe(1);
      expect(removed.err).toMatch(/cluster b still has 2 tenant\(s\)/);
      expect(await snapshot()).toEqual(before);

      // Export, credential rotation and offboarding work on b.
      const out = join(root, `${orgId}.tar.gz`);
      expect((await cli(['tenant', 'export', orgId, '--out', out])).code).toBe(0);
      expect((await cli(['tenant', 'rotate-credentials', orgId])).code).toBe(0);
      for (const id of [orgId, pinned]) {
        const off = await cli(['tenant', 'offboard', id, '--yes']);
        expect(off.code, off.err).toBe(0);
        expect(await databaseExistsOn(PG_URL_B!, `modernpos_org_${id}`)).toBe(false);
        expect(await roleExistsOn(PG_URL_B!, `modernpos_org_${id}`)).toBe(false);
      }
    });

    it('drains: no new placements on a draining cluster, by name or by region; undrain lifts it', async () => {
      expect(await json(['cluster', 'drain', 'b'])).toEqual({
        cluster: 'b',
        status: 'draining',
        changed: true,
      });
      expect(await json(['cluster', 'drain', 'b'])).toEqual({
        cluster: 'b',
        status: 'draining',
        changed: false,
      });
      const before = await snapshot();
      const byName = await cli(['tenant', 'create', 'drained1', '--name', 'D', '--cluster', 'b']);
      expect(byName.code).toBe(1);
      expect(byName.err).toMatch(/cluster b is draining/);
      const byRegion = await cli(['tenant', 'create', 'drained2', '--name', 'D', '--region', 'eu-central']);
      expect(byRegion.code).toBe(1);
      expect(byRegion.err).toMatch(/every cluster in region eu-central is draining/);
      expect(await snapshot()).toEqual(before);
      // Without a cluster or region: the one cluster that is not draining.
      const orgId = uniqueId('cld');
      attempted.push(orgId);
      // --json keeps its documented four fields; `tenant show` gives the cluster.
      const created = await json(['tenant', 'create', orgId, '--name', 'Default']);
      expect(Object.keys(created).sort()).toEqual(['database', 'orgId', 'ownerEmail', 'ownerPassword']);
      expect((await json(['tenant', 'show', orgId])).cluster).toBe('default');
      expect(await json(['cluster', 'undrain', 'b'])).toEqual({
        cluster: 'b',
        status: 'active',
        changed: true,
      });
    });

    it('removes a cluster without tenants; its name can be added again', async () => {
      expect(await json(['cluster', 'remove', 'b'])).toEqual({ cluster: 'b' });
      expect((await json(['cluster', 'list'])).map((c: { name: string }) => c.name)).toEqual(['default']);
      const [row] = await control<{ status: string; admin_url_ciphertext: string | null }>(
        "SELECT * FROM clusters WHERE name = 'b'",
      );
      expect(row).toMatchObject({ status: 'removed', admin_url_ciphertext: null });
      const refused = await cli(['tenant', 'create', 'gone1', '--name', 'G', '--cluster', 'b']);
      expect(refused.code).toBe(1);
      expect(refused.err).toMatch(/cluster b not found/);
      expect((await json(['cluster', 'add', 'b', '--url', PG_URL_B!])).region).toBeNull();
    });

    it('keys rotate re-seals cluster URLs under the new master key', async () => {
      const next = randomBytes(32).toString('base64');
      const rotated = await json([
        'keys',
        'rotate',
        '--master-key',
        next,
        '--previous-master-keys',
        env.MODERNPOS_MASTER_KEY,
      ]);
      expect(rotated.clusterUrls).toBe(1);
      // The new key alone now opens it: a tenant is placed on b through its re-sealed URL.
      expect(await createOn(uniqueId('clk'), ['--cluster', 'b'], { MODERNPOS_MASTER_KEY: next })).toBe('b');
      env.MODERNPOS_MASTER_KEY = next;
    });
  },
);

describe('modernpos cluster on the embedded engine', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-clusters-embedded-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('has one implicit cluster, embedded, and refuses to add PostgreSQL clusters', async () => {
    const env = { MODERNPOS_DATA_DIR: join(root, 'data') };
    const listed = await runCli(['cluster', 'list', '--json'], env);
    expect(listed.code, listed.err).toBe(0);
    expect(JSON.parse(listed.out)).toEqual([
      expect.objectContaining({
        name: 'embedded',
        kind: 'embedded',
        implicit: true,
        reachable: true,
        host: null,
      }),
    ]);
    const added = await runCli(
      ['cluster', 'add', 'b', '--url', 'postgres://postgres@127.0.0.1:5433/postgres'],
      env,
    );
    expect(added.code).toBe(1);
    expect(added.err).toMatch(/embedded engine.*need MODERNPOS_PG_URL/);
    const again = await runCli(['cluster', 'list', '--json'], env);
    expect(JSON.parse(again.out).map((c: { name: string }) => c.name)).toEqual(['embedded']);
  });
});
