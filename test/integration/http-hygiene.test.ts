// HTTP hygiene through a real cloud server on every engine: a 413 closes its connection cleanly so a
// keep-alive client's next request works, concurrent logins for one email are checked one at a time,
// concurrent revokes of one device write one audit row, and an internal error's log line carries no
// value bound to the failed statement.
import http from 'node:http';
import { Hono } from 'hono';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLoginThrottle } from '../../cloud/hq/login-throttle.ts';
import { createHqRoutes } from '../../cloud/http/hq-routes.ts';
import { type CloudServer, startCloudServer } from '../../cloud/server.ts';
import { onboardTenant } from '../../cloud/tenants/onboard.ts';
import type { ClosableSqlDatabase } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { createTestPlatform, engineNames, PG_URL, type TestPlatform, uniqueId } from '../helpers/engines.ts';
import { memoryLogger } from '../helpers/logs.ts';
import { waitFor } from '../helpers/wait.ts';

const ADMIN = 'mpa_hygiene_test_admin_token_012345';

interface Answer {
  status: number;
  connection: string | undefined;
  body: string;
  socket: number;
}

describe.each(engineNames)('HTTP hygiene on %s', (engine) => {
  let p: TestPlatform;
  let server: CloudServer;
  let db: ClosableSqlDatabase;
  const { logger, lines } = memoryLogger('cloud');
  const orgId = uniqueId('hyg');
  let owner: { email: string; password: string };
  const url = () => `http://127.0.0.1:${server.port}`;
  const json = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await fetch(`${url()}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const tenantUrl = () => {
    const u = new URL(PG_URL!);
    u.pathname = `/${tenantDatabaseName(orgId)}`;
    return u.toString();
  };
  const session = async () =>
    (await json('POST', `/v1/orgs/${orgId}/sessions`, 'none', owner)).body.token as string;

  beforeAll(async () => {
    p = await createTestPlatform(engine);
    const created = await onboardTenant(p.tenants, { orgId, name: 'Hygiene', currency: 'EUR' });
    owner = { email: created.ownerEmail, password: created.ownerPassword };
    db = p.engine.openDatabase(tenantDatabaseName(orgId));
    server = await startCloudServer({
      platform: { ...p, close: async () => {} },
      adminToken: ADMIN,
      port: 0,
      hostname: '127.0.0.1',
      resolver: { maxPools: 2, poolSize: 2 },
      migration: { intervalMs: 0, concurrency: 1 },
      logger,
    });
  });
  afterAll(async () => {
    await server?.stop();
    await db?.close();
    await p?.destroy();
  });

  it("answers a 413 with Connection: close, and a keep-alive client's next request succeeds on a new socket", async () => {
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    const errors: Error[] = [];
    const send = (method: string, path: string, body?: Buffer, chunked = false) =>
      new Promise<Answer>((resolve) => {
        const req = http.request(
          {
            host: '127.0.0.1',
            port: server.port,
            path,
            method,
            agent,
            headers: {
              authorization: `Bearer ${ADMIN}`,
              'content-type': 'application/json',
              ...(body === undefined
                ? {}
                : chunked
                  ? { 'transfer-encoding': 'chunked' }
                  : { 'content-length': body.length }),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () =>
              resolve({
                status: res.statusCode ?? 0,
                connection: res.headers.connection,
                body: text,
                socket: req.socket?.localPort ?? 0,
              }),
            );
          },
        );
        req.on('error', (err) => {
          errors.push(err);
          resolve({ status: 0, connection: undefined, body: err.message, socket: 0 });
        });
        if (body && chunked) {
          for (let at = 0; at < body.length; at += 64 * 1024) req.write(body.subarray(at, at + 64 * 1024));
          req.end();
        } else req.end(body);
      });
    try {
      const warm = await send('GET', '/healthz');
      expect(warm).toMatchObject({ status: 200, connection: 'keep-alive' });
      const big = Buffer.alloc(2 * 1024 * 1024 + 1, 0x20);
      for (const chunked of [false, true]) {
        const refused = await send('POST', '/admin/tenants', big, chunked);
        expect(refused).toMatchObject({ status: 413, connection: 'close' });
        expect(JSON.parse(refused.body)).toMatchObject({ error: { code: 'too_large' } });
        const next = await send('GET', '/healthz');
        expect(next).toMatchObject({ status: 200, body: '{"status":"ok"}' });
        expect(next.socket).not.toBe(refused.socket);
      }
      // A body under the limit is read whichever way it comes (Node's stream as declared, counted
      // when chunked), a byte order mark included: the schema's answer, not "not valid JSON".
      for (const chunked of [false, true]) {
        for (const text of ['{"orgId":"x"}', '\uFEFF{"orgId":"x"}']) {
          const read = await send('POST', '/admin/tenants', Buffer.from(text), chunked);
          expect(read.status).toBe(400);
          expect(read.body).not.toContain('not valid JSON');
          expect(JSON.parse(read.body)).toMatchObject({ error: { code: 'invalid_input' } });
        }
        const broken = await send('POST', '/admin/tenants', Buffer.from('{"orgId":'), chunked);
        expect(JSON.parse(broken.body)).toMatchObject({
          error: { code: 'invalid_input', message: 'request body is not valid JSON' },
        });
      }
      expect(errors).toEqual([]);
    } finally {
      agent.destroy();
    }
  });

  it('checks one of 20 concurrent wrong logins for one email (the others 429 with Retry-After), and a right password works after the window', async () => {
    let clock = 1_000_000;
    let releaseFirst: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      releaseFirst = resolve;
    });
    const waits: number[] = [];
    const app = new Hono();
    app.route(
      '/v1',
      createHqRoutes({
        resolver: server.resolver,
        // Every attempt waits (no free failures): the first one's wait is held until all others are answered.
        throttle: createLoginThrottle({
          freeFailures: 0,
          baseDelayMs: 50,
          windowMs: 60_000,
          now: () => clock,
        }),
        sleep: async (ms) => {
          waits.push(ms);
          await held;
        },
      }),
    );
    app.onError((err, c) => c.json({ error: { code: (err as { code?: string }).code } }, 401));
    const attempt = (password: string) =>
      app.request(`/v1/orgs/${orgId}/sessions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: owner.email, password }),
      });
    const answered: Response[] = [];
    const all = Array.from({ length: 20 }, (_, i) =>
      Promise.resolve(attempt(`wrong-${i}`)).then((res) => {
        answered.push(res);
        return res;
      }),
    );
    // While the first attempt to arrive is held in its wait, the 19 others are answered without one.
    await waitFor(() => answered.length === 19, 30_000, '19 answers');
    expect(answered.map((r) => r.status)).toEqual(Array(19).fill(429));
    for (const r of answered) {
      expect(Number(r.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(await r.json()).toMatchObject({ error: { code: 'rate_limited' } });
    }
    expect(waits).toEqual([50]);
    releaseFirst();
    const statuses = (await Promise.all(all)).map((r) => r.status);
    expect(statuses.filter((s) => s === 401)).toHaveLength(1);
    expect(statuses.filter((s) => s === 429)).toHaveLength(19);
    // Once the failure's window has passed, the right password logs in.
    clock += 60_001;
    const right = await attempt(owner.password);
    expect(right.status).toBe(201);
    expect(waits).toEqual([50, 50]);
  });

  it('revokes one device under 12 concurrent DELETEs: all 200 with one revokedAt, one audit row', async () => {
    const hq = await session();
    const device = await json('POST', '/v1/devices', hq, { branch: 'MAIN', name: 'Till' });
    expect(device.status).toBe(201);
    const id = device.body.deviceId as string;
    const revokes = () =>
      Promise.all(Array.from({ length: 12 }, () => json('DELETE', `/v1/devices/${id}`, hq)));
    let answers: Awaited<ReturnType<typeof revokes>>;
    if (engine === 'postgres') {
      // Deterministic interleaving: a lock on the device row holds every revoke between its start and
      // its write, so several are in flight at once when it is released (PGlite runs one at a time).
      const holder = new pg.Client({ connectionString: tenantUrl() });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query('SELECT 1 FROM devices WHERE id = $1 FOR UPDATE', [id]);
        const pending = revokes();
        // Polled from another session: pg_stat_activity is a snapshot taken once per transaction.
        await waitFor(async () => {
          const [row] = await db.query<{ n: number }>(
            "SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'",
          );
          return row!.n >= 2;
        });
        await holder.query('COMMIT');
        answers = await pending;
      } finally {
        await holder.end();
      }
    } else answers = await revokes();
    expect(answers.map((a) => a.status)).toEqual(Array(12).fill(200));
    expect(new Set(answers.map((a) => a.body.revokedAt)).size).toBe(1);
    const rows = await db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM audit_logs WHERE action = 'device.revoked' AND entity_id = $1",
      [id],
    );
    expect(rows[0]!.n).toBe(1);
    expect((await json('DELETE', `/v1/devices/${id}`, hq)).body.revokedAt).toBe(answers[0]!.body.revokedAt);
  });

  it("logs an internal error with its SQLSTATE and constraint, but none of the failed statement's values", async () => {
    const hq = await session();
    const marker = `Till-${uniqueId('secret')}`;
    // A constraint the product does not expect: registering a device becomes an internal error.
    await db.exec('ALTER TABLE devices ADD CONSTRAINT test_no_new_devices CHECK (false) NOT VALID');
    try {
      const failed = await json('POST', '/v1/devices', hq, { branch: 'MAIN', name: marker });
      expect(failed).toMatchObject({ status: 500, body: { error: { code: 'internal_error' } } });
    } finally {
      await db.exec('ALTER TABLE devices DROP CONSTRAINT test_no_new_devices');
    }
    const internal = lines.map((l) => JSON.parse(l)).filter((l) => l.msg === 'internal error');
    expect(internal).toHaveLength(1);
    const err = JSON.stringify(internal[0].err);
    expect(err).toContain('23514');
    expect(err).toContain('test_no_new_devices');
    expect(err).toContain('devices');
    for (const line of lines) expect(line).not.toContain(marker);
  });
});
