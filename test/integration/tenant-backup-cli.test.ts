// `modernpos tenant backup` and `tenant restore` on the embedded engine (PGlite): exit codes, --json,
// the refusals that write nothing, and a restore over the tenant that brings back what the backup
// held and only that.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.ts';
import { uniqueId } from '../helpers/engines.ts';

describe('modernpos tenant backup and restore on the embedded engine', () => {
  let root: string;
  let env: Record<string, string>;
  const org = uniqueId('bk');
  const cli = (...argv: string[]) => runCli(argv, env);
  const tenantState = async () => {
    const run = await cli('tenant', 'show', org, '--json');
    expect(run.code).toBe(0);
    return JSON.parse(run.out) as { status: string; schemaVersion: number };
  };

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'modernpos-backup-cli-'));
    env = { MODERNPOS_DATA_DIR: join(root, 'data'), MODERNPOS_BACKUP_DIR: join(root, 'backups') };
    expect((await cli('tenant', 'create', org, '--name', 'Backup CLI')).code).toBe(0);
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('backs up into the backup directory and restores over the tenant only with --replace', async () => {
    const backup = await cli('tenant', 'backup', org, '--json');
    expect(backup.code).toBe(0);
    const made = JSON.parse(backup.out) as { file: string; cluster: string; schemaVersion: number };
    expect(made.file.startsWith(join(root, 'backups'))).toBe(true);
    expect(made.cluster).toBe('embedded');

    const refused = await cli('tenant', 'restore', org, '--from', made.file);
    expect(refused.code).toBe(1);
    expect(refused.err).toMatch(
      /^modernpos: organization .* exists: restoring replaces everything .*--replace/,
    );

    const restored = await cli('tenant', 'restore', org, '--from', made.file, '--replace');
    expect(restored.code).toBe(0);
    expect(restored.out).toMatch(new RegExp(`^Restored ${org} on cluster embedded from `));
    expect(await tenantState()).toMatchObject({ status: 'active', schemaVersion: made.schemaVersion });
  });

  it('exits 2 for a file that is not a backup, a backup of another tenant or no --from, and 1 for --as taken', async () => {
    const junk = join(root, 'junk.tar.gz');
    writeFileSync(junk, 'junk');
    const notBackup = await cli('tenant', 'restore', org, '--from', junk, '--replace');
    expect(notBackup.code).toBe(2);
    expect(notBackup.err).toMatch(/is not a ModernPOS tenant export or backup/);

    const made = JSON.parse((await cli('tenant', 'backup', org, '--json')).out) as { file: string };
    const other = await cli('tenant', 'restore', 'someone_else', '--from', made.file, '--replace');
    expect(other.code).toBe(2);
    expect(other.err).toMatch(new RegExp(`is a backup of ${org}, not of someone_else`));

    expect((await cli('tenant', 'restore', org)).code).toBe(2);
    expect((await cli('tenant', 'restore', org, '--from', made.file, '--as', org)).code).toBe(2);
    const second = uniqueId('bk');
    const copy = await cli('tenant', 'restore', org, '--from', made.file, '--as', second, '--json');
    expect(copy.code).toBe(0);
    expect(JSON.parse(copy.out)).toMatchObject({ mode: 'created', orgId: second, backupOf: org });
    const taken = await cli('tenant', 'restore', org, '--from', made.file, '--as', second);
    expect(taken.code).toBe(1);
    expect(taken.err).toMatch(/already exists/);
  });
});
