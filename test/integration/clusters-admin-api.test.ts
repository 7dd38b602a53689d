// /admin/clusters through app.request() on the main cluster and mp_b: status codes, the error shape,
// nothing written by a refusal (each audited), and POST /admin/tenants placing by cluster or region.
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCloudApp } from '../../cloud/http/app.ts';
import { createCloudMetrics } from '../../cloud/metrics/cloud-metrics.ts';
import { createTenantResolver, type TenantResolver } from '../../cloud/resolver/tenant-resolver.ts';
import { databaseExistsOn, dropClusterLeftovers, NO_CLUSTERS, PG_URL_B } from '../helpers/clusters.ts';
import { createTestPlatform, type TestPlatform, uniqueId } from '../helpers/engines.ts';

const TOKEN = 'mpa_test_token_0123456789abcdef';
// biome-ignore lint/suspicious/noExplicitAny: a test reads arbitrary JSON and asserts on its shape.
const json = async (res: Response): Promise<any> => res.json();

describe.skipIf(NO_CLUSTERS)(
  `/admin/clusters on real clusters ${NO_CLUSTERS ? `(skipped: ${NO_CLUSTERS})` : ''}`,
  () => {
    let p: TestPlatform;
    let resolver: TenantResolver;
    let app: Hono;
    const orgIds: string[] = [];
    const call = (method: string, path: string, body?: unknown, token: string | null = TOKEN) =>
      app.request(path, {
        method,
        headers: {
          ...(token === null ? {} : { authorization: `Bearer ${token}` }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
    const state = async () => ({
      clusters: await p.control.query('SELECT name, status, region, key_id FROM clusters ORDER BY name'),
      orgs: await p.control.query('SELECT id, status, cluster FROM organizations ORDER BY id'),
    });
    const refusals = async () =>
      (await p.control.query("SELECT id FROM audit_logs WHERE action LIKE '%.refused'")).length;

    beforeAll(async () => {
      p = await createTestPlatform('postgres');
      resolver = createTenantResolver({ control: p.control, engine: p.engine, keyring: p.tenants.keyring });
      app = createCloudApp({
        tenants: p.tenants,
        adminToken: TOKEN,
        metrics: createCloudMetrics({ tenants: p.tenants, resolver }),
      });
    });
    afterAll(async () => {
      await resolver?.close();
      await dropClusterLeftovers(PG_URL_B!, p.config.templateDatabase!, orgIds);
      await p?.destroy();
    });

    it('needs the admin token', async () => {
      expect((await call('GET', '/admin/clusters', undefined, null)).status).toBe(401);
      expect((await call('POST', '/admin/clusters', { name: 'b', url: PG_URL_B }, 'wrong')).status).toBe(401);
    });

    it('adds (201), lists, shows, drains and undrains a cluster', async () => {
      const added = await call('POST', '/admin/clusters', { name: 'b', url: PG_URL_B, region: 'eu' });
      expect(added.status).toBe(201);
      expect(await json(added)).toMatchObject({ name: 'b', region: 'eu', status: 'active', reachable: true });
      const listed = await json(await call('GET', '/admin/clusters'));
      expect(listed.clusters.map((c: { name: string }) => c.name)).toEqual(['b', 'default']);
      expect(JSON.stringify(listed)).not.toContain(PG_URL_B);
      expect(await json(await call('GET', '/admin/clusters/b'))).toMatchObject({ name: 'b', tenants: 0 });
      expect(await json(await call('POST', '/admin/clusters/b/drain'))).toEqual({
        cluster: 'b',
        status: 'draining',
        changed: true,
      });
      expect(await json(await call('GET', '/admin/clusters/b'))).toMatchObject({ status: 'draining' });
      expect(await json(await call('POST', '/admin/clusters/b/undrain'))).toEqual({
        cluster: 'b',
        status: 'active',
        changed: true,
      });
    });

    it.each([
      {
        what: 'malformed JSON',
        method: 'POST',
        path: '/admin/clusters',
        body: '{',
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'a missing url',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x' },
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'an unknown field',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x', url: 'postgres://a@b/c', extra: 1 },
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'a bad name',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x\u0000y', url: 'postgres://postgres@127.0.0.1:5433/postgres' },
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'a bad URL',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x', url: 'mysql://root@127.0.0.1/db' },
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'a bad region',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x', url: 'postgres://postgres@127.0.0.1:5433/postgres', region: 'Mars!' },
        status: 400,
        code: 'invalid_input',
      },
      {
        what: 'an unreachable URL',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'x', url: 'postgres://postgres:pw@127.0.0.1:1/postgres' },
        status: 503,
        code: 'database_unavailable',
      },
      {
        what: 'a taken name',
        method: 'POST',
        path: '/admin/clusters',
        body: { name: 'b', url: 'postgres://postgres@127.0.0.1:5433/postgres' },
        status: 409,
        code: 'conflict',
      },
      {
        what: 'an unknown cluster',
        method: 'GET',
        path: '/admin/clusters/nope',
        status: 404,
        code: 'not_found',
      },
      {
        what: 'draining an unknown cluster',
        method: 'POST',
        path: '/admin/clusters/nope/drain',
        status: 404,
        code: 'not_found',
      },
      {
        what: 'removing the deployment’s own',
        method: 'DELETE',
        path: '/admin/clusters/default',
        status: 409,
        code: 'conflict',
      },
      {
        what: 'a tenant on an unknown cluster',
        method: 'POST',
        path: '/admin/tenants',
        body: { orgId: 'refusedx', name: 'R', cluster: 'nope' },
        status: 404,
        code: 'not_found',
      },
      {
        what: 'a tenant in a region without clusters',
        method: 'POST',
        path: '/admin/tenants',
        body: { orgId: 'refusedy', name: 'R', region: 'mars' },
        status: 404,
        code: 'not_found',
      },
      {
        what: 'a tenant on a cluster outside its region',
        method: 'POST',
        path: '/admin/tenants',
        body: { orgId: 'refusedz', name: 'R', cluster: 'default', region: 'eu' },
        status: 400,
        code: 'invalid_input',
      },
    ])(
      'answers $what with $status $code and writes nothing',
      async ({ method, path, body, status, code }) => {
        const before = await state();
        const audited = await refusals();
        const res = await call(method, path, body);
        expect(res.status).toBe(status);
        const answer = await json(res);
        expect(answer.error.code).toBe(code);
        expect(answer.error.message).not.toContain(':pw@');
        expect(await state()).toEqual(before);
        if (method !== 'GET') expect(await refusals()).toBe(audited + 1);
      },
    );

    it('audits each refused change', async () => {
      const before = await refusals();
      await call('POST', '/admin/clusters', { name: 'Bad!', url: PG_URL_B });
      await call('DELETE', '/admin/clusters/nope');
      await call('POST', '/admin/tenants', { orgId: 'refusedw', name: 'R', region: 'mars' });
      expect(await refusals()).toBe(before + 3);
      const [last] = await p.control.query<{ action: string; org_id: string; details: { code: string } }>(
        'SELECT action, org_id, details FROM audit_logs ORDER BY id DESC LIMIT 1',
      );
      expect(last).toMatchObject({
        action: 'tenant.onboard.refused',
        org_id: 'refusedw',
        details: { code: 'not_found' },
      });
    });

    it('places tenants by cluster and by region; refuses removing a cluster with tenants (409), then removes it', async () => {
      const onB = uniqueId('apb');
      const inEu = uniqueId('ape');
      orgIds.push(onB, inEu);
      const created = await call('POST', '/admin/tenants', { orgId: onB, name: 'B', cluster: 'b' });
      expect(created.status).toBe(201);
      expect(await json(created)).toMatchObject({ orgId: onB, cluster: 'b' });
      expect(
        await json(await call('POST', '/admin/tenants', { orgId: inEu, name: 'EU', region: 'eu' })),
      ).toMatchObject({ cluster: 'b' });
      expect(await json(await call('GET', `/admin/tenants/${inEu}`))).toMatchObject({
        cluster: 'b',
        region: 'eu',
      });
      expect(await databaseExistsOn(PG_URL_B!, `modernpos_org_${onB}`)).toBe(true);

      const before = await state();
      const refused = await call('DELETE', '/admin/clusters/b');
      expect(refused.status).toBe(409);
      expect((await json(refused)).error).toMatchObject({
        code: 'conflict',
        details: { tenants: [onB, inEu].sort() },
      });
      expect(await state()).toEqual(before);

      for (const orgId of [onB, inEu]) {
        expect((await call('POST', `/admin/tenants/${orgId}/offboard`, { confirm: true })).status).toBe(200);
      }
      expect(await json(await call('DELETE', '/admin/clusters/b'))).toEqual({ cluster: 'b' });
      expect((await call('GET', '/admin/clusters/b')).status).toBe(404);
    });
  },
);
