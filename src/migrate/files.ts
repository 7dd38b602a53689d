// Reads an append-only folder of SQL migrations. `0003_add_x.sql` is version 3 for every dialect;
// `0003_add_x.pg.sql` / `0003_add_x.sqlite.sql` are dialect variants of the same version.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's migrations folder: control/, tenant/ and edge/. */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../migrations/', import.meta.url));

export type Dialect = 'postgres' | 'sqlite';

export interface Migration {
  version: number;
  name: string;
  /** The file applied for this dialect. */
  file: string;
  sql: string;
  /** sha256 of the applied file's bytes; stored when applied, compared on every run. */
  checksum: string;
}

/** A named list of migrations: `control`, `tenant` or `edge`, each versioned on its own. */
export interface MigrationSet {
  component: string;
  migrations: readonly Migration[];
}

const FILE = /^(\d{4})_([a-z0-9_]+?)(?:\.(pg|sqlite))?\.sql$/;

export function loadMigrationSet(component: string, dir: string, dialect: Dialect): MigrationSet {
  const byVersion = new Map<number, { name: string; generic?: string; variant?: string }>();
  const suffix = dialect === 'postgres' ? 'pg' : 'sqlite';
  for (const file of readdirSync(dir).sort()) {
    if (!file.endsWith('.sql')) continue;
    const m = FILE.exec(file);
    if (!m) throw new Error(`migration file name ${file} in ${dir} is not NNNN_name[.pg|.sqlite].sql`);
    const version = Number(m[1]);
    const name = m[2]!;
    const entry = byVersion.get(version) ?? { name };
    if (entry.name !== name) throw new Error(`two migrations share version ${version} in ${dir}`);
    if (m[3] === undefined) {
      if (entry.generic) throw new Error(`two migrations share version ${version} in ${dir}`);
      entry.generic = file;
    } else if (m[3] === suffix) {
      entry.variant = file;
    }
    byVersion.set(version, entry);
  }
  const versions = [...byVersion.keys()].sort((a, b) => a - b);
  versions.forEach((v, i) => {
    if (v !== i + 1)
      throw new Error(`migrations in ${dir} must be numbered 1, 2, 3 … without gaps; found ${v}`);
  });
  const migrations = versions.map((version): Migration => {
    const entry = byVersion.get(version)!;
    const file = entry.variant ?? entry.generic;
    if (!file) throw new Error(`migration ${version} in ${dir} has no file for ${dialect}`);
    const bytes = readFileSync(join(dir, file));
    return {
      version,
      name: entry.name,
      file,
      sql: bytes.toString('utf8'),
      checksum: createHash('sha256').update(bytes).digest('hex'),
    };
  });
  return { component, migrations };
}

export function latestVersion(set: MigrationSet): number {
  return set.migrations.at(-1)?.version ?? 0;
}
