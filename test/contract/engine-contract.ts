// The engine contract: what every engine (cloud/engines/engine.ts) promises, as a function of a
// factory so each engine's test file runs the same suite and then adds its own block of extras.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Engine } from '../../cloud/engines/engine.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { uniqueId } from '../helpers/engines.ts';

/** An engine under test, and how to remove what it leaves behind once every test is done. */
export interface EngineFixture {
  engine: Engine;
  /** The template database the engine was configured with (its role part prepares it). */
  template: string;
  /** Closes the engine and removes what it made that the suite cannot (data directory, template role). */
  destroy(): Promise<void>;
}

export type EngineFactory = () => Promise<EngineFixture>;

const POOL = { maxConnections: 2, idleTimeoutMs: 60_000 };

/**
 * Registers the contract tests in the caller's describe block. Each test makes its own uniquely named
 * databases; all of them (and their tenant roles) are dropped after the last test.
 */
export function registerEngineTests(factory: EngineFactory): void {
  let fixture: EngineFixture;
  let engine: Engine;
  const made = new Set<string>();
  const closers: Array<() => Promise<void>> = [];

  beforeAll(async () => {
    fixture = await factory();
    engine = fixture.engine;
  });
  afterAll(async () => {
    if (!fixture) return;
    for (const close of closers) await close().catch(() => {});
    for (const name of made) {
      await engine.dropDatabase(name);
      await engine.roles.dropTenantRole(name);
    }
    await fixture.destroy();
  });

  const newName = () => {
    const name = `modernpos_test_engine_${uniqueId()}`;
    made.add(name);
    return name;
  };
  /** A handle the suite closes after the last test (a test's failure must not leak pools). */
  const connect = (dsn: string) => {
    const db = engine.connect(dsn, POOL);
    closers.push(() => db.close());
    return db;
  };
  /** A new tenant database with its own access: its name and DSN. */
  const tenant = async () => {
    const name = newName();
    await engine.createDatabase(name);
    const dsn = await engine.roles.grantTenantAccess(name, `pw-${uniqueId()}`, engine.database(name));
    return { name, dsn };
  };

  it('says what it is and which cluster it reaches', () => {
    expect(['postgres', 'embedded']).toContain(engine.kind);
    expect(engine.cluster).toMatch(/^\S+$/);
  });

  it('creates a database, sees it exist, refuses to create it twice, and drops it (idempotently)', async () => {
    const name = newName();
    expect(await engine.databaseExists(name)).toBe(false);
    await engine.createDatabase(name);
    expect(await engine.databaseExists(name)).toBe(true);
    await expect(engine.createDatabase(name)).rejects.toThrow();
    await engine.dropDatabase(name);
    expect(await engine.databaseExists(name)).toBe(false);
    await engine.dropDatabase(name);
  });

  it('opens a database: the shared and a private handle query, exec and run transactions', async () => {
    const name = newName();
    await engine.createDatabase(name);
    const shared = engine.database(name);
    await shared.exec('CREATE TABLE t (id int PRIMARY KEY, label text NOT NULL)');
    await shared.query('INSERT INTO t VALUES ($1, $2)', [1, 'one']);
    const own = engine.openDatabase(name, 1);
    try {
      expect(await own.query('SELECT id, label FROM t')).toEqual([{ id: 1, label: 'one' }]);
      expect(await own.queryArrays('SELECT id, label FROM t')).toEqual([[1, 'one']]);
      await own.transaction(async (tx) => {
        await tx.query('INSERT INTO t VALUES ($1, $2)', [2, 'two']);
      });
      await expect(
        own.transaction(async (tx) => {
          await tx.query('INSERT INTO t VALUES ($1, $2)', [3, 'three']);
          throw new Error('roll back');
        }),
      ).rejects.toThrow('roll back');
    } finally {
      await own.close();
    }
    expect(await shared.query('SELECT id FROM t ORDER BY id')).toEqual([{ id: 1 }, { id: 2 }]);
  });

  it('closes its own handles to a database, and opens them again on next use', async () => {
    const name = newName();
    await engine.createDatabase(name);
    await engine.database(name).exec('CREATE TABLE t (id int)');
    await engine.closeDatabase(name);
    await engine.closeDatabase(name);
    expect(await engine.database(name).query('SELECT count(*)::int AS n FROM t')).toEqual([{ n: 0 }]);
  });

  it('drops a database that handles are still open on', async () => {
    const name = newName();
    await engine.createDatabase(name);
    await engine.database(name).query('SELECT 1');
    const own = engine.openDatabase(name);
    closers.push(() => own.close());
    await own.query('SELECT 1');
    await engine.dropDatabase(name);
    expect(await engine.databaseExists(name)).toBe(false);
  });

  it('copies a prepared template: the copy is the tenant’s, through its own DSN', async () => {
    const template = fixture.template;
    made.add(template);
    await engine.createDatabase(template);
    await engine.roles.prepareTemplate(template);
    await engine.roles.prepareTemplate(template);
    const role = engine.roles.migrationRole(template);
    await engine.database(template).transaction(async (tx) => {
      if (role) await tx.exec(`SET LOCAL ROLE ${quoteIdent(role)}`);
      await tx.exec(
        "CREATE TABLE item (id int PRIMARY KEY, name text NOT NULL); INSERT INTO item VALUES (1, 'tea')",
      );
    });
    await engine.closeDatabase(template);

    const name = newName();
    await engine.createDatabase(name, { template });
    const dsn = await engine.roles.grantTenantAccess(name, `pw-${uniqueId()}`, engine.database(name));
    const db = connect(dsn);
    await db.query("INSERT INTO item VALUES (2, 'coffee')");
    await db.exec('CREATE TABLE tenant_own (id int)');
    expect(await db.query('SELECT name FROM item ORDER BY id')).toEqual([
      { name: 'tea' },
      { name: 'coffee' },
    ]);
    expect(await engine.database(template).query('SELECT count(*)::int AS n FROM item')).toEqual([{ n: 1 }]);
  });

  it('hands the tenant a DSN that leads to its database (databaseOf) and returns the shared value shapes', async () => {
    const { name, dsn } = await tenant();
    expect(engine.databaseOf(dsn)).toBe(name);
    expect(engine.databaseOf('not a dsn')).toBeUndefined();
    const db = connect(dsn);
    expect(
      await db.query(
        "SELECT '2026-03-01'::date AS day, 9007199254740991::int8 AS big, '2026-03-02 04:30:00+05:30'::timestamptz AS at",
      ),
    ).toEqual([{ day: '2026-03-01', big: Number.MAX_SAFE_INTEGER, at: '2026-03-01T23:00:00.000Z' }]);
  });

  it('grants access idempotently and rotates the password: the newest DSN leads to the same database', async () => {
    const { name } = await tenant();
    const again = await engine.roles.grantTenantAccess(name, `pw-${uniqueId()}`, engine.database(name));
    expect(engine.databaseOf(again)).toBe(name);
    const rotated = await engine.roles.rotateTenantPassword(name, `pw-${uniqueId()}`);
    expect(engine.databaseOf(rotated)).toBe(name);
    expect(await connect(rotated).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('revokes access (the tenant’s handles refuse), idempotently, and grants it back', async () => {
    const { name, dsn } = await tenant();
    const db = connect(dsn);
    await db.query('SELECT 1');
    await engine.roles.revokeTenantAccess(name);
    await engine.roles.revokeTenantAccess(name);
    await expect(db.query('SELECT 1')).rejects.toThrow();
    await expect(connect(dsn).query('SELECT 1')).rejects.toThrow();
    const back = await engine.roles.grantTenantAccess(name, `pw-${uniqueId()}`, engine.database(name));
    expect(await connect(back).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('drops a tenant role after its database, idempotently', async () => {
    const { name } = await tenant();
    await engine.roles.revokeTenantAccess(name);
    await engine.dropDatabase(name);
    await engine.roles.dropTenantRole(name);
    await engine.roles.dropTenantRole(name);
    expect(await engine.databaseExists(name)).toBe(false);
  });

  it('removes PUBLIC’s access to a database it keeps for itself, idempotently', async () => {
    const name = newName();
    await engine.createDatabase(name);
    await engine.roles.revokePublicConnect(name);
    await engine.roles.revokePublicConnect(name);
    expect(await engine.database(name).query('SELECT 1 AS one')).toEqual([{ one: 1 }]);
  });

  it('measures a database and the load of those that exist', async () => {
    const name = newName();
    const missing = newName();
    await engine.createDatabase(name);
    await engine.closeDatabase(name);
    const size = await engine.databaseSizeBytes(name);
    expect(size).toBeGreaterThan(0);
    expect((await engine.load([name, missing])).sizeBytes).toBe(size);
    expect((await engine.load([missing])).sizeBytes).toBe(0);
    expect((await engine.load([])).sizeBytes).toBe(0);
  });
}
