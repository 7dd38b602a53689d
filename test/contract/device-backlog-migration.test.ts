// Tenant migration 0011 on every engine: devices gain the backlog they last reported (pending count,
// oldest pending instant, when reported, the applied seq then), all nullable (expand-only): existing
// devices read "never reported", a writer of the version before still inserts, and a negative count
// is refused by the engine.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { MigrationSet } from '../../src/migrate/files.ts';
import { type MigrationTarget, migrate } from '../../src/migrate/runner.ts';
import { createTestPlatform, engineNames, type TestPlatform } from '../helpers/engines.ts';
import { onNewCloudDatabase, onNewEdgeDatabase } from '../helpers/migrations.ts';

const VERSION = 11;
const SEEN = '2026-04-01T10:00:00.000Z';
const COLUMNS = 'backlog_pending, backlog_oldest_at, backlog_reported_at, backlog_seq';
const NEVER = {
  backlog_pending: null,
  backlog_oldest_at: null,
  backlog_reported_at: null,
  backlog_seq: null,
};

async function checkMigration(target: MigrationTarget, db: SqlQueryable, set: MigrationSet): Promise<void> {
  await migrate(target, {
    component: set.component,
    migrations: set.migrations.filter((m) => m.version < VERSION),
  });
  await db.query(
    `INSERT INTO branches (id, code, name, time_zone, active, created_at, updated_at)
     VALUES ('b1', 'MAIN', 'Main', 'UTC', $1, $2, $2)`,
    [true, SEEN],
  );
  const device = `INSERT INTO devices (id, branch_id, name, token_hash, created_at, last_seen_at, last_applied_seq)
     VALUES ($1, 'b1', $1, $1, $2, $2, 7)`;
  await db.query(device, ['before', SEEN]);

  expect((await migrate(target, set)).applied).toContain(VERSION);
  expect(await db.query(`SELECT ${COLUMNS} FROM devices WHERE id = 'before'`)).toEqual([NEVER]);
  // Expand-only: a writer of the version before, which names none of the columns, still inserts.
  await db.query(device, ['older-writer', SEEN]);
  expect(await db.query(`SELECT ${COLUMNS} FROM devices WHERE id = 'older-writer'`)).toEqual([NEVER]);

  await db.query(
    `UPDATE devices SET backlog_pending = 3, backlog_oldest_at = $2, backlog_reported_at = $2,
       backlog_seq = last_applied_seq WHERE id = $1`,
    ['before', SEEN],
  );
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT backlog_pending, backlog_seq FROM devices WHERE id = 'before'`,
  );
  expect({ pending: Number(row?.backlog_pending), seq: Number(row?.backlog_seq) }).toEqual({
    pending: 3,
    seq: 7,
  });
  await expect(db.query(`UPDATE devices SET backlog_pending = -1 WHERE id = 'before'`)).rejects.toThrow();
}

describe('tenant migration 0011: devices gain the backlog they last reported', () => {
  it('on SQLite (the edge)', () => onNewEdgeDatabase(checkMigration));

  describe.each(engineNames)('on %s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('adds the four columns, nullable, and refuses a negative count', () =>
      onNewCloudDatabase(p, checkMigration));
  });
});
