// Test platforms on both engines, uniquely named so parallel runs and CI on a shared Postgres never
// collide, and torn down completely (control, template and every tenant database and role).
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { type EngineConfig, openPlatform, type Platform, type PlatformConfig } from '../../cloud/platform.ts';
import { createKeyring } from '../../cloud/secrets/keyring.ts';
import { quoteIdent } from '../../src/db/sql.ts';

/** The real Postgres for tests. Unset: Postgres suites are skipped locally, but CI=true makes that an error. */
export const PG_URL = process.env.MODERNPOS_TEST_PG_URL;
if (!PG_URL && process.env.CI) {
  throw new Error('CI=true but MODERNPOS_TEST_PG_URL is not set: the Postgres suites must run in CI');
}

/** Skip reason used with describe.skipIf for suites that need the real Postgres. */
export const NO_PG = !PG_URL;

/** A shared empty PGlite cluster copied for each new embedded database (initdb takes seconds). */
export const PRISTINE_DIR = join(tmpdir(), 'modernpos-test-pristine-pglite-0.5.17');

export type EngineName = 'embedded' | 'postgres';

export const engineNames: EngineName[] = PG_URL ? ['embedded', 'postgres'] : ['embedded'];

export function uniqueId(prefix = 't'): string {
  return `${prefix}${randomBytes(5).toString('hex')}`;
}

export interface TestPlatform extends Platform {
  config: PlatformConfig;
  dataDir: string;
  /** Reopens a platform on the same databases (a restarted process). */
  reopen(overrides?: Partial<PlatformConfig>): Promise<Platform>;
  destroy(): Promise<void>;
}

export async function createTestPlatform(
  engine: EngineName,
  overrides: Partial<PlatformConfig> = {},
): Promise<TestPlatform> {
  const dataDir = mkdtempSync(join(tmpdir(), 'modernpos-test-'));
  const suffix = randomBytes(4).toString('hex');
  const engineConfig: EngineConfig =
    engine === 'postgres'
      ? { kind: 'postgres', adminUrl: PG_URL! }
      : { kind: 'embedded', dataDir: join(dataDir, 'data'), pristineDir: PRISTINE_DIR };
  const config: PlatformConfig = {
    engine: engineConfig,
    keyring: createKeyring(randomBytes(32)),
    backupDir: join(dataDir, 'backups'),
    actor: 'test',
    controlDatabase: `modernpos_test_control_${suffix}`,
    templateDatabase: `modernpos_test_template_${suffix}`,
    ...overrides,
  };
  const platform = await openPlatform(config);
  return {
    ...platform,
    config,
    dataDir,
    reopen: (more = {}) => openPlatform({ ...config, ...more }),
    async destroy() {
      let orgIds: string[] = [];
      try {
        orgIds = (await platform.control.query<{ id: string }>('SELECT id FROM organizations')).map(
          (r) => r.id,
        );
      } catch {}
      await platform.close();
      if (engine === 'postgres') await dropPostgresLeftovers(config, orgIds);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Drops a test platform's control and template databases and every tenant database and role of `orgIds`. */
export async function dropPostgresLeftovers(
  config: Pick<PlatformConfig, 'controlDatabase' | 'templateDatabase'>,
  orgIds: string[],
): Promise<void> {
  const client = new pg.Client({ connectionString: PG_URL });
  await client.connect();
  try {
    const names = [
      ...orgIds.map((id) => `modernpos_org_${id}`),
      config.templateDatabase!,
      config.controlDatabase!,
    ];
    for (const name of names) await client.query(`DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    for (const name of names) await client.query(`DROP ROLE IF EXISTS ${quoteIdent(name)}`);
  } finally {
    await client.end();
  }
}
