// Benchmark 2: rolling ONE additive migration out to every tenant of the fleet with migrateAllTenants
// (target ≤ 30 s for 500), beside the raw cost of the same ALTER TABLE over fresh connections.
import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Platform } from '../../cloud/platform.ts';
import { migrateAllTenants } from '../../cloud/tenants/migrate.ts';
import { quoteIdent } from '../../src/db/sql.ts';
import { tenantDatabaseName } from '../../src/domain/org-id.ts';
import { latestVersion, loadMigrationSet, MIGRATIONS_DIR } from '../../src/migrate/files.ts';
import { adminClient, checkInterrupted, fmt, log, now, type Row, row } from './common.ts';

const CONCURRENCY = 8;
const TARGET_S = 30;

export async function migrateAllBench(platform: Platform, orgIds: readonly string[]): Promise<Row[]> {
  const dir = mkdtempSync(join(tmpdir(), 'modernpos-bench-migrations-'));
  try {
    cpSync(join(MIGRATIONS_DIR, 'tenant'), dir, { recursive: true });
    const next = String(latestVersion(platform.tenants.tenantMigrations) + 1).padStart(4, '0');
    for (const dialect of ['pg', 'sqlite']) {
      writeFileSync(
        join(dir, `${next}_bench_additive.${dialect}.sql`),
        'ALTER TABLE branches ADD COLUMN bench_note TEXT;\n',
      );
    }
    const ctx = { ...platform.tenants, tenantMigrations: loadMigrationSet('tenant', dir, 'postgres') };

    let start = now();
    const summary = await migrateAllTenants(ctx, {
      concurrency: CONCURRENCY,
      onProgress: (done, total) => {
        if (done % 100 === 0) log(`  migrate-all: ${done}/${total} (${fmt((now() - start) / 1000)} s)`);
      },
    });
    const seconds = (now() - start) / 1000;
    if (summary.failed.length > 0 || summary.migrated !== orgIds.length) {
      const first = summary.failed[0];
      throw new Error(
        `migrateAllTenants migrated ${summary.migrated}/${orgIds.length}, ${summary.failed.length} failed` +
          (first ? ` (first: ${first.orgId}: ${first.error})` : ''),
      );
    }

    // Ceiling: the same ALTER, as the tenant's role, over a fresh raw pg.Client per database (no
    // runner, ledger, lock or control-plane bookkeeping), with the same number of workers.
    let index = 0;
    const worker = async () => {
      while (index < orgIds.length) {
        checkInterrupted();
        const db = tenantDatabaseName(orgIds[index++]!);
        const client = await adminClient(db);
        try {
          await client.query(
            `BEGIN; SET LOCAL ROLE ${quoteIdent(db)}; ALTER TABLE branches ADD COLUMN bench_raw TEXT; COMMIT`,
          );
        } finally {
          await client.end();
        }
      }
    };
    start = now();
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    const rawSeconds = (now() - start) / 1000;
    log(
      `  migrate-all: ${summary.migrated} tenants to v${summary.latest} in ${fmt(seconds, 2)} s ` +
        `(${fmt((seconds * 1000) / orgIds.length)} ms each, concurrency ${CONCURRENCY}); raw ${fmt(rawSeconds, 2)} s`,
    );
    const targetS = (TARGET_S * orgIds.length) / 500;
    return [
      row(
        `migrate-all: 1 additive migration × ${orgIds.length} tenants, concurrency ${CONCURRENCY}`,
        { value: seconds, text: `${fmt(seconds, 2)} s` },
        {
          ceiling: { value: rawSeconds, text: `${fmt(rawSeconds, 2)} s raw ALTER, fresh pg.Client each` },
          target: {
            limit: targetS,
            text: orgIds.length === 500 ? `≤ ${TARGET_S} s` : `≤ ${fmt(targetS)} s (30 s/500)`,
          },
        },
      ),
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
