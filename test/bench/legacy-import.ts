// Benchmark: importing a legacy schema-per-tenant tenant of ~1,000,000 sale lines (`tenant import`,
// docs/import.md; target ≤ 1.5× the raw ceiling), against its raw ceiling in the same run: a
// `pg_dump -Fc -n SCHEMA | pg_restore` of the same schema into an empty database, timed before and
// after the import (the faster of the two is the ceiling).
import { withDatabase } from '../../cloud/engines/postgres.ts';
import { importTenant } from '../../cloud/tenants/import/import.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { latestVersion, loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { createTestPlatform } from '../helpers/engines.ts';
import { buildLegacyDatabase } from '../helpers/legacy-schemas.ts';
import {
  adminClient,
  BENCH_PG_URL,
  checkInterrupted,
  fmt,
  log,
  now,
  orgId,
  RAW_DB_PREFIX,
  type Row,
  rememberNames,
  row,
  shell,
} from './common.ts';

const SALES = Number(process.env.BENCH_IMPORT_SALES || 333_334);
const LINES_PER_SALE = 3;
const SCHEMA = 'org_bench';
const TARGET_RATIO = 1.5;

export async function legacyImportBench(): Promise<Row[]> {
  const legacyDb = `${RAW_DB_PREFIX}legacy`;
  const tenantSet = loadMigrationSet('tenant', `${MIGRATIONS_DIR}tenant`, 'postgres');
  let t = now();
  const legacyUrl = await buildLegacyDatabase(BENCH_PG_URL, legacyDb, [
    { schema: SCHEMA, version: latestVersion(tenantSet), sales: SALES, linesPerSale: LINES_PER_SALE },
  ]);
  log(`  legacy database: ${SALES * LINES_PER_SALE} sale lines made in ${fmt((now() - t) / 1000)} s`);
  const admin = await adminClient();
  const rawMs: number[] = [];
  const raw = async (n: number) => {
    checkInterrupted();
    const name = `${RAW_DB_PREFIX}restored${n}`;
    await admin.query(`CREATE DATABASE ${quoteIdent(name)}`);
    const start = now();
    await shell(
      `pg_dump -Fc -n ${SCHEMA} --dbname='${legacyUrl}' | pg_restore --no-owner --dbname='${withDatabase(BENCH_PG_URL, name)}'`,
    );
    rawMs.push(now() - start);
    await admin.query(`DROP DATABASE ${quoteIdent(name)} WITH (FORCE)`);
  };
  const steps: string[] = [];
  let mark = 0;
  const platform = await createTestPlatform('postgres', {
    afterStep: (step) => {
      steps.push(`${step} ${fmt((now() - mark) / 1000)}`);
      mark = now();
    },
  });
  rememberNames(platform.config.controlDatabase!, platform.config.templateDatabase!);
  try {
    await raw(1);
    checkInterrupted();
    mark = now();
    t = now();
    const result = await importTenant(platform.tenants, {
      orgId: orgId('imp', 1),
      fromUrl: legacyUrl,
      schema: SCHEMA,
    });
    const importMs = now() - t;
    await raw(2);
    log(
      `  import: ${result.rows} rows in ${result.tables.length} tables, frozen ${fmt(result.frozenMs / 1000)} s`,
    );
    log(`  import: seconds per step: ${steps.join(', ')}`);
    log(`  raw pg_dump | pg_restore: ${rawMs.map((ms) => `${fmt(ms / 1000)} s`).join(', ')}`);
    const ceiling = Math.min(...rawMs);
    return [
      row(
        `import of a legacy tenant, ${SALES * LINES_PER_SALE} sale lines`,
        { value: importMs, text: `${fmt(importMs / 1000)} s (frozen ${fmt(result.frozenMs / 1000)} s)` },
        {
          ceiling: { value: ceiling, text: `${fmt(ceiling / 1000)} s pg_dump -n | pg_restore` },
          target: { limit: TARGET_RATIO * ceiling, text: `≤ ${TARGET_RATIO}× raw` },
        },
      ),
    ];
  } finally {
    await platform.destroy();
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(legacyDb)} WITH (FORCE)`);
    await admin.end();
  }
}
