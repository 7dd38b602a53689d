// Structured logs through a real cloud server on every engine: one JSON line per request with its
// request id and org, sync sessions with org and device, and never a secret — not the admin token,
// an owner's password, an HQ session token, a device token or a tenant's connection string.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConnectionString } from '../../cloud/control/connection-strings.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { createTestPlatform, engineNames, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { memoryLogger } from '../helpers/logs.ts';
import { hello, openRawSync } from '../helpers/sync.ts';
import { waitFor } from '../helpers/wait.ts';

const ADMIN = 'mpa_logs_test_admin_token_0123456789';

describe.each(engineNames)('logs on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  const { logger, lines } = memoryLogger('cloud');
  const orgId = uniqueId('log');
  const url = () => `http://127.0.0.1:${server.port}`;
  const json = (method: string, path: string, body: unknown, token: string) =>
    fetch(`${url()}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-request-id': 'req-42',
      },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: ADMIN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 1 },
      migration: { intervalMs: 0, concurrency: 1 },
      logger,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await p?.destroy();
  });

  it('logs requests and sync sessions with their ids, and no secret', async () => {
    const created = (await (await json('POST', '/admin/tenants', { orgId, name: 'Logs' }, ADMIN)).json()) as {
      ownerEmail: string;
      ownerPassword: string;
    };
    const login = await json(
      'POST',
      `/v1/orgs/${orgId}/sessions`,
      { email: created.ownerEmail, password: created.ownerPassword },
      'none',
    );
    expect(login.headers.get('x-request-id')).toBe('req-42');
    const hq = ((await login.json()) as { token: string }).token;
    const device = (await (
      await json('POST', '/v1/devices', { branch: 'MAIN', name: 'Till' }, hq)
    ).json()) as {
      deviceId: string;
      token: string;
    };
    await json('POST', '/v1/users', { name: 'Cal', pin: '482910' }, hq);
    await json('POST', '/v1/devices', { branch: 'MAIN', name: 'Till' }, `${hq}x`);
    const client = await openRawSync(url(), device.token);
    expect((await client.request(hello())).type).toBe('welcome');
    client.close();
    await waitFor(() => lines.some((l) => l.includes('sync closed')));

    const parsed = lines.map((l) => JSON.parse(l));
    expect(parsed.find((l) => l.path === `/v1/orgs/${orgId}/sessions`)).toMatchObject({
      msg: 'request',
      reqId: 'req-42',
      org: orgId,
      method: 'POST',
      status: 201,
      ms: expect.any(Number),
    });
    expect(parsed.find((l) => l.path === '/v1/devices' && l.status === 201)).toMatchObject({ org: orgId });
    expect(parsed.find((l) => l.msg === 'sync connected')).toMatchObject({
      org: orgId,
      device: device.deviceId,
    });
    const sealed = await loadConnectionString(p.control, orgId);
    const dsn = sealed ? p.tenants.keyring.open(sealed, orgId) : '';
    const all = lines.join('\n');
    for (const secret of [ADMIN, created.ownerPassword, hq, device.token, '482910', dsn]) {
      expect(secret.length).toBeGreaterThan(5);
      expect(all).not.toContain(secret);
    }
    expect(all).not.toContain(device.token.slice(-20));
  });
});
