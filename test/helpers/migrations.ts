// Builds migration sets with extra steps, for rollout tests and benchmarks.
import { createHash } from 'node:crypto';
import type { MigrationSet } from '../../src/migrate/files.ts';

/** `set` plus one more migration with `sql`, numbered next. */
export function withExtraMigration(set: MigrationSet, sql: string, name = 'test_extra'): MigrationSet {
  const version = set.migrations.length + 1;
  return {
    component: set.component,
    migrations: [
      ...set.migrations,
      {
        version,
        name,
        file: `${String(version).padStart(4, '0')}_${name}.sql`,
        sql,
        checksum: createHash('sha256').update(sql).digest('hex'),
      },
    ],
  };
}
