// Tenant migration 0008 on every engine: devices gain `last_sync_at` and `outbox_empty_at`, both
// nullable (expand-only). A device's `last_seen_at`, which reports called its last sync until then,
// is carried into `last_sync_at`; nothing else about it changes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SqlQueryable } from '../../src/db/sql.ts';
import type { MigrationSet } from '../../src/migrate/files.ts';
import { type MigrationTarget, migrate } from '../../src/migrate/runner.ts';
import { createTestPlatform, engineNames, type TestPlatform } from '../helpers/engines.ts';
import { onNewCloudDatabase, onNewEdgeDatabase } from '../helpers/migrations.ts';

const VERSION = 8;
const SEEN = '2026-04-01T10:00:00.000Z';

/** Timestamps as instants, whichever way the engine hands them back. */
const iso = (v: unknown) => (v === null ? null : new Date(v as string).toISOString());

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
     VALUES ($1, 'b1', $1, $1, $2, $3, 7)`;
  await db.query(device, ['seen', SEEN, SEEN]);
  await db.query(device, ['never', SEEN, null]);

  expect((await migrate(target, set)).applied).toContain(VERSION);
  const rows = await db.query<Record<string, unknown>>(
    `SELECT id, last_seen_at, last_sync_at, outbox_empty_at, last_applied_seq FROM devices ORDER BY id`,
  );
  expect(
    rows.map((r) => ({
      id: r.id,
      seen: iso(r.last_seen_at),
      synced: iso(r.last_sync_at),
      empty: iso(r.outbox_empty_at),
      seq: Number(r.last_applied_seq),
    })),
  ).toEqual([
    { id: 'never', seen: null, synced: null, empty: null, seq: 7 },
    { id: 'seen', seen: SEEN, synced: SEEN, empty: null, seq: 7 },
  ]);
  // Expand-only: a writer of the version before, which names neither column, still inserts.
  await db.query(device, ['older-writer', SEEN, SEEN]);
  const [row] = await db.query<Record<string, unknown>>(
    `SELECT last_sync_at, outbox_empty_at FROM devices WHERE id = 'older-writer'`,
  );
  expect(row).toEqual({ last_sync_at: null, outbox_empty_at: null });
}

describe('tenant migration 0008: devices gain a last sync and a last empty outbox', () => {
  it('on SQLite (the edge)', () => onNewEdgeDatabase(checkMigration));

  describe.each(engineNames)('on %s', (engine) => {
    let p: TestPlatform;
    beforeAll(async () => {
      p = await createTestPlatform(engine);
    });
    afterAll(async () => {
      await p?.destroy();
    });

    it('carries last_seen_at into last_sync_at and leaves both columns nullable', () =>
      onNewCloudDatabase(p, checkMigration));
  });
});
