// The CLI as a real process against the real Postgres: onboarding killed part-way (SIGKILL) and run
// again completes, and no plaintext DSN or password appears in output, errors, the control database
// or exports.

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { openPlatform, type Platform } from '../../cloud/platform.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { runCli, spawnCli } from '../helpers/cli.ts';
import { dropPostgresLeftovers, NO_PG, PG_URL, uniqueId } from '../helpers/engines.ts';

describe.skipIf(NO_PG)('modernpos CLI on the real Postgres (needs MODERNPOS_TEST_PG_URL)', () => {
  const suffix = randomBytes(4).toString('hex');
  const masterKey = randomBytes(32);
  const env = {
    MODERNPOS_PG_URL: PG_URL!,
    MODERNPOS_MASTER_KEY: masterKey.toString('base64'),
    MODERNPOS_CONTROL_DB: `modernpos_test_control_${suffix}`,
    MODERNPOS_TEMPLATE_DB: `modernpos_test_template_${suffix}`,
    MODERNPOS_BACKUP_DIR: '',
  };
  let root: string;
  let platform: Platform | undefined;
  const transcript: string[] = [];
  /** Every org id this suite tried to create, so teardown drops their databases and roles. */
  const attempted: string[] = [];
  const cli = async (argv: string[], extra: Record<string, string> = {}) => {
    const run = await runCli([...argv, '--verbose'], { ...env, ...extra });
    transcript.push(run.out, run.err);
    return run;
  };

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-pgcli-'));
    env.MODERNPOS_BACKUP_DIR = join(root, 'backups');
  });
  afterAll(async () => {
    let orgIds: string[] = [];
    if (platform) {
      orgIds = (await platform.control.query<{ id: string }>('SELECT id FROM organizations')).map(
        (r) => r.id,
      );
      await platform.close();
    }
    const names = { controlDatabase: env.MODERNPOS_CONTROL_DB, templateDatabase: env.MODERNPOS_TEMPLATE_DB };
    await dropPostgresLeftovers(names, [...new Set([...orgIds, ...attempted])]);
    rmSync(root, { recursive: true, force: true });
  });

  it.each(['registered', 'database_created', 'access_granted', 'migrated', 'seeded', 'credentials_stored'])(
    'finishes an onboarding whose process was killed after %s',
    async (step) => {
      const orgId = uniqueId('kill');
      attempted.push(orgId);
      const killed = await spawnCli(['tenant', 'create', orgId, '--name', 'Killed'], {
        ...env,
        MODERNPOS_TEST_CRASH_AFTER: step,
        NODE_ENV: 'test',
      });
      expect(killed.signal).toBe('SIGKILL');
      transcript.push(killed.out, killed.err);
      const listed = await cli(['tenant', 'show', orgId, '--json']);
      expect(JSON.parse(listed.out).status).toBe('provisioning');
      const again = await spawnCli(['tenant', 'create', orgId, '--name', 'Killed'], env);
      transcript.push(again.out, again.err);
      expect(again.code, again.err).toBe(0);
      expect(again.out).toMatch(/Finished onboarding/);
      expect(JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out).status).toBe('active');
    },
  );

  it('ignores the crash hook, with a warning, unless NODE_ENV=test', async () => {
    const orgId = uniqueId('nohook');
    attempted.push(orgId);
    const run = await spawnCli(['tenant', 'create', orgId, '--name', 'No hook'], {
      ...env,
      MODERNPOS_TEST_CRASH_AFTER: 'registered',
      NODE_ENV: 'production',
    });
    expect(run.signal).toBeNull();
    expect(run.code, run.err).toBe(0);
    expect(run.err).toMatch(/MODERNPOS_TEST_CRASH_AFTER is ignored/);
    expect(JSON.parse((await cli(['tenant', 'show', orgId, '--json'])).out).status).toBe('active');
  });

  it('keys rotate re-encrypts every DSN under the new master key, with the old one still accepted', async () => {
    const orgId = uniqueId('keys');
    attempted.push(orgId);
    expect((await cli(['tenant', 'create', orgId, '--name', 'Keys'])).code).toBe(0);
    const newKey = randomBytes(32).toString('base64');
    const rotated = await cli(['keys', 'rotate'], {
      MODERNPOS_MASTER_KEY: newKey,
      MODERNPOS_PREVIOUS_MASTER_KEYS: env.MODERNPOS_MASTER_KEY,
    });
    expect(rotated.code, rotated.err).toBe(0);
    expect(rotated.out).toMatch(/Re-encrypted \d+ connection string/);
    // Without the old key, the new one alone now opens everything; the old one alone no longer does.
    const shown = await cli(['tenant', 'rotate-credentials', orgId], { MODERNPOS_MASTER_KEY: newKey });
    expect(shown.code, shown.err).toBe(0);
    const again = await cli(['keys', 'rotate'], { MODERNPOS_MASTER_KEY: newKey });
    expect(again.out).toMatch(/Re-encrypted 0 connection string/);
    // Put the suite's key back for the tests that follow.
    const back = await cli(['keys', 'rotate'], { MODERNPOS_PREVIOUS_MASTER_KEYS: newKey });
    expect(back.code, back.err).toBe(0);
  });

  /** The tenant's DSN as stored now (read straight from the control database, decrypted). */
  async function storedDsn(orgId: string): Promise<string> {
    const client = new pg.Client({ connectionString: withDatabase(PG_URL!, env.MODERNPOS_CONTROL_DB) });
    await client.connect();
    try {
      const { rows } = await client.query(
        'SELECT ciphertext, key_id FROM tenant_connection_strings WHERE org_id = $1',
        [orgId],
      );
      return createKeyring(masterKey).open({ ciphertext: rows[0].ciphertext, keyId: rows[0].key_id }, orgId);
    } finally {
      await client.end();
    }
  }

  it('never shows a plaintext DSN or database password anywhere', async () => {
    const orgId = uniqueId('sec');
    attempted.push(orgId);
    const created = await cli(['tenant', 'create', orgId, '--name', 'Secrets', '--json']);
    expect(created.code, created.err).toBe(0);
    const firstDsn = await storedDsn(orgId);
    await cli(['tenant', 'list']);
    await cli(['tenant', 'show', orgId]);
    await cli(['tenant', 'migrate', '--all']);
    await cli(['tenant', 'rotate-credentials', orgId]);
    const exportFile = join(root, 'sec.tar.gz');
    await cli(['tenant', 'export', orgId, '--out', exportFile]);
    await cli(['tenant', 'show', 'Bad-Id']);
    await cli(['tenant', 'create', orgId, '--name', 'Dup']);

    const dsn = await storedDsn(orgId);
    expect(dsn).not.toBe(firstDsn);
    const passwords = [dsn, firstDsn].map((d) => decodeURIComponent(new URL(d).password));
    for (const password of passwords) expect(password.length).toBeGreaterThanOrEqual(24);

    platform = await openPlatform({
      engine: { kind: 'postgres', adminUrl: PG_URL! },
      keyring: createKeyring(masterKey),
      backupDir: env.MODERNPOS_BACKUP_DIR,
      actor: 'test',
      controlDatabase: env.MODERNPOS_CONTROL_DB,
      templateDatabase: env.MODERNPOS_TEMPLATE_DB,
    });

    // Offboarding writes its own output and audit entries too.
    await cli(['tenant', 'offboard', orgId, '--yes']);

    const secrets = [dsn, firstDsn, ...passwords];
    const output = transcript.join('\n');
    for (const s of secrets) expect(output).not.toContain(s);

    const controlDump: string[] = [];
    for (const table of ['organizations', 'tenant_connection_strings', 'audit_logs', 'schema_migrations']) {
      const rows = await platform.control.query(`SELECT to_jsonb(t)::text AS r FROM ${quoteIdent(table)} t`);
      controlDump.push(...rows.map((r) => String(r.r)));
    }
    for (const s of secrets) expect(controlDump.join('\n')).not.toContain(s);

    const files = [
      exportFile,
      ...readdirSync(env.MODERNPOS_BACKUP_DIR).map((f) => join(env.MODERNPOS_BACKUP_DIR, f)),
    ];
    for (const file of files) {
      const listing = execFileSync('tar', ['xzOf', file], { encoding: 'utf8' });
      for (const s of secrets) expect(listing).not.toContain(s);
      expect(readFileSync(file).length).toBeGreaterThan(0);
    }
  });
});
