// Runs once before all test files: builds the compiled `modernpos` when it is missing or stale (the
// suites that spawn the CLI run what production runs; one build here rather than one per spawn),
// and initialises the shared pristine PGlite cluster (initdb takes seconds) that every embedded
// test database is copied from.
import { existsSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { ensureBuilt } from '../../src/cli/build.mjs';
import { PRISTINE_DIR } from './engines.ts';

export default async function setup(): Promise<void> {
  await ensureBuilt();
  if (!process.env.MODERNPOS_TEST_PG_URL) {
    console.log(
      '\nMODERNPOS_TEST_PG_URL is not set: the real-Postgres suites are skipped (embedded PGlite suites run).\n' +
        'Run them with MODERNPOS_TEST_PG_URL=postgres://postgres@127.0.0.1:5432/postgres npm test\n',
    );
  }
  if (existsSync(join(PRISTINE_DIR, 'PG_VERSION'))) return;
  const tmp = `${PRISTINE_DIR}.tmp-${process.pid}`;
  rmSync(tmp, { recursive: true, force: true });
  const db = await PGlite.create(tmp);
  await db.close();
  if (!existsSync(join(PRISTINE_DIR, 'PG_VERSION'))) renameSync(tmp, PRISTINE_DIR);
  else rmSync(tmp, { recursive: true, force: true });
}
