// Tenant migrations follow expand and contract (docs/migrations.md): every migration from the
// baseline on is checked for steps the previous release's code cannot live with, unless its file is
// marked as a contract step. The checker itself is tested on small SQL samples, good and bad.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  contractReason,
  expandContractViolations,
  findContractSteps,
  splitStatements,
} from '../../src/migrate/expand-contract.ts';
import { MIGRATIONS_DIR } from '../../src/migrate/files.ts';

/** 0001–0006 are history (0006 was the last step that was not expand-only); the rule holds from 0007. */
const BASELINE = 7;
const TENANT_DIR = join(MIGRATIONS_DIR, 'tenant');

/**
 * The files the cloud applies to Postgres (`.pg.sql` and the shared `.sql`). SQLite variants are the
 * edge's, migrated by the edge's own code at start: no older code ever runs against them.
 */
const cloudFiles = () =>
  readdirSync(TENANT_DIR)
    .filter((f) => /^\d{4}_.+\.sql$/.test(f) && !f.endsWith('.sqlite.sql'))
    .sort();

describe('tenant migrations follow expand and contract', () => {
  it(`checks every cloud tenant migration from ${BASELINE} on, and finds nothing the previous release cannot live with`, () => {
    const files = cloudFiles().filter((f) => Number(f.slice(0, 4)) >= BASELINE);
    expect(files.length).toBeGreaterThan(0);
    const violations = files.flatMap((f) =>
      expandContractViolations(f, readFileSync(join(TENANT_DIR, f), 'utf8')),
    );
    expect(violations, violations.join('\n')).toEqual([]);
  });

  it('would have caught 0006, the migration that set NOT NULL under the running code', () => {
    const file = cloudFiles().find((f) => f.startsWith('0006_'))!;
    const violations = expandContractViolations(file, readFileSync(join(TENANT_DIR, file), 'utf8'));
    expect(violations.length).toBeGreaterThan(0);
    expect(violations[0]).toContain(file);
    expect(violations[0]).toMatch(
      /sets NOT NULL.*ALTER TABLE sale_lines ALTER COLUMN business_date SET NOT NULL/,
    );
  });
});

const reasonsOf = (sql: string) => findContractSteps(sql).map((s) => s.reason);

describe('the expand/contract checker', () => {
  it('passes expand-only steps: nullable or defaulted columns, new tables and indexes, backfills', () => {
    const sql = `
      -- a comment that says DROP TABLE sales; and RENAME
      CREATE TABLE reorder_levels (product_id TEXT NOT NULL, branch_code TEXT NOT NULL, level BIGINT NOT NULL);
      ALTER TABLE reorder_levels ADD COLUMN note TEXT NOT NULL;
      ALTER TABLE sales ADD COLUMN device_seq BIGINT, ADD COLUMN origin TEXT NOT NULL DEFAULT 'edge';
      ALTER TABLE products ADD COLUMN IF NOT EXISTS cost_minor BIGINT CHECK (cost_minor >= 0);
      ALTER TABLE payments ALTER COLUMN reference DROP NOT NULL;
      CREATE INDEX sales_seq ON sales (device_seq) WHERE device_seq IS NOT NULL;
      UPDATE sync_quarantine SET reason_code = 'drop; rename' WHERE kind = 'refund';
      /* block comment: ALTER TABLE x ALTER COLUMN y TYPE int */
      CREATE FUNCTION f() RETURNS int AS $$ SELECT 1; $$ LANGUAGE sql;
    `;
    expect(findContractSteps(sql)).toEqual([]);
  });

  it('flags a NOT NULL column without a DEFAULT added to an existing table, naming the statement', () => {
    const steps = findContractSteps('ALTER TABLE sale_lines ADD COLUMN kind TEXT NOT NULL;');
    expect(steps).toEqual([
      {
        statement: 'ALTER TABLE sale_lines ADD COLUMN kind TEXT NOT NULL',
        reason: expect.stringMatching(/NOT NULL column without a DEFAULT/),
      },
    ]);
    // One bad clause among good ones, and the COLUMN keyword left out.
    expect(reasonsOf('ALTER TABLE "Payments" ADD COLUMN a TEXT, ADD b INT NOT NULL')).toHaveLength(1);
  });

  it.each([
    ['DROP TABLE', 'DROP TABLE sale_lines_old;'],
    ['DROP COLUMN', 'ALTER TABLE sales DROP COLUMN flags;'],
    ['a column dropped without the COLUMN keyword', 'ALTER TABLE sales DROP flags;'],
    ['DROP INDEX', 'DROP INDEX IF EXISTS sales_receipt;'],
    ['DROP DEFAULT', 'ALTER TABLE sales ALTER COLUMN flags DROP DEFAULT;'],
    ['a table rename', 'ALTER TABLE sales RENAME TO documents;'],
    ['a column rename', 'ALTER TABLE sales RENAME COLUMN flags TO marks;'],
    ['a type change', 'ALTER TABLE sales ALTER COLUMN total_minor TYPE NUMERIC;'],
    ['a type change without COLUMN', 'ALTER TABLE sales ALTER total_minor SET DATA TYPE NUMERIC;'],
    ['SET NOT NULL', 'ALTER TABLE payments ALTER COLUMN kind SET NOT NULL;'],
  ])('flags %s', (_name, sql) => {
    expect(reasonsOf(sql)).toHaveLength(1);
  });

  it('splits statements on semicolons outside strings and comments, one line each', () => {
    expect(
      splitStatements(`SELECT 'a;b' AS "x;y"; -- c;d
        UPDATE t SET v = 'it''s; fine'
        WHERE id = 1;;`),
    ).toEqual(['SELECT \'a;b\' AS "x;y"', "UPDATE t SET v = 'it''s; fine' WHERE id = 1"]);
  });

  it('lets a file marked `-- contract: why` on its first line contract, and only on its first line', () => {
    const marked =
      '-- contract: nothing reads sales.flags since the release before\nALTER TABLE sales DROP COLUMN flags;';
    expect(contractReason(marked)).toBe('nothing reads sales.flags since the release before');
    expect(expandContractViolations('0012_drop_flags.pg.sql', marked)).toEqual([]);

    for (const sql of [
      '-- drops a column\n-- contract: too late, not the first line\nALTER TABLE sales DROP COLUMN flags;',
      '-- contract:\nALTER TABLE sales DROP COLUMN flags;',
    ]) {
      expect(contractReason(sql)).toBeUndefined();
      const [violation] = expandContractViolations('0012_drop_flags.pg.sql', sql);
      expect(violation).toMatch(/^0012_drop_flags\.pg\.sql: drops .*: ALTER TABLE sales DROP COLUMN flags/);
    }
  });
});
