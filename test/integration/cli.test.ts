// The `modernpos` command line: exit codes, one-line errors, --json, and that bad input creates nothing.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { runCli } from '../helpers/cli.ts';
import { PRISTINE_DIR, uniqueId } from '../helpers/engines.ts';

/** The tenant schema version this build migrates to. */
const LATEST = loadMigrationSet('tenant', join(MIGRATIONS_DIR, 'tenant'), 'postgres').migrations.length;

describe('modernpos CLI on the embedded engine', () => {
  let root: string;
  let env: Record<string, string>;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-cli-'));
    env = { MODERNPOS_DATA_DIR: join(root, 'data') };
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it.each(['x;drop database postgres', 'A', 'a-b', '../x', '', 'a'.repeat(49)])(
    'exits 2 with one line for org id %j and creates nothing',
    async (orgId) => {
      const fresh = { MODERNPOS_DATA_DIR: join(root, `fresh-${randomBytes(3).toString('hex')}`) };
      const run = await runCli(['tenant', 'create', orgId, '--name', 'X'], fresh);
      expect(run.code).toBe(2);
      expect(run.err.split('\n')).toHaveLength(1);
      expect(run.err).toMatch(/^modernpos: invalid org id/);
      expect(existsSync(fresh.MODERNPOS_DATA_DIR)).toBe(false);
    },
  );

  it.each([
    ['cloud'],
    ['dev'],
    ['edge', '--cloud-url', 'http://localhost:1', '--token', `mpd_acme_${'x'.repeat(32)}`, '--branch', 'B1'],
  ])('refuses a bad MODERNPOS_LOG_LEVEL before opening anything (%s)', async (...argv) => {
    const dir = join(root, `level-${randomBytes(3).toString('hex')}`);
    const run = await runCli(argv, {
      MODERNPOS_DATA_DIR: dir,
      MODERNPOS_EDGE_DB: join(dir, 'edge.db'),
      MODERNPOS_LOG_LEVEL: 'loud',
    });
    expect(run.code).toBe(2);
    expect(run.err).toMatch(/^modernpos: MODERNPOS_LOG_LEVEL loud is not one of/);
    expect(existsSync(dir)).toBe(false);
  });

  it('exits 2 on usage errors', async () => {
    for (const argv of [
      [],
      ['tenant'],
      ['tenant', 'create', 'acme'],
      ['tenant', 'bogus'],
      ['frobnicate'],
      ['tenant', 'list', '--bogus'],
    ]) {
      const run = await runCli(argv, env);
      expect(run.code, argv.join(' ')).toBe(2);
      expect(run.err).toMatch(/modernpos|Usage/);
    }
    expect((await runCli(['tenant', 'migrate'], env)).code).toBe(2);
    expect(
      (await runCli(['tenant', 'list', '--max-open-databases', '-3'], env)).err.split('\n'),
    ).toHaveLength(1);
    expect((await runCli(['--version'], env)).out).toMatch(/^modernpos \d+\.\d+\.\d+$/);
    const help = await runCli(['--help'], env);
    expect(help.code).toBe(0);
    expect(help.out).toContain('tenant create ORG');
  });

  it('creates, lists, shows, exports and offboards a tenant with --json output', async () => {
    const orgId = uniqueId('cli');
    const created = await runCli(
      ['tenant', 'create', orgId, '--name', 'CLI Shop', '--currency', 'EUR', '--json'],
      env,
    );
    expect(created.code, created.err).toBe(0);
    const body = JSON.parse(created.out);
    expect(Object.keys(body).sort()).toEqual(['database', 'orgId', 'ownerEmail', 'ownerPassword']);
    expect(body).toMatchObject({
      orgId,
      database: `modernpos_org_${orgId}`,
      ownerEmail: 'owner@example.com',
    });
    expect(existsSync(join(root, 'data', 'master.key'))).toBe(true);

    const again = await runCli(['tenant', 'create', orgId, '--name', 'CLI Shop'], env);
    expect(again.code).toBe(1);
    expect(again.err).toMatch(/already exists/);

    const list = await runCli(['tenant', 'list', '--json'], env);
    expect(JSON.parse(list.out)).toEqual([
      expect.objectContaining({ orgId, status: 'active', schemaVersion: LATEST }),
    ]);
    const table = await runCli(['tenant', 'list'], env);
    expect(table.out).toMatch(/ORG\s+STATUS\s+SCHEMA\s+SIZE\s+CLUSTER\s+NAME/);
    const show = await runCli(['tenant', 'show', orgId], env);
    expect(show.out).toMatch(/status:\s+active/);
    expect((await runCli(['tenant', 'show', uniqueId()], env)).code).toBe(1);

    const migrateAll = await runCli(['tenant', 'migrate', '--all'], env);
    expect(migrateAll.code).toBe(0);
    expect(migrateAll.out).toMatch(/1 tenant\(s\): 0 migrated, 1 already current, 0 failed/);

    const out = join(root, 'export.tar.gz');
    expect((await runCli(['tenant', 'export', orgId, '--out', out], env)).code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const overwrite = await runCli(['tenant', 'export', orgId, '--out', out], env);
    expect(overwrite.code).toBe(1);
    expect(overwrite.err).toMatch(/already exists/);
    const nowhere = await runCli(
      ['tenant', 'export', orgId, '--out', join(root, 'missing', 'x.tar.gz')],
      env,
    );
    expect(nowhere.code).toBe(2);
    expect(nowhere.err).toMatch(/does not exist/);

    const refused = await runCli(['tenant', 'offboard', orgId], env);
    expect(refused.code).toBe(2);
    expect(refused.err).toMatch(/--yes/);
    const off = await runCli(['tenant', 'offboard', orgId, '--yes'], env);
    expect(off.code, off.err).toBe(0);
    expect(off.out).toMatch(/Backup written to/);
  });

  it('tenant migrate --all carries on past a failing tenant, reports it and exits 1', async () => {
    const dir = join(root, 'rollout');
    const renv = { MODERNPOS_DATA_DIR: dir };
    const [good, bad] = [uniqueId('good'), uniqueId('bad')];
    for (const orgId of [good, bad])
      expect((await runCli(['tenant', 'create', orgId, '--name', orgId], renv)).code).toBe(0);
    // Tamper with bad's record of an applied migration, as if its file had been edited.
    const { PGlite } = await import('@electric-sql/pglite');
    const db = await PGlite.create(join(dir, `modernpos_org_${bad}`));
    await db.exec("UPDATE schema_migrations SET checksum = 'edited'");
    await db.close();
    const run = await runCli(['tenant', 'migrate', '--all', '--concurrency', '2'], renv);
    expect(run.code).toBe(1);
    expect(run.err).toMatch(new RegExp(`${bad}: failed: .*edited after it was applied`));
    expect(run.out).toMatch(/2 tenant\(s\): 0 migrated, 1 already current, 1 failed/);
    const json = await runCli(['tenant', 'migrate', '--all', '--json'], renv);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({
      total: 2,
      failed: [expect.objectContaining({ orgId: bad, ok: false })],
    });
    expect((await runCli(['tenant', 'migrate', '--all', '--concurrency', '0'], renv)).code).toBe(2);
  });

  it('rotates the embedded master key and can still read every DSN', async () => {
    const orgId = uniqueId('key');
    expect((await runCli(['tenant', 'create', orgId, '--name', 'Keys'], env)).code).toBe(0);
    const rotated = await runCli(['keys', 'rotate'], env);
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toMatch(/Re-encrypted 1 connection string/);
    expect(existsSync(join(root, 'data', 'master.key.previous'))).toBe(false);
    const rotate = await runCli(['tenant', 'rotate-credentials', orgId], env);
    expect(rotate.code, rotate.err).toBe(0);
  });

  it('refuses a second process on the same embedded data directory', async () => {
    const { openPlatform } = await import('../../cloud/platform.ts');
    const { createKeyring } = await import('../../cloud/secrets/keyring.ts');
    const dataDir = join(root, 'locked');
    const held = await openPlatform({
      engine: { kind: 'embedded', dataDir, pristineDir: PRISTINE_DIR },
      keyring: createKeyring(randomBytes(32)),
      backupDir: join(root, 'b'),
      actor: 'test',
    });
    try {
      const run = await runCli(['tenant', 'list'], { MODERNPOS_DATA_DIR: dataDir });
      expect(run.code).toBe(1);
      expect(run.err).toMatch(/already open in this process|in use by process/);
    } finally {
      await held.close();
    }
  });
});

describe('modernpos CLI configuration errors', () => {
  it('gives one clear line and exit 1 when Postgres is unreachable', async () => {
    const run = await runCli(['tenant', 'list'], {
      MODERNPOS_PG_URL: 'postgres://postgres:hunter2-secret@127.0.0.1:1/postgres',
      MODERNPOS_MASTER_KEY: randomBytes(32).toString('base64'),
    });
    expect(run.code).toBe(1);
    expect(run.err).toBe('modernpos: cannot reach PostgreSQL at 127.0.0.1:1 (ECONNREFUSED)');
    expect(run.err).not.toContain('hunter2');
  });

  it('refuses to run on Postgres without a master key, and the cloud without an admin token', async () => {
    const noKey = await runCli(['tenant', 'list'], {
      MODERNPOS_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres',
    });
    expect(noKey.code).toBe(2);
    expect(noKey.err).toMatch(/MODERNPOS_MASTER_KEY is required/);
    const badKey = await runCli(['tenant', 'list'], {
      MODERNPOS_PG_URL: 'postgres://postgres@127.0.0.1:1/postgres',
      MODERNPOS_MASTER_KEY: 'too-short',
    });
    expect(badKey.code).toBe(2);
    expect(badKey.err).toMatch(/base64-encoded 32-byte key/);
  });
});
