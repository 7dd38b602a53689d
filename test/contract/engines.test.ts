// The engine contract (engine-contract.ts) run on every engine: embedded PGlite always, the real
// Postgres whenever MODERNPOS_TEST_PG_URL is set (always in CI). Each engine then adds its own block.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedEngine } from '../../cloud/engines/embedded.ts';
import type { Engine } from '../../cloud/engines/engine.ts';
import { createPostgresEngine, postgresDatabaseOf, withDatabase } from '../../cloud/engines/postgres.ts';
import { isAppError } from '../../src/errors.ts';
import { NO_PG, PG_URL, PRISTINE_DIR, uniqueId } from '../helpers/engines.ts';
import { type EngineFactory, type EngineFixture, registerEngineTests } from './engine-contract.ts';

const embeddedFactory: EngineFactory = async () => {
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-engine-'));
  const engine = createEmbeddedEngine({ dataDir: join(dir, 'data'), pristineDir: PRISTINE_DIR });
  return {
    engine,
    template: 'template',
    async destroy() {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
};

const postgresFactory: EngineFactory = async () => {
  const template = `modernpos_test_template_${randomBytes(4).toString('hex')}`;
  const engine = createPostgresEngine({ adminUrl: PG_URL!, templateDatabase: template, cluster: 'contract' });
  return {
    engine,
    template,
    async destroy() {
      await engine.dropDatabase(template);
      await engine.roles.dropTenantRole(template); // the template's role is named after it
      await engine.close();
    },
  };
};

/** Whether a SCRAM-SHA-256 verifier (`SCRAM-SHA-256$iterations:salt$StoredKey:ServerKey`) is `password`'s (RFC 5802). */
function scramMatches(verifier: string, password: string): boolean {
  const m = /^SCRAM-SHA-256\$(\d+):([^$]+)\$([^:]+):(.+)$/.exec(verifier);
  if (!m) return false;
  const salted = pbkdf2Sync(password, Buffer.from(m[2]!, 'base64'), Number(m[1]), 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest('base64');
  const serverKey = createHmac('sha256', salted).update('Server Key').digest('base64');
  return storedKey === m[3] && serverKey === m[4];
}

/** One fixture for a block of extras, with its databases (and roles) dropped afterwards. */
function useFixture(factory: EngineFactory) {
  const state: { fixture?: EngineFixture; made: string[] } = { made: [] };
  beforeAll(async () => {
    state.fixture = await factory();
  });
  afterAll(async () => {
    const engine = state.fixture?.engine;
    if (!engine) return;
    for (const name of state.made) {
      await engine.dropDatabase(name);
      await engine.roles.dropTenantRole(name);
    }
    await state.fixture?.destroy();
  });
  return {
    get engine(): Engine {
      return state.fixture!.engine;
    },
    name() {
      const name = `modernpos_test_engine_${uniqueId()}`;
      state.made.push(name);
      return name;
    },
  };
}

describe('engine contract on embedded', () => registerEngineTests(embeddedFactory));

describe('embedded engine: its own', () => {
  const f = useFixture(embeddedFactory);

  it('has a trivial role part, as documented: the DSN is the database’s name, the rest are no-ops', async () => {
    const { engine } = f;
    const name = f.name();
    await engine.createDatabase(name);
    const dsn = await engine.roles.grantTenantAccess(name, 'ignored', engine.database(name));
    expect(dsn).toBe(`embedded:${name}`);
    expect(await engine.roles.rotateTenantPassword(name, 'also ignored')).toBe(dsn);
    expect(await engine.roles.rotateTenantPassword(f.name(), 'no such database')).toMatch(/^embedded:/);
    expect(engine.roles.migrationRole(name)).toBeUndefined();
    await engine.roles.prepareTemplate(name);
    await engine.roles.revokePublicConnect(name);
    await engine.roles.dropTenantRole(name);
    expect(
      await engine.connect(dsn, { maxConnections: 1, idleTimeoutMs: 1_000 }).query('SELECT 1 AS one'),
    ).toEqual([{ one: 1 }]);
  });

  it('refuses a revoked tenant’s queries as tenant_offboarded', async () => {
    const { engine } = f;
    const name = f.name();
    await engine.createDatabase(name);
    const dsn = await engine.roles.grantTenantAccess(name, '', engine.database(name));
    await engine.roles.revokeTenantAccess(name);
    const err = await engine
      .connect(dsn, { maxConnections: 1, idleTimeoutMs: 1_000 })
      .query('SELECT 1')
      .catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('tenant_offboarded');
    // The administrative handle is not the tenant's: it still reaches the database.
    expect(await engine.database(name).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('knows only its own DSNs and reports no server load', async () => {
    const { engine } = f;
    expect(engine.kind).toBe('embedded');
    expect(engine.cluster).toBe('embedded');
    expect(engine.databaseOf('embedded:modernpos_org_x')).toBe('modernpos_org_x');
    expect(engine.databaseOf('postgres://u:p@h/modernpos_org_x')).toBeUndefined();
    expect(() => engine.connect('postgres://u:p@h/x', { maxConnections: 1, idleTimeoutMs: 1_000 })).toThrow();
    expect(engine.adminUrlOf).toBeUndefined();
    expect(await engine.load([])).toEqual({ sizeBytes: 0, backends: null, maxConnections: null });
  });

  it('refuses a second engine on the same data directory', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'modernpos-engine-lock-'));
    const first = createEmbeddedEngine({ dataDir: dir, pristineDir: PRISTINE_DIR });
    try {
      expect(() => createEmbeddedEngine({ dataDir: dir, pristineDir: PRISTINE_DIR })).toThrow(/already open/);
    } finally {
      await first.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.skipIf(NO_PG)('engine contract on postgres', () => registerEngineTests(postgresFactory));

describe.skipIf(NO_PG)('postgres engine: its own', () => {
  const f = useFixture(postgresFactory);
  const pool = { maxConnections: 1, idleTimeoutMs: 60_000 };

  it('gives each tenant database its own login role, its owner, and shuts PUBLIC out', async () => {
    const { engine } = f;
    const name = f.name();
    await engine.createDatabase(name);
    const dsn = await engine.roles.grantTenantAccess(name, 'pw-one', engine.database(name));
    const url = new URL(dsn);
    expect(decodeURIComponent(url.username)).toBe(name);
    expect(decodeURIComponent(url.password)).toBe('pw-one');
    expect(engine.roles.migrationRole(name)).toBe(name);
    const db = engine.connect(dsn, pool);
    try {
      expect(
        await db.query<{ me: string; owner: string; public_connect: boolean }>(
          `SELECT current_user AS me, pg_get_userbyid(datdba) AS owner,
             has_database_privilege('public', current_database(), 'CONNECT') AS public_connect
           FROM pg_database WHERE datname = current_database()`,
        ),
      ).toEqual([{ me: name, owner: name, public_connect: false }]);
    } finally {
      await db.close();
    }
  });

  it('rotates the password: the role’s stored verifier is the new password’s, open sessions keep working', async () => {
    // The test server may trust local connections (no password asked), so the stored SCRAM verifier
    // is checked instead of a refused login (reading pg_authid needs the documented superuser).
    const { engine } = f;
    const name = f.name();
    await engine.createDatabase(name);
    const oldDsn = await engine.roles.grantTenantAccess(name, 'pw-old', engine.database(name));
    const admin = engine.database(postgresDatabaseOf(PG_URL!)!);
    const verifier = async () =>
      (
        await admin.query<{ v: string }>('SELECT rolpassword AS v FROM pg_authid WHERE rolname = $1', [name])
      )[0]!.v;
    expect(scramMatches(await verifier(), 'pw-old')).toBe(true);
    const open = engine.connect(oldDsn, pool);
    try {
      await open.query('SELECT 1');
      const newDsn = await engine.roles.rotateTenantPassword(name, 'pw-new');
      expect(decodeURIComponent(new URL(newDsn).password)).toBe('pw-new');
      expect(scramMatches(await verifier(), 'pw-new')).toBe(true);
      expect(scramMatches(await verifier(), 'pw-old')).toBe(false);
      expect(await open.query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
    } finally {
      await open.close();
    }
  });

  it('refuses to rotate the password of a role that does not exist', async () => {
    const err = await f.engine.roles.rotateTenantPassword(f.name(), 'pw').catch((e: unknown) => e);
    expect(isAppError(err) && err.code).toBe('tenant_unavailable');
  });

  it('reads database names from postgres URLs only, and gives the admin URL of a database', () => {
    const { engine } = f;
    expect(engine.kind).toBe('postgres');
    expect(engine.cluster).toBe('contract');
    expect(engine.databaseOf('postgresql://u:p@h:5432/a%20b?sslmode=disable')).toBe('a b');
    expect(engine.databaseOf('embedded:modernpos_org_x')).toBeUndefined();
    expect(postgresDatabaseOf(engine.adminUrlOf!('modernpos_x'))).toBe('modernpos_x');
    expect(engine.adminUrlOf!('modernpos_x')).toBe(withDatabase(PG_URL!, 'modernpos_x'));
  });

  it('reports the server’s client backends out of max_connections', async () => {
    const load = await f.engine.load([]);
    expect(load.sizeBytes).toBe(0);
    expect(load.backends).toBeGreaterThanOrEqual(1);
    expect(load.maxConnections).toBeGreaterThanOrEqual(load.backends!);
  });
});
