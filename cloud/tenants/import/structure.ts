// Comparing a legacy schema with the tenant schema at one version: which tables are missing or extra,
// which columns are missing, extra or of another type. An import copies only an exact match.
import type { Structure } from './legacy-source.ts';

export interface StructureDiff {
  missingTables: string[];
  extraTables: string[];
  missingColumns: string[];
  extraColumns: string[];
  /** `table.column: legacy type ≠ expected type`. */
  typeMismatches: string[];
}

export function diffStructure(legacy: Structure, expected: Structure): StructureDiff {
  const diff: StructureDiff = {
    missingTables: [],
    extraTables: [],
    missingColumns: [],
    extraColumns: [],
    typeMismatches: [],
  };
  for (const [table, cols] of expected) {
    const have = legacy.get(table);
    if (!have) {
      diff.missingTables.push(table);
      continue;
    }
    const byName = new Map(have.map((c) => [c.name, c.type]));
    for (const c of cols) {
      const type = byName.get(c.name);
      if (type === undefined) diff.missingColumns.push(`${table}.${c.name}`);
      else if (type !== c.type) diff.typeMismatches.push(`${table}.${c.name}: ${type} ≠ ${c.type}`);
    }
    const want = new Set(cols.map((c) => c.name));
    for (const c of have) if (!want.has(c.name)) diff.extraColumns.push(`${table}.${c.name}`);
  }
  for (const table of legacy.keys()) if (!expected.has(table)) diff.extraTables.push(table);
  for (const list of Object.values(diff)) list.sort();
  return diff;
}

export function diffSize(d: StructureDiff): number {
  return (
    d.missingTables.length +
    d.extraTables.length +
    d.missingColumns.length +
    d.extraColumns.length +
    d.typeMismatches.length
  );
}

/** One line per kind of difference, at most 10 names each. */
export function describeDiff(d: StructureDiff): string {
  const part = (label: string, names: string[]) =>
    names.length === 0
      ? []
      : [
          `${label}: ${names.slice(0, 10).join(', ')}${names.length > 10 ? ` (+${names.length - 10} more)` : ''}`,
        ];
  return [
    ...part('missing tables', d.missingTables),
    ...part('extra tables', d.extraTables),
    ...part('missing columns', d.missingColumns),
    ...part('extra columns', d.extraColumns),
    ...part('columns of another type', d.typeMismatches),
  ].join('; ');
}
